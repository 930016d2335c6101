"""Sending email over SMTP in batches, with connection reuse and bounce classification.

A campaign send or a survey invitation hands a batch of messages to :class:`SmtpSender`, which
delivers them over one SMTP connection (reconnecting once if the server drops it) and reports per
message whether it was accepted, failed temporarily (4xx, connection trouble: retry later) or
failed permanently (5xx on the recipient: a hard bounce, never retried).
"""

from __future__ import annotations

import base64
import secrets
import smtplib
import ssl
from dataclasses import dataclass, field
from email._policybase import Compat32
from email.header import Header
from email.message import Message
from email.utils import formataddr, formatdate

from servicekit.config import env_bool, env_int, env_secret, env_str
from servicekit.logging import get_logger

log = get_logger("servicekit.mail")

CRLF = "\r\n"


@dataclass(frozen=True)
class MailSettings:
    host: str = "127.0.0.1"
    port: int = 2525
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    ssl: bool = False
    timeout: float = 30.0
    sender: str = "Marketing Suite <no-reply@mms.local>"
    bounce_address: str | None = None

    @classmethod
    def load(cls) -> MailSettings:
        """``MMS_SMTP_HOST/PORT/USERNAME/PASSWORD[_FILE]/STARTTLS/SSL``, ``MMS_MAIL_FROM``,
        ``MMS_MAIL_BOUNCE_ADDRESS``."""
        return cls(
            host=env_str("SMTP_HOST", "127.0.0.1"),
            port=env_int("SMTP_PORT", 2525),
            username=env_str("SMTP_USERNAME"),
            password=env_secret("SMTP_PASSWORD"),
            starttls=env_bool("SMTP_STARTTLS", False),
            ssl=env_bool("SMTP_SSL", False),
            timeout=float(env_int("SMTP_TIMEOUT", 30)),
            sender=env_str("MAIL_FROM", "Marketing Suite <no-reply@mms.local>"),
            bounce_address=env_str("MAIL_BOUNCE_ADDRESS"),
        )


class _Prepared(Compat32):
    """Header values built here are finished ASCII (encoded words): write them as they are.

    The stock policies re-parse and re-fold every header, which cost about 5 ms per message —
    more than the SMTP exchange itself when a campaign sends thousands.
    """

    def fold(self, name, value):
        return f"{name}: {value}{self.linesep}"

    def fold_binary(self, name, value):
        return self.fold(name, value).encode("ascii")


_PREPARED = _Prepared(linesep=CRLF)


def _header(value: str) -> str:
    """The value as is when it is ASCII (line breaks removed: no header injection), else RFC 2047
    encoded words."""
    if value.isascii():
        return value.replace("\r", " ").replace("\n", " ")
    return Header(value, "utf-8").encode(linesep=CRLF)


def _address(name: str | None, address: str) -> str:
    if not name:
        return address
    return formataddr((name.replace("\r", " ").replace("\n", " "), address), charset="utf-8")


def _base64(text: str) -> str:
    return base64.encodebytes(text.encode("utf-8")).decode("ascii").replace("\n", CRLF)


@dataclass
class Mail:
    """One message to one recipient: a text part and optionally an HTML alternative."""

    to: str
    subject: str
    text: str
    html: str | None = None
    to_name: str | None = None
    sender: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    message_id: str | None = None

    def build(self, default_sender: str) -> Message:
        """The MIME message, assembled directly (UTF-8, base64 bodies, CRLF line ends)."""
        message = Message(policy=_PREPARED)
        message["From"] = _header(self.sender or default_sender)
        message["To"] = _address(self.to_name, self.to)
        message["Subject"] = _header(self.subject)
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = self.message_id or f"<{secrets.token_hex(16)}@mms.local>"
        message["MIME-Version"] = "1.0"
        for name, value in self.headers.items():
            message[name] = _header(value)
        if not self.html:
            message["Content-Type"] = 'text/plain; charset="utf-8"'
            message["Content-Transfer-Encoding"] = "base64"
            message.set_payload(_base64(self.text))
            return message
        boundary = f"=_mms_{secrets.token_hex(12)}"
        message["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
        message.set_payload(
            f"--{boundary}{CRLF}"
            f'Content-Type: text/plain; charset="utf-8"{CRLF}'
            f"Content-Transfer-Encoding: base64{CRLF}{CRLF}{_base64(self.text)}"
            f"--{boundary}{CRLF}"
            f'Content-Type: text/html; charset="utf-8"{CRLF}'
            f"Content-Transfer-Encoding: base64{CRLF}{CRLF}{_base64(self.html)}"
            f"--{boundary}--{CRLF}"
        )
        return message


@dataclass(frozen=True)
class Delivery:
    """What happened to one message: sent, temporary (retry later) or permanent (hard bounce)."""

    to: str
    outcome: str
    code: int | None = None
    detail: str | None = None

    @property
    def sent(self) -> bool:
        return self.outcome == "sent"


class SmtpSender:
    """Delivers batches over one reused SMTP connection. Not thread-safe: one per thread."""

    def __init__(self, settings: MailSettings | None = None) -> None:
        self.settings = settings or MailSettings.load()
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.ssl:
            smtp = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
        if s.username:
            smtp.login(s.username, s.password or "")
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, mails: list[Mail]) -> list[Delivery]:
        """Deliver ``mails`` in order; one Delivery per mail."""
        results = []
        for mail in mails:
            results.append(self._send_one(mail, reconnect=True))
        return results

    def _send_one(self, mail: Mail, *, reconnect: bool) -> Delivery:
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            message = mail.build(self.settings.sender)
            refused = self._smtp.send_message(
                message, from_addr=self.settings.bounce_address, to_addrs=[mail.to]
            )
            if refused:
                code, detail = refused.get(mail.to, (None, b""))
                return _classify(mail.to, code, detail)
            return Delivery(mail.to, "sent", 250)
        except smtplib.SMTPRecipientsRefused as exc:
            code, detail = exc.recipients.get(mail.to, (None, b""))
            return _classify(mail.to, code, detail)
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            return _classify(mail.to, exc.smtp_code, exc.smtp_error)
        except (
            smtplib.SMTPServerDisconnected,
            ConnectionError,
            OSError,
            smtplib.SMTPConnectError,
            smtplib.SMTPHeloError,
        ) as exc:
            self._smtp = None
            if reconnect:
                return self._send_one(mail, reconnect=False)
            log.warning("smtp_unavailable", error=str(exc)[:200])
            return Delivery(mail.to, "temporary", None, f"SMTP server unavailable: {exc}")


def _classify(to: str, code: int | None, detail) -> Delivery:
    text = detail.decode(errors="replace") if isinstance(detail, bytes) else str(detail or "")
    if code is not None and 500 <= code < 600:
        return Delivery(to, "permanent", code, text)
    return Delivery(to, "temporary", code, text)
