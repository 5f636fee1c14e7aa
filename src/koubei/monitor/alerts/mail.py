"""E-mail over SMTP with the standard library: STARTTLS by default, certificates checked.

``security = "starttls"`` (default, port 587) upgrades the connection before logging
in and refuses a server that does not offer STARTTLS (it never falls back to plain
text); ``"ssl"`` connects over TLS (port 465); ``"none"`` is for a relay on a trusted
network and refuses a login (the password would travel in clear). ``ca_file`` names a
CA bundle for a company CA. One message per alert, plain UTF-8 text, its
``Message-ID`` derived from the alert's idempotency key so a mail system can drop repeats.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

from koubei.errors import AlertError
from koubei.monitor._entries import Secret
from koubei.monitor.alerts.http import scrub
from koubei.monitor.alerts.message import AlertMessage

SECURITY: tuple[str, ...] = ("starttls", "ssl", "none")


class Email:
    """An SMTP channel (``[alerts.email]``)."""

    type = "email"
    rate_limits: tuple[tuple[int, float], ...] = ()

    def __init__(self, name: str, *, host: str, port: int, sender: str, to: tuple[str, ...],
                 security: str = "starttls", username: Secret | None = None, password: Secret | None = None,
                 ca_file: Path | None = None, timeout: float = 10.0, lang: str | None = None,
                 min_severity: float | None = None) -> None:
        self.name, self.host, self.port, self.sender, self.to = name, host, port, sender, to
        self.security, self._username, self._password, self.ca_file = security, username, password, ca_file
        self.timeout, self.lang, self.min_severity = timeout, lang, min_severity
        self.target = f"smtp://{host}:{port}"

    @property
    def where(self) -> str:
        return f"{self.name} ({self.target})"

    def message(self, alert: AlertMessage) -> EmailMessage:
        """The e-mail of one alert."""
        msg = EmailMessage()
        msg["Subject"] = " ".join(alert.title().split())
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.to)
        digest = hashlib.sha256(alert.key.encode()).hexdigest()[:32]
        msg["Message-ID"] = f"<koubei.{digest}@{self.sender.rpartition('@')[2] or 'koubei'}>"
        msg["X-Koubei-Idempotency-Key"] = alert.key
        msg.set_content(alert.text())
        return msg

    def preview(self, alert: AlertMessage) -> str:
        msg = self.message(alert)
        return f"To: {msg['To']}\nSubject: {msg['Subject']}\n\n{alert.text()}"

    def send(self, message: AlertMessage) -> None:
        secrets = [s.reveal() for s in (self._username, self._password) if s]
        try:
            self._send(self.message(message))
        except smtplib.SMTPNotSupportedError:
            raise AlertError(f"{self.where}: the server does not offer STARTTLS; the message was not sent "
                             'in clear (set security = "ssl" for port 465)') from None
        except smtplib.SMTPRecipientsRefused as e:
            raise AlertError(f"{self.where}: every recipient was refused "
                             f"({', '.join(map(str, e.recipients))})") from None
        except ssl.SSLError as e:
            raise AlertError(scrub(f"{self.where}: TLS failed ({e.reason or e}); for a company CA give "
                                   "ca_file", secrets)) from None
        except (smtplib.SMTPException, OSError) as e:
            reply = getattr(e, "smtp_error", None)
            detail = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(e)
            raise AlertError(scrub(f"{self.where}: {type(e).__name__}: {' '.join(detail.split())[:200]}",
                                   secrets)) from None

    def _send(self, msg: EmailMessage) -> None:
        context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        smtp: smtplib.SMTP
        if self.security == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if self._username is not None and self._password is not None:
                smtp.login(self._username.reveal(), self._password.reveal())
            refused = smtp.send_message(msg)
        if refused:
            raise AlertError(f"{self.where}: sent, but refused for {', '.join(sorted(refused))}")
