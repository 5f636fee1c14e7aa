"""Local stand-ins for the alert platforms, for the monitor tests.

:class:`PlatformServer` is one HTTP server playing WeChat Work (``/wechat``), DingTalk
(``/dingtalk``), Feishu (``/feishu``), Slack (``/slack``) and a generic webhook (``/hook``).
It checks each request's payload shape and signature the way the platform documents them
(written here from the platforms' docs, not imported from koubei) and answers as the
platform does; :meth:`PlatformServer.fail` scripts failures (a timeout, an HTTP error, an
error code in a 200 reply).

:class:`SMTPServer` is a tiny SMTP server with STARTTLS and AUTH PLAIN/LOGIN that keeps
each message and whether it arrived over TLS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socketserver
import ssl
import threading
import time
import urllib.parse
from collections import defaultdict, deque
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DINGTALK_SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
FEISHU_SECRET = "feishu-test-secret-9Xq"
HOOK_SECRET = "hook-test-secret-77"
HOOK_TOKEN = "hook-bearer-token-31"
TOKENS = {"wechat": "wechat-key-6f2d", "dingtalk": "dingtalk-access-token-a91c",
          "feishu": "feishu-hook-id-5b7e", "slack": "T000/B000/slack-token-c3"}


@dataclass
class Received:
    platform: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes
    body: Any
    problems: list[str] = field(default_factory=list)


class PlatformServer:
    """See the module doc. ``url(platform)`` is the webhook address (token included)."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._script: dict[str, deque[str]] = defaultdict(deque)
        self.timeout_sleep = 2.0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                outer._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, platform: str) -> str:
        if platform == "wechat":
            return f"{self.base}/wechat/cgi-bin/webhook/send?key={TOKENS['wechat']}"
        if platform == "dingtalk":
            return f"{self.base}/dingtalk/robot/send?access_token={TOKENS['dingtalk']}"
        if platform == "feishu":
            return f"{self.base}/feishu/open-apis/bot/v2/hook/{TOKENS['feishu']}"
        if platform == "slack":
            return f"{self.base}/slack/services/{TOKENS['slack']}"
        return f"{self.base}/hook/koubei"

    def fail(self, platform: str, *how: str) -> None:
        """The next requests to ``platform`` fail, in order: ``timeout``, ``500``, ``429``, ``400``,
        ``code`` (the platform's error code in a 200 reply)."""
        self._script[platform].extend(how)

    def received(self, platform: str | None = None) -> list[Received]:
        return [r for r in self.requests if platform is None or r.platform == platform]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- the platforms ------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urllib.parse.urlsplit(h.path)
        platform = parts.path.split("/")[1]
        raw = h.rfile.read(int(h.headers.get("Content-Length", 0)))
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            body = None
        rec = Received(platform, parts.path, dict(urllib.parse.parse_qsl(parts.query)),
                       {k.lower(): v for k, v in h.headers.items()}, raw, body)
        self.requests.append(rec)
        script = self._script[platform]
        how = script.popleft() if script else ""
        if how == "timeout":
            time.sleep(self.timeout_sleep)
            return _reply(h, 200, {"errcode": 0})
        if how in ("500", "429", "400"):
            headers = {"Retry-After": "0"} if how == "429" else {}
            return _reply(h, int(how), "invalid_payload" if platform == "slack" else {"error": how}, headers)
        check = getattr(self, f"_{platform}")
        rec.problems = check(rec)
        return check_reply(h, platform, rec.problems, how == "code")

    def _wechat(self, r: Received) -> list[str]:
        b = r.body or {}
        problems = [] if r.query.get("key") == TOKENS["wechat"] else ["bad key"]
        if b.get("msgtype") != "markdown" or not isinstance(b.get("markdown", {}).get("content"), str):
            problems.append("not a markdown message")
        elif len(b["markdown"]["content"].encode()) > 4096:
            problems.append("content over 4096 bytes")
        return problems

    def _dingtalk(self, r: Received) -> list[str]:
        problems = [] if r.query.get("access_token") == TOKENS["dingtalk"] else ["bad token"]
        ts, sign = r.query.get("timestamp"), r.query.get("sign")
        if not ts or not sign:
            problems.append("no timestamp/sign")
        else:
            # 把 timestamp+"\n"+密钥 当做签名字符串，HmacSHA256(key=密钥)，Base64，再 urlEncode (ms timestamp)
            want = base64.b64encode(hmac.new(DINGTALK_SECRET.encode(), f"{ts}\n{DINGTALK_SECRET}".encode(),
                                             hashlib.sha256).digest()).decode()
            if sign != want:  # parse_qsl already url-decoded it
                problems.append("sign not match")
            if abs(time.time() * 1000 - int(ts)) > 3600_000:
                problems.append("timestamp too old")
        b = r.body or {}
        md = b.get("markdown", {})
        if b.get("msgtype") != "markdown" or not md.get("title") or not md.get("text"):
            problems.append("not a markdown message")
        return problems

    def _feishu(self, r: Received) -> list[str]:
        b = r.body or {}
        problems = [] if r.path.endswith(TOKENS["feishu"]) else ["bad hook"]
        ts, sign = b.get("timestamp"), b.get("sign")
        if not ts or not sign:
            problems.append("no timestamp/sign")
        else:
            # timestamp + "\n" + 密钥 当做签名字符串 (the HMAC key), HmacSHA256 over an empty message, Base64
            want = base64.b64encode(hmac.new(f"{ts}\n{FEISHU_SECRET}".encode(), b"", hashlib.sha256).digest()
                                    ).decode()
            if sign != want:
                problems.append("sign match fail")
            if abs(time.time() - int(ts)) > 3600:
                problems.append("timestamp not within one hour")
        card = b.get("card", {})
        if b.get("msg_type") != "interactive" or not card.get("header") or not card.get("elements"):
            problems.append("not an interactive card")
        return problems

    def _slack(self, r: Received) -> list[str]:
        b = r.body or {}
        problems = [] if r.path.endswith(TOKENS["slack"]) else ["bad token"]
        if not isinstance(b.get("text"), str) or not b.get("blocks"):
            problems.append("no text or blocks")
        return problems

    def _hook(self, r: Received) -> list[str]:
        problems = []
        ts, sig = r.headers.get("x-koubei-timestamp"), r.headers.get("x-koubei-signature")
        mac = hmac.new(HOOK_SECRET.encode(), f"{ts}.".encode() + r.raw, hashlib.sha256)
        want = "sha256=" + mac.hexdigest()
        if sig != want:
            problems.append("bad signature")
        if r.headers.get("authorization") != f"Bearer {HOOK_TOKEN}":
            problems.append("bad token")
        if not r.headers.get("idempotency-key") or (r.body or {}).get("idempotency_key") != \
                r.headers.get("idempotency-key"):
            problems.append("no idempotency key")
        return problems


def check_reply(h: BaseHTTPRequestHandler, platform: str, problems: list[str], code: bool) -> None:
    """Answer as the platform does: success, or its error for a bad request / a scripted error code."""
    bad = bool(problems) or code
    why = "; ".join(problems) or "scripted error"
    if platform == "slack":
        return _reply(h, 400, "invalid_payload") if problems else _reply(h, 200, "ok") if not code \
            else _reply(h, 200, "channel_is_archived")
    if platform == "feishu":
        return _reply(h, 200, {"code": 19021 if bad else 0, "msg": why if bad else "success", "data": {}})
    if platform == "hook":
        return _reply(h, 401 if problems else 503 if code else 200, {"ok": not bad})
    return _reply(h, 200, {"errcode": 310000 if bad else 0, "errmsg": why if bad else "ok"})


def _reply(h: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    try:
        h.send_response(status)
        h.send_header("Content-Type", "text/plain" if isinstance(body, str) else "application/json")
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)
    except OSError:  # the client gave up (a timeout test)
        return


# -- SMTP ---------------------------------------------------------------------------------


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    data: bytes
    tls: bool
    login: tuple[str, str] | None

    @property
    def message(self) -> Message:
        return message_from_bytes(self.data)


class SMTPServer:
    """A tiny SMTP server on 127.0.0.1: EHLO, STARTTLS (with ``context``), AUTH PLAIN/LOGIN,
    MAIL, RCPT, DATA, QUIT. ``starttls=False`` offers no STARTTLS."""

    def __init__(self, context: ssl.SSLContext | None, *, starttls: bool = True,
                 users: dict[str, str] | None = None) -> None:
        self.mails: list[Mail] = []
        self.context, self.offer_tls, self.users = context, starttls, users or {}
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                _SMTPSession(outer, self).run()

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _SMTPSession:
    def __init__(self, server: SMTPServer, handler: socketserver.StreamRequestHandler) -> None:
        self.s, self.h = server, handler
        self.sock, self.tls = handler.request, False
        self.login: tuple[str, str] | None = None
        self.rfile, self.sender, self.rcpt = handler.rfile, "", []  # type: ignore[var-annotated]

    def send(self, line: str) -> None:
        self.sock.sendall((line + "\r\n").encode())

    def readline(self) -> str:
        return self.rfile.readline().decode("utf-8", "replace").rstrip("\r\n")

    def run(self) -> None:
        self.send("220 localhost koubei-test ESMTP")
        while True:
            line = self.readline()
            if not line:
                return
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb in ("EHLO", "HELO"):
                exts = ["AUTH PLAIN LOGIN"] + (["STARTTLS"] if self.s.offer_tls and not self.tls else [])
                for e in ["localhost", *exts[:-1]]:
                    self.send(f"250-{e}")
                self.send(f"250 {exts[-1]}")
            elif verb == "STARTTLS" and self.s.offer_tls and self.s.context is not None:
                self.send("220 ready to start TLS")
                self.sock = self.s.context.wrap_socket(self.sock, server_side=True)
                self.rfile = self.sock.makefile("rb")
                self.tls = True
            elif verb == "AUTH":
                self._auth(arg)
            elif verb == "MAIL":
                self.sender, self.rcpt = arg.split(":", 1)[1].strip(" <>"), []
                self.send("250 OK")
            elif verb == "RCPT":
                self.rcpt.append(arg.split(":", 1)[1].strip(" <>"))
                self.send("250 OK")
            elif verb == "DATA":
                self._data()
            elif verb == "QUIT":
                self.send("221 bye")
                return
            else:
                self.send("250 OK" if verb in ("RSET", "NOOP") else "502 not implemented")

    def _auth(self, arg: str) -> None:
        mech, _, rest = arg.partition(" ")
        if mech.upper() == "PLAIN":
            _, user, pw = base64.b64decode(rest).decode().split("\0")
        else:
            self.send("334 " + base64.b64encode(b"Username:").decode())
            user = base64.b64decode(self.readline()).decode()
            self.send("334 " + base64.b64encode(b"Password:").decode())
            pw = base64.b64decode(self.readline()).decode()
        if self.s.users.get(user) == pw:
            self.login = (user, pw)
            self.send("235 authenticated")
        else:
            self.send("535 authentication failed")

    def _data(self) -> None:
        self.send("354 end with .")
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        self.s.mails.append(Mail(self.sender, self.rcpt, b"".join(lines), self.tls, self.login))
        self.send("250 queued")
