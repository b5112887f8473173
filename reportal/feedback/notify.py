"""`reportal inbox notify`: send what the outbox holds over SMTP (stdlib `smtplib`).

One connection per run. Each mail is settled in the database as soon as the server has
accepted or refused it, so a run cut short sends nothing twice; a refused or failed mail
stays pending for the next run (the timer's interval is the back-off). A lost connection
ends the run: the mails not yet tried stay pending, untouched. Settings are checked once,
before anything is sent (`SmtpSettings.check`).
"""
from __future__ import annotations

import smtplib
import socket
import sqlite3
import ssl
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email.headerregistry import Address
from email.utils import make_msgid
from pathlib import Path
from typing import Callable

from reportal.feedback.mail import compose, outcome_class, reference_of
from reportal.feedback.outbox import (
    Pending, address_hash, forget_hashes, pending, recently_acknowledged, settle,
)
from reportal.site.config import Portal

__all__ = ["NotifyResult", "SettingsError", "SmtpSettings", "notify"]

_LOCAL = {"127.0.0.1", "::1", "localhost"}


class SettingsError(ValueError):
    """SMTP settings that cannot work (each problem in `problems`)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send: `host`, `port` (1-65535), `sender` (the From address),
    `starttls`, and `username` with `password` (both or neither), `timeout` in seconds."""

    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0

    def check(self) -> "SmtpSettings":
        """Return self, or raise `SettingsError` naming every problem. A password is only
        sent over STARTTLS (or to this machine), never in clear across a network."""
        problems = []
        if not self.host.strip():
            problems.append("--smtp-host is empty")
        if not 0 < self.port < 65536:
            problems.append(f"--smtp-port {self.port} is not a port (1-65535)")
        try:
            Address(addr_spec=self.sender)
            if "@" not in self.sender:
                raise ValueError
        except (ValueError, IndexError, TypeError):
            problems.append(f"--from {self.sender!r} is not an email address (name@domain)")
        if (self.username is None) != (self.password is None):
            problems.append("give both --username and --password-env, or neither")
        if self.username is not None and not self.starttls and self.host not in _LOCAL:
            problems.append("--username needs --starttls: a password is never sent in clear")
        if problems:
            raise SettingsError(problems)
        return self


@dataclass
class NotifyResult:
    """What one run did: lines `sent`, `failed`, `skipped`, `dropped`, `waiting` — each
    `"<kind> <REFERENCE>"` plus, for failures, the SMTP code and error class."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    stopped: str | None = None  # why the run ended early (connection lost), if it did

    def summary(self) -> str:
        """One line of counts."""
        text = (f"sent {len(self.sent)}, failed {len(self.failed)} (kept for the next run), "
                f"skipped {len(self.skipped)}, dropped {len(self.dropped)}, waiting {len(self.waiting)}")
        return text + (f"; stopped: {self.stopped}" if self.stopped else "")


def _error_text(exc: BaseException) -> str:
    """The SMTP code and class of a failure, never the server's words (they may quote the address)."""
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code = next(iter(exc.recipients.values()))[0]
    return f"{code} {type(exc).__name__}" if code else type(exc).__name__


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        smtp.ehlo()
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.username is not None:
            smtp.login(settings.username, settings.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def notify(db: sqlite3.Connection, settings: SmtpSettings, *, key: bytes, portals: dict[str, Portal],
           hotline: str, translations_dir: Path, now: Callable[[], datetime] | None = None) -> NotifyResult:
    """Send every pending mail of the outbox in `db` (see module doc); returns what happened.

    `portals` (code → Portal) gives each mail its local help lines; `hotline` names the
    sender in the text. Raises `OSError`/`smtplib.SMTPException` only if the first
    connection cannot be made (no mail was tried then; skipped and dropped ones are settled)."""
    clock = now or (lambda: datetime.now(timezone.utc))
    result = NotifyResult()
    forget_hashes(db, clock())
    todo = pending(db)
    if not todo:
        return result
    smtp: smtplib.SMTP | None = None
    acks: dict[str, str] = {}  # report id → what became of its acknowledgement in this run
    try:
        for mail in todo:
            label = f"{mail.kind} {reference_of(mail.report_id)}"
            if not mail.email:
                settle(db, mail.id, "dropped", now=clock(), reason="email-deleted")
                result.dropped.append(label + " (email deleted)")
                acks[mail.report_id] = "dropped"
                continue
            digest = address_hash(key, mail.email)
            if mail.kind == "ack" and recently_acknowledged(db, digest, clock()):
                settle(db, mail.id, "skipped", now=clock(), reason="limit")
                result.skipped.append(label + " (this address had one in the last 24 hours)")
                acks[mail.report_id] = "skipped"
                continue
            outcome = None
            if mail.kind == "outcome":
                ack_state = acks.get(mail.report_id, mail.ack_state)
                if ack_state in ("skipped", "dropped"):
                    settle(db, mail.id, "skipped", now=clock(), reason="no-ack")
                    result.skipped.append(label + " (its acknowledgement was not sent)")
                    continue
                outcome = outcome_class(list(mail.outcomes))
                if ack_state == "pending" or outcome is None:
                    result.waiting.append(label)
                    continue
            text = compose(mail.kind, lang=mail.lang, reference=reference_of(mail.report_id),  # type: ignore[arg-type]
                           received=date.fromisoformat(mail.received_at[:10]), hotline=hotline,
                           portal=portals.get(mail.portal), translations_dir=translations_dir, outcome=outcome)
            try:
                # the parsed mailbox alone: RFC 5322 comments typed around it ("(text)a@b.c") dropped
                recipient = Address(addr_spec=mail.email.strip()).addr_spec
                message = text.message(settings.sender, recipient, hotline)
            except (ValueError, IndexError, TypeError):  # a line break, no @, … (never quoted: it is typed)
                settle(db, mail.id, "dropped", now=clock(), reason="address-invalid")
                result.dropped.append(label + " (the address cannot be written to)")
                acks[mail.report_id] = "dropped"
                continue
            message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2])
            try:
                if smtp is None:
                    smtp = _connect(settings)
                smtp.send_message(message)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError,
                    smtplib.SMTPNotSupportedError) as exc:
                settle(db, mail.id, "pending", now=clock(), error=_error_text(exc))
                result.failed.append(f"{label}: {_error_text(exc)}")
                if mail.kind == "ack":
                    acks[mail.report_id] = "pending"
                if smtp is not None and smtp.sock is None:  # 421: the server ended the session
                    smtp = None  # the next mail connects again
                _reset(smtp)
                continue
            except (smtplib.SMTPException, OSError, socket.timeout) as exc:
                if smtp is None and not result.sent and not result.failed:
                    raise
                settle(db, mail.id, "pending", now=clock(), error=_error_text(exc))
                result.failed.append(f"{label}: {_error_text(exc)}")
                result.stopped = f"the connection failed ({_error_text(exc)}); the rest wait for the next run"
                if smtp is not None:
                    smtp.close()
                smtp = None
                break
            settle(db, mail.id, "sent", now=clock(), digest=digest)
            result.sent.append(label)
            if mail.kind == "ack":
                acks[mail.report_id] = "sent"
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
    return result


def _reset(smtp: smtplib.SMTP | None) -> None:
    """After a refused mail, make the connection ready for the next one (RSET)."""
    if smtp is not None:
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            pass
