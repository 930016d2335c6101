"""A real SMTP server in the test process (aiosmtpd) that keeps what it receives.

Recipients can ask for failures, so tests exercise the sender's classification: a local part
starting with ``bounce`` is refused with 550 (hard bounce), ``tempfail`` with 451 (try later).
The development sink of ``make run`` (deploy/local/mailsink.py) uses the same handler.
"""

from __future__ import annotations

import email
import email.policy
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def body(self, subtype: str = "plain") -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else ""


@dataclass
class SinkHandler:
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_message: object = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        local = address.split("@", 1)[0].lower()
        if local.startswith("bounce"):
            return "550 5.1.1 No such user here"
        if local.startswith("tempfail"):
            return "451 4.3.0 Mailbox temporarily unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        item = Received(envelope.mail_from, list(envelope.rcpt_tos), message, raw)
        with self.lock:
            self.messages.append(item)
        if self.on_message is not None:
            self.on_message(item)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if address in m.rcpt_tos]


class SmtpSink:
    """Start with ``SmtpSink().start()``; ``.port``, ``.messages``, ``.stop()``."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.handler = SinkHandler()
        if port == 0:
            from servicekit.testing.servers import free_port

            port = free_port()
        self.host, self.port = host, port
        self.controller = Controller(self.handler, hostname=host, port=port)

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def to(self, address: str) -> list[Received]:
        return self.handler.to(address)

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
