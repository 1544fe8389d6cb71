"""A local SMTP server for demos and tests: every message delivered to it is written to a folder as an .eml file.

``crmwh mailsink`` runs it on 127.0.0.1:8025 (the production profile's default SMTP server) writing to
``var/outbox/``; the report tests start it in-process on a free port. It relays nothing and accepts mail only on the
loopback interface.

File names sort in arrival order: ``<UTC time>-<sequence>-<first recipient>.eml``; the file holds the message as
received plus ``X-Crmwh-Envelope-To`` with the envelope recipients (Bcc never appears in the headers).
"""

from __future__ import annotations

import itertools
import os
import re
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from contracts.errors import CrmwhError

ENVELOPE_HEADER = "X-Crmwh-Envelope-To"


class MailSinkError(CrmwhError):
    """The mail sink cannot start (port in use, folder not writable)."""


class _OutboxHandler:
    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox
        self._sequence = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        recipients = [str(r) for r in envelope.rcpt_tos]
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        first = re.sub(r"[^A-Za-z0-9@._-]", "_", recipients[0] if recipients else "nobody")
        name = f"{stamp}-{next(self._sequence):05d}-{first}.eml"
        header = f"{ENVELOPE_HEADER}: {', '.join(recipients)}\r\n".encode()
        content = envelope.original_content or envelope.content
        tmp = self.outbox / f".{name}.part"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(header + content)
        os.replace(tmp, self.outbox / name)  # readers never see half a message
        return "250 Message accepted for delivery"


class MailSink:
    """An SMTP server on ``host:port`` writing into ``outbox``; ``start()``/``stop()`` or a ``with`` block."""

    def __init__(self, outbox: Path, host: str = "127.0.0.1", port: int = 8025) -> None:
        self.outbox = outbox
        self.host = host
        self.port = port
        self._controller: Controller | None = None

    def start(self) -> MailSink:
        self.outbox.mkdir(parents=True, exist_ok=True)
        controller = Controller(_OutboxHandler(self.outbox), hostname=self.host, port=self.port)
        try:
            controller.start()
        except (OSError, RuntimeError) as exc:
            raise MailSinkError(
                f"cannot listen on {self.host}:{self.port} ({exc}): is another mail sink running?"
            ) from None
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def read_outbox(outbox: Path) -> list[EmailMessage]:
    """Every message in the folder, oldest first (parsed with the modern e-mail policy)."""
    messages = []
    for path in sorted(outbox.glob("*.eml")):
        parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        messages.append(parsed)
    return messages


def envelope_recipients(message: EmailMessage) -> list[str]:
    value = str(message.get(ENVELOPE_HEADER, ""))
    return [r.strip() for r in value.split(",") if r.strip()]
