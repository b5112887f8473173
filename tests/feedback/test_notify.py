"""Feedback mails over a real SMTP server on 127.0.0.1 (aiosmtpd): the outbox, `inbox notify`."""
from __future__ import annotations

import email
import email.policy
import sqlite3
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Iterator

import pytest
from aiosmtpd.controller import Controller

from reportal.cli import main
from reportal.feedback.notify import SettingsError, SmtpSettings
from reportal.inbox.store import Store
from reportal.local_aws import free_port
from reportal.feedback.mail import ASSESSED, NEVER_SENT, OUTCOME_CLASSES, RECEIVED, SUBJECTS
from reportal.site.catalogs import load_translations
from reportal.site.config import load_config
from tests.support import ROOT

URL = "https://example.com/hidden/gallery-4711"
NOTES = "Lo vi en un foro, página 3, usuario zorro_azul"


class Mailbox:
    """An aiosmtpd handler that keeps every accepted message and can refuse the first
    `refuse` recipients with a temporary error (450)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse = 0
        self.end_session_at: int | None = None  # answer the n-th DATA with 421 (the server closes)
        self.data_seen = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse:
            self.refuse -= 1
            return "450 4.2.1 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_seen += 1
        if self.data_seen == self.end_session_at:
            return "421 4.3.2 service shutting down, try later"
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1 and a free port: (its mailbox, the port)."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()


def report(email_address: str | None, **fields: Any) -> dict[str, Any]:
    """A Spanish report on the Belize portal (sites/bz.yaml: en, es)."""
    return {"report_id": uuid.uuid4().hex, "received_at": "2026-11-03T09:15:00Z", "portal": "bz", "lang": "es",
            "urls": [{"typed": URL.removeprefix("https://"), "normalized": URL}], "kind": "image",
            "notes": NOTES, "referrer": "https://foro.example.net/t/99", "email": email_address, **fields}


def notify(db: Path, port: int) -> int:
    return main(["--root", str(ROOT), "inbox", "notify", "--smtp-host", "127.0.0.1", "--smtp-port", str(port),
                 "--from", "hotline@example.org", "--db", str(db)])


def es(msgid: str, **values: str) -> str:
    """`msgid` as the Spanish catalog says it (the wording is the translators'; these tests
    prove the mail is in the report's language and has the right sentence)."""
    text = load_translations(ROOT / "translations", "es").gettext(msgid)
    assert text != msgid, f"no Spanish for {msgid!r}"
    return text % values if values else text


def body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]


def outbox(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT kind, state, reason, attempts, last_error FROM outbox ORDER BY id").fetchall()


def assert_nothing_typed(message: EmailMessage) -> None:
    text = message.as_string() + body(message)
    for typed in (URL, "example.com", "gallery-4711", NOTES, "zorro_azul", "foro.example.net"):
        assert typed not in text


def test_spanish_report_gets_a_spanish_acknowledgement_then_its_outcome(tmp_path: Path, smtp, capsys) -> None:
    mailbox, port = smtp
    db = tmp_path / "inbox.sqlite"
    # GIVEN a Spanish report with an email address, stored by the inbox
    first = report("Ana.Reporter@example.org")
    with Store(db) as store:
        store.add_many([first])
    reference = first["report_id"][:8].upper()
    # WHEN notify runs
    assert notify(db, port) == 0
    # THEN one Spanish acknowledgement with the short reference reaches the address
    [ack] = mailbox.messages
    assert mailbox.envelopes == [("hotline@example.org", ["Ana.Reporter@example.org"])]
    assert ack["Subject"] == es(SUBJECTS["ack"], name="Internet Watch Foundation", reference=reference)
    assert ack["Content-Language"] == "es" and ack["Auto-Submitted"] == "auto-generated"
    assert ack["From"] == "Internet Watch Foundation <hotline@example.org>"
    text = body(ack)
    assert es(RECEIVED, date="3 de noviembre de 2026", reference=reference) in text
    assert es(NEVER_SENT) in text
    line = next(p for p in load_config(ROOT / "sites").portals if p.code == "bz").help[0]  # sites/bz.yaml
    assert f"Si necesita ayuda ahora:\n- {line.label['es']}: {line.phone}" in text
    assert_nothing_typed(ack)
    assert f"sent ack {reference}" in capsys.readouterr().out
    # WHEN an analyst assesses its only URL as criminal, and notify runs again
    with Store(db) as store:
        store.assess(first["report_id"], 1, outcome="baseline", analyst="ana")
    assert notify(db, port) == 0
    # THEN the outcome mail says so in Spanish, again without anything the reporter typed
    outcome = mailbox.messages[1]
    assert outcome["Subject"] == es(SUBJECTS["outcome"], name="Internet Watch Foundation", reference=reference)
    assert es(ASSESSED, reference=reference) + "\n\n" + es(OUTCOME_CLASSES["criminal"]) in body(outcome)
    assert_nothing_typed(outcome)
    # AND a third run sends nothing: each mail went once
    assert notify(db, port) == 0
    assert len(mailbox.messages) == 2
    assert outbox(db) == [("ack", "sent", None, 1, None), ("outcome", "sent", None, 1, None)]


def test_a_refused_mail_stays_and_goes_once_on_the_next_run(tmp_path: Path, smtp, capsys) -> None:
    mailbox, port = smtp
    db = tmp_path / "inbox.sqlite"
    # GIVEN a stored report with an email, and a server that refuses the first attempt (450)
    first = report("ana@example.org")
    with Store(db) as store:
        store.add_many([first])
    mailbox.refuse = 1
    # WHEN notify runs, THEN it reports the failure, exits 1, and the mail stays pending
    assert notify(db, port) == 1
    out = capsys.readouterr().out
    assert f"failed ack {first['report_id'][:8].upper()}: 450 SMTPRecipientsRefused; kept for the next run" in out
    assert "ana@example.org" not in out
    assert mailbox.messages == []
    assert outbox(db) == [("ack", "pending", None, 1, "450 SMTPRecipientsRefused")]
    # WHEN notify runs again, THEN the mail is delivered, once, and a later run sends nothing more
    assert notify(db, port) == 0
    assert notify(db, port) == 0
    assert len(mailbox.messages) == 1
    assert outbox(db) == [("ack", "sent", None, 2, None)]


def test_a_session_ended_by_the_server_costs_one_attempt_and_the_rest_go(tmp_path: Path, smtp, capsys) -> None:
    mailbox, port = smtp
    db = tmp_path / "inbox.sqlite"
    # GIVEN three reports with three addresses, and a server that ends the session at the second mail
    with Store(db) as store:
        store.add_many([report(f"r{n}@example.org") for n in range(3)])
    mailbox.end_session_at = 2
    # WHEN notify runs, THEN the second is kept for the next run and the third goes on a new connection
    assert notify(db, port) == 1
    assert "421 SMTPDataError; kept for the next run" in capsys.readouterr().out
    assert [to for _, [to] in mailbox.envelopes] == ["r0@example.org", "r2@example.org"]
    assert outbox(db) == [("ack", "sent", None, 1, None), ("ack", "pending", None, 1, "421 SMTPDataError"),
                          ("ack", "sent", None, 1, None)]
    # AND the next run delivers it, once
    assert notify(db, port) == 0
    assert [to for _, [to] in mailbox.envelopes] == ["r0@example.org", "r2@example.org", "r1@example.org"]


def test_an_unreachable_server_leaves_every_mail_in_the_outbox(tmp_path: Path, capsys) -> None:
    db = tmp_path / "inbox.sqlite"
    with Store(db) as store:
        store.add_many([report("ana@example.org")])
    # GIVEN no server listening, WHEN notify runs, THEN it says so and nothing is settled
    assert notify(db, free_port()) == 1
    assert "cannot reach the mail server" in capsys.readouterr().err
    assert outbox(db) == [("ack", "pending", None, 0, None)]


def test_one_acknowledgement_per_address_per_day(tmp_path: Path, smtp) -> None:
    mailbox, port = smtp
    db = tmp_path / "inbox.sqlite"
    # GIVEN three reports naming one address (spelt differently), and one with no address
    a, b, c = report("victim@example.org"), report(" Victim@Example.ORG"), report("victim@example.org")
    with Store(db) as store:
        store.add_many([a, b, report(None)])
    # WHEN notify runs (twice, and a third report arrives in between)
    assert notify(db, port) == 0
    with Store(db) as store:
        store.add_many([c])
    assert notify(db, port) == 0
    # THEN only the first acknowledgement is sent; the others are skipped, not sent later
    assert len(mailbox.messages) == 1
    assert outbox(db) == [("ack", "sent", None, 1, None), ("ack", "skipped", "limit", 0, None),
                          ("ack", "skipped", "limit", 0, None)]
    # AND an unacknowledged report's outcome is not sent either
    with Store(db) as store:
        store.assess(b["report_id"], 1, outcome="not-illegal", analyst="ana")
    assert notify(db, port) == 0
    assert len(mailbox.messages) == 1
    assert outbox(db)[-1] == ("outcome", "skipped", "no-ack", 0, None)
    # AND the stored hash is keyed: not a plain digest of the address
    with sqlite3.connect(db) as conn:
        [digest] = [r[0] for r in conn.execute("SELECT address_hash FROM outbox WHERE address_hash IS NOT NULL")]
    import hashlib
    assert digest not in {hashlib.sha256(b"victim@example.org").hexdigest()}
    assert (tmp_path / "inbox.sqlite.mailkey").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(("outcomes", "sentence"), [
    (["national"], "criminal"), (["not-illegal"], "not-criminal"), (["unavailable"], "unreachable"),
    (["out-of-remit"], "out-of-remit"), (["unavailable", "baseline"], "criminal"),
    (["unavailable", "out-of-remit"], "out-of-remit"), (["not-illegal", "unavailable"], "not-criminal"),
])
def test_outcome_mail_says_one_of_four_plain_things(tmp_path: Path, smtp, outcomes, sentence) -> None:
    sentence = OUTCOME_CLASSES[sentence]
    mailbox, port = smtp
    db = tmp_path / "inbox.sqlite"
    urls = [f"https://example.com/{n}" for n in range(len(outcomes))]
    one = report("ana@example.org", urls=[{"typed": u, "normalized": u} for u in urls])
    with Store(db) as store:
        store.add_many([one])
        for n, outcome in enumerate(outcomes, 1):
            store.assess(one["report_id"], n, outcome=outcome, analyst="ana")
    assert notify(db, port) == 0
    reference = one["report_id"][:8].upper()
    assert [m["Subject"] for m in mailbox.messages] == [
        es(SUBJECTS[kind], name="Internet Watch Foundation", reference=reference) for kind in ("ack", "outcome")]
    assert es(sentence) in body(mailbox.messages[1])
    assert sum(es(other) in body(mailbox.messages[1]) for other in OUTCOME_CLASSES.values()) == 1


def test_a_mail_whose_address_was_purged_is_dropped(tmp_path: Path, smtp) -> None:
    mailbox, port = smtp
    db = tmp_path / "inbox.sqlite"
    with Store(db) as store:
        store.add_many([report("ana@example.org")])
        store.db.execute("UPDATE reports SET email = NULL")  # as `inbox purge` does after email_days
    assert notify(db, port) == 0
    assert mailbox.messages == []
    assert outbox(db) == [("ack", "dropped", "email-deleted", 0, None)]


def test_an_address_that_cannot_be_a_header_is_dropped_and_the_run_goes_on(tmp_path: Path, smtp, capsys) -> None:
    mailbox, port = smtp
    db = tmp_path / "inbox.sqlite"
    # GIVEN a report whose "address" would inject a header, then a normal one
    with Store(db) as store:
        store.add_many([report("a@mail.example\r\nBcc: many@else.example"), report("ana@example.org")])
    # WHEN notify runs, THEN the first is dropped (never quoted), the second sent, nothing injected
    assert notify(db, port) == 0
    assert "many@else.example" not in capsys.readouterr().out
    assert mailbox.envelopes == [("hotline@example.org", ["ana@example.org"])]
    assert outbox(db) == [("ack", "dropped", "address-invalid", 0, None), ("ack", "sent", None, 1, None)]


@pytest.mark.parametrize(("settings", "problems"), [
    (SmtpSettings("", 0, "nobody"), ["--smtp-host is empty", "--smtp-port 0 is not a port (1-65535)",
                                      "--from 'nobody' is not an email address (name@domain)"]),
    (SmtpSettings("mail.example.org", 587, "h@example.org", username="u"),
     ["give both --username and --password-env, or neither", "--username needs --starttls: a password is "
                                                             "never sent in clear"]),
])
def test_settings_are_checked_once_with_every_problem(settings: SmtpSettings, problems: list[str]) -> None:
    with pytest.raises(SettingsError) as caught:
        settings.check()
    assert caught.value.problems == problems


def test_cli_refuses_a_missing_password_variable(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("NO_SUCH_SMTP_PASSWORD", raising=False)
    code = main(["inbox", "notify", "--smtp-host", "mail.example.org", "--smtp-port", "587", "--from",
                 "h@example.org", "--starttls", "--username", "u", "--password-env", "NO_SUCH_SMTP_PASSWORD",
                 "--db", str(tmp_path / "x.sqlite")])
    assert code == 2
    assert "NO_SUCH_SMTP_PASSWORD: that environment variable is not set" in capsys.readouterr().err


def test_a_comment_typed_around_the_address_never_reaches_the_mail(tmp_path: Path, smtp) -> None:
    mailbox, port = smtp
    db = tmp_path / "inbox.sqlite"
    # GIVEN an address with RFC 5322 comments around it (no space: the form's check lets it through)
    typed = "(Pay-the-fine-at-evil.example)ana@example.org(call-555-0100)"
    with Store(db) as store:
        store.add_many([report(typed)])
    # WHEN notify runs THEN the mail goes to the mailbox alone: the typed comments are in no header
    assert notify(db, port) == 0
    assert mailbox.envelopes == [("hotline@example.org", ["ana@example.org"])]
    (message,) = mailbox.messages
    assert message["To"] == "ana@example.org"
    assert "evil.example" not in message.as_string() and "555-0100" not in message.as_string()
