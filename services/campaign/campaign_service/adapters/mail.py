"""Campaign emails for :class:`servicekit.mail.SmtpSender`, built for bulk sending.

``servicekit.mail.Mail`` builds an ``EmailMessage`` with the modern policy, whose header parsing
and refolding cost about 5 ms per message here - more than the SMTP exchange itself. A campaign
message has a fixed, simple shape (text and HTML alternatives, a handful of headers), so this
``Mail`` assembles it directly: RFC 2047 encoded words for non-ASCII headers, base64 bodies,
CRLF line ends, and a compat32 ``Message`` whose payload is the finished multipart body (the
generator writes such a payload as it is). The result is what the modern policy would send,
about ten times cheaper to produce.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from email._policybase import Compat32
from email.header import Header
from email.message import Message
from email.utils import formataddr, formatdate

from servicekit.mail import Mail

CRLF = "\r\n"


class _Prepared(Compat32):
    """Header values here are finished ASCII (encoded words, folded): write them as they are.

    The stock policies re-parse and re-fold every header, which is most of the cost of
    flattening a message.
    """

    def fold(self, name, value):
        return f"{name}: {value}{self.linesep}"

    def fold_binary(self, name, value):
        return self.fold(name, value).encode("ascii")


PREPARED = _Prepared(linesep=CRLF)


def _header(value: str) -> str:
    """The value as is when it is ASCII, else RFC 2047 encoded words folded with CRLF."""
    if value.isascii():
        return value.replace("\r", " ").replace("\n", " ")
    return Header(value, "utf-8").encode(linesep=CRLF)


def _address(name: str | None, address: str) -> str:
    if not name:
        return address
    return formataddr((name.replace("\r", " ").replace("\n", " "), address), charset="utf-8")


def _part(subtype: str, text: str) -> str:
    encoded = base64.encodebytes(text.encode("utf-8")).decode("ascii").replace("\n", CRLF)
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: base64{CRLF}{CRLF}{encoded}"
    )


@dataclass
class CampaignMail(Mail):
    """A text + HTML campaign message; ``sender`` is a full From header value."""

    def build(self, default_sender: str) -> Message:
        message = Message(policy=PREPARED)
        message["From"] = self.sender or default_sender
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
            message.set_payload(
                base64.encodebytes(self.text.encode("utf-8")).decode("ascii").replace("\n", CRLF)
            )
            return message
        boundary = f"=_mms_{secrets.token_hex(12)}"
        message["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
        message.set_payload(
            f"--{boundary}{CRLF}{_part('plain', self.text)}"
            f"--{boundary}{CRLF}{_part('html', self.html)}"
            f"--{boundary}--{CRLF}"
        )
        return message
