"""The two feedback mails a reporter can get, as plain text in the report's language.

An acknowledgement ("ack": received, with a short reference) and, once every URL of the
report is assessed, an outcome mail saying one of four things (/work/shared/DESIGN.md,
"Hotline side"). Both are built only from the report's language, portal, reference and
date, the outcome class, the hotline's name and the portal's help lines (config): never
from a URL, a note or anything else the reporter typed. Every mail says what to do if
you never sent a report. Texts come from the same gettext catalogs as the pages
(`pybabel extract` finds them through `N_`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from babel.dates import format_date

from reportal.site.catalogs import language, load_translations, locale_id
from reportal.site.config import Portal

__all__ = ["OUTCOME_CLASSES", "Mail", "compose", "outcome_class", "reference_of"]

Kind = Literal["ack", "outcome"]


def N_(message: str) -> str:
    """Mark `message` for extraction; translated when a mail is composed."""
    return message


SUBJECTS: dict[str, str] = {
    "ack": N_("Your report to %(name)s was received (reference %(reference)s)"),
    "outcome": N_("Your report to %(name)s has been assessed (reference %(reference)s)"),
}
RECEIVED = N_("Thank you for your report. We received it on %(date)s; its reference is %(reference)s.")
NEXT = N_("An analyst will assess it. We will write to you once more to tell you what we found.")
ASSESSED = N_("We have assessed your report %(reference)s.")
# Outcome class → the one sentence an outcome mail says (DESIGN.md's plain words).
OUTCOME_CLASSES: dict[str, str] = {
    "criminal": N_("We found criminal content and are working to have it removed."),
    "not-criminal": N_("We did not find criminal content."),
    "unreachable": N_("We could not reach the content."),
    "out-of-remit": N_("This was outside what we can act on."),
}
THANKS = N_("Thank you for reporting.")
NOTHING_TYPED = N_("For your safety, this message never repeats the web addresses or anything else you typed.")
NEVER_SENT = N_("If you did not send a report to us, someone else typed your email address into our form. "
                "You do not need to do anything: ignore this message.")
HELP = N_("If you need help now:")

# Outcome values (reportal.inbox.vocabulary) → class, strongest first: one criminal URL
# makes the report's mail say so; `duplicate` URLs count as their group's first report's.
_CLASS_OF = {"baseline": "criminal", "national": "criminal", "not-illegal": "not-criminal",
             "out-of-remit": "out-of-remit", "unavailable": "unreachable"}
_ORDER = ("criminal", "not-criminal", "out-of-remit", "unreachable")


@dataclass(frozen=True)
class Mail:
    """A composed mail: `subject` and `body` (plain text), `lang` (BCP 47) it is written in."""

    subject: str
    body: str
    lang: str

    def message(self, sender: str, recipient: str, sender_name: str | None = None) -> EmailMessage:
        """The mail as an RFC 5322 message (UTF-8 text/plain, Content-Language set), from
        `sender` shown as `sender_name` (the hotline's name). Raises `ValueError` for an
        address that cannot be a header (a line break, …)."""
        msg = EmailMessage()
        msg["From"] = Address(display_name=sender_name or "", addr_spec=sender)
        msg["To"], msg["Subject"] = recipient, self.subject
        msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
        msg.set_content(self.body, subtype="plain", charset="utf-8",
                        cte="7bit" if self.body.isascii() else "quoted-printable")
        msg["Content-Language"] = self.lang  # after set_content, which clears Content-* headers
        return msg


def reference_of(report_id: str) -> str:
    """The short reference a reporter is given: the first 8 characters of the report id,
    upper case (analysts find the report with `inbox show REF`, a unique prefix)."""
    return report_id[:8].upper()


def outcome_class(outcomes: list[str]) -> str | None:
    """The class of a report's outcomes (one value per URL; `duplicate` left out by the
    caller or resolved): criminal > not-criminal > out-of-remit > unreachable; None when
    no outcome gives a class (every URL a duplicate of something not yet assessed)."""
    found = {_CLASS_OF[o] for o in outcomes if o in _CLASS_OF}
    return next((c for c in _ORDER if c in found), None)


def _help_lines(portal: Portal | None, lang: str) -> list[str]:
    lines = []
    for entry in portal.help if portal else []:
        label = entry.label.get(lang) or entry.label.get(portal.default_language) or ""  # type: ignore[union-attr]
        where = " ".join(x for x in (entry.phone, entry.url) if x)
        lines.append(f"- {label}: {where}")
    return lines


def compose(kind: Kind, *, lang: str, reference: str, received: date, hotline: str,
            portal: Portal | None, translations_dir: Path, outcome: str | None = None) -> Mail:
    """The `kind` mail for a report, in `lang` (its catalog, English without one).

    `outcome` (an `OUTCOME_CLASSES` key) is required for an outcome mail. `portal` gives the
    local help lines (None when the portal is no longer configured: no help list). Raises
    `KeyError` for an unknown outcome class."""
    t = load_translations(translations_dir, lang)
    _ = t.gettext
    values = {"name": hotline, "reference": reference}
    try:
        when = format_date(received, format="long", locale=locale_id(language(lang).tag))
    except (ValueError, LookupError):
        when = received.isoformat()
    if kind == "ack":
        paragraphs = [_(RECEIVED) % {**values, "date": when}, _(NEXT)]
    else:
        paragraphs = [_(ASSESSED) % values, _(OUTCOME_CLASSES[outcome or ""]), _(THANKS)]
    paragraphs += [_(NOTHING_TYPED), _(NEVER_SENT)]
    help_lines = _help_lines(portal, lang)
    if help_lines:
        paragraphs.append("\n".join([_(HELP)] + help_lines))
    paragraphs.append(hotline)
    return Mail(subject=_(SUBJECTS[kind]) % values, body="\n\n".join(paragraphs) + "\n", lang=lang)
