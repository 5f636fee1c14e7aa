"""POSTing JSON with the standard library, and keeping webhook secrets out of every message.

Webhook URLs carry their token in the path or query (``/robot/send?access_token=…``,
``/cgi-bin/webhook/send?key=…``, ``/services/T…/B…/…``): :func:`mask_url` keeps the
scheme and host and hides the rest, and :func:`scrub` removes any secret value that
an exception's text may hold. Redirects are not followed (a webhook that answers
3xx is an error): the body and its signature go to the configured host only.
"""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from koubei.errors import AlertError

MAX_REPLY_BYTES = 64 * 1024
USER_AGENT = "koubei-monitor"


def mask_url(url: str) -> str:
    """``https://oapi.dingtalk.com/robot/send?access_token=abc`` → ``https://oapi.dingtalk.com/***``."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "***"
    if not parts.scheme or not host:
        return "***"
    rest = "/***" if (parts.path not in ("", "/") or parts.query or parts.fragment) else ""
    return f"{parts.scheme}://{host}{port}{rest}"


def check_url(url: str) -> str | None:
    """Why ``url`` cannot be a webhook address (None when it can): http(s), a host, no user:password."""
    try:
        parts = urllib.parse.urlsplit(url)
        _ = parts.port
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "is not an http(s) URL"
    if not parts.hostname:
        return "has no host"
    return None


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (and its URL-quoted form) replaced by ``***``."""
    for s in sorted({s for s in secrets if s}, key=len, reverse=True):
        for form in {s, urllib.parse.quote(s, safe=""), urllib.parse.quote_plus(s)}:
            text = text.replace(form, "***")
    return text


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


@dataclass(frozen=True)
class Reply:
    """What the platform answered: HTTP status, headers and the body text."""

    status: int
    body: str
    headers: Mapping[str, str]

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def post_json(url: str, payload: Any, *, timeout: float, where: str, secrets: Iterable[str] = (),
              headers: Mapping[str, str] | None = None, body: bytes | None = None) -> Reply:
    """POST ``payload`` as UTF-8 JSON; return the 2xx reply.

    Args:
        url: the address (with its token); never shown.
        where: how messages name the target (channel name and masked URL).
        secrets: values to scrub from error messages (the URL, signing secrets).
        body: the exact bytes to send instead of ``payload`` serialised (when they are signed).

    Raises:
        AlertError: a timeout, a connection error, or a status other than 2xx (with
            ``retry_after`` seconds when the platform said how long to wait).
    """
    data = body if body is not None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, **(headers or {})})
    hide = [url, *secrets]
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            text = resp.read(MAX_REPLY_BYTES).decode("utf-8", "replace")
            return Reply(resp.status, text, dict(resp.headers.items()))
    except urllib.error.HTTPError as e:
        detail = _error_body(e)
        err = AlertError(scrub(f"{where}: HTTP {e.code} {e.reason}{detail}", hide))
        err.retry_after = _retry_after(e.headers.get("Retry-After") if e.headers else None)
        raise err from None
    except TimeoutError:
        raise AlertError(f"{where}: no answer within {timeout:g} s") from None
    except urllib.error.URLError as e:
        if isinstance(e.reason, TimeoutError | socket.timeout):
            raise AlertError(f"{where}: no answer within {timeout:g} s") from None
        raise AlertError(scrub(f"{where}: cannot connect ({e.reason})", hide)) from None
    except (OSError, http.client.HTTPException) as e:
        raise AlertError(scrub(f"{where}: connection failed ({type(e).__name__}: {e})", hide)) from None


def _error_body(e: urllib.error.HTTPError) -> str:
    try:
        text = e.read(2048).decode("utf-8", "replace").strip()
    except OSError:
        return ""
    return f" ({' '.join(text.split())[:200]})" if text else ""


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
