"""A report's fields, declared once (DESIGN.md, "Form → function" and "Envelope v1").

`FIELDS` lists every field of the report form in form order. Everything that handles a
report follows it: the function's parsing and checks (`reportal.submit.form`), the form
(`templates/_field.html`, one macro per field), the envelope plaintext
(`reportal.envelope.check_plaintext`, `Report.as_envelope`), the inbox (`reportal.inbox.store`
keeps each plaintext whole), the analysts' views and exports (`reportal.inbox.export`, the
workbench's report page) and `docs/openapi.yaml` (a test holds it equal). Adding an optional field is one `Field(...)` here,
its msgids in the catalogs (`make messages`) and its line in docs/openapi.yaml.

A field's `kind` says how it is checked and shown:

=========  =================================================================================
context    hidden input from the page (`portal`, `lang`), checked against the built portals
url        the reported addresses: repeatable, each normalized (``urls: [{typed, normalized}]``
           in the envelope); codes ``url-missing``, ``url-too-many``, ``url-too-long``,
           ``url-scheme``, ``url-invalid``
address    one address or text (`referrer`), kept as typed but trimmed; an active scheme is
           refused (``url-scheme``), as is one over `max_chars` (``url-too-long``)
choice     one of `choices`, or nothing (``<name>-invalid``)
text       free text over several lines, kept exactly as typed; a CRLF counts as one code
           point, as a textarea's ``maxlength`` counts it (``<name>-too-long``)
line       one line of free text, trimmed (``<name>-too-long``)
email      an email address, trimmed, loosely checked (``email-invalid``, ``email-too-long``)
honeypot   hidden from people; filled only by bots (the report is then thanked, never sent)
=========  =================================================================================

Consumers read `FIELDS` when they run, never copy it at import, so a test may replace it.
Limits are in Unicode code points, as the form's ``maxlength`` counts them. Labels, hints and
messages are gettext msgids (English source text), marked with `N_` for ``pybabel extract``.
This module imports nothing beyond the standard library: the function loads it at cold start.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

__all__ = [
    "ANALYST_VIEWS", "FIELDS", "FIELD_KINDS", "MAX_EMAIL_CHARS", "MAX_NOTES_CHARS", "MAX_URLS", "MAX_URL_CHARS",
    "Choice", "Field", "N_", "by_name", "envelope_fields", "form_values", "optional_fields", "reporter_answers",
    "seen_in",
]

MAX_URL_CHARS = 8192   # code points; also the limit of a referrer
MAX_URLS = 10          # non-empty url values per report
MAX_NOTES_CHARS = 5000
MAX_EMAIL_CHARS = 320  # RFC 3696 §3: 64 local + @ + 255 domain
FIELD_KINDS = ("context", "url", "address", "choice", "text", "line", "email", "honeypot")
# Where analysts see a field: `inbox list`'s one line per report, `inbox show`, the CSV export
# (the JSON/JSONL exports always hold the whole plaintext).
ANALYST_VIEWS = frozenset({"list", "show", "export"})


def N_(message: str) -> str:
    """Mark `message` for extraction; translated when shown."""
    return message


@dataclass(frozen=True)
class Choice:
    """One option of a ``choice`` field: the `value` sent and its `label` msgid."""

    value: str
    label: str


@dataclass(frozen=True)
class Field:
    """One field of the report form.

    `name` is the form control's name (``<input name>``) and, unless `envelope` says otherwise,
    the key in the envelope plaintext (None: never sent). `max_chars` limits each value in code
    points; `max_values` > 1 makes the field repeatable (several inputs of one name, the form
    offering `inputs` of them). `label`, `hint` and `more_label` (the label of a repeated input
    after the first) are msgids; `too_long` is the message of the ``<name>-too-long`` code.
    `analysts` is a subset of `ANALYST_VIEWS`; `analyst_label` names the field in the workbench
    (English; default: the name, capitalized).
    """

    name: str
    kind: str
    label: str = ""
    hint: str = ""
    required: bool = False
    max_chars: int | None = None
    max_values: int = 1
    inputs: int = 1
    more_label: str = ""
    choices: tuple[Choice, ...] = ()
    too_long: str = ""
    envelope: str | None = ""
    analysts: frozenset[str] = ANALYST_VIEWS
    analyst_label: str = ""

    def __post_init__(self) -> None:
        if self.kind not in FIELD_KINDS:
            raise ValueError(f"field {self.name!r}: kind {self.kind!r} is not one of {FIELD_KINDS}")
        if not self.analysts <= ANALYST_VIEWS:
            raise ValueError(f"field {self.name!r}: analysts {sorted(self.analysts)} not within {sorted(ANALYST_VIEWS)}")
        if self.envelope == "":
            object.__setattr__(self, "envelope", self.name)
        if not self.analyst_label:
            object.__setattr__(self, "analyst_label", self.name.replace("_", " ").capitalize())

    @property
    def repeatable(self) -> bool:
        """True if the form may send several values under this name."""
        return self.max_values > 1

    @property
    def too_long_code(self) -> str:
        """The error code of a value over `max_chars`."""
        return "url-too-long" if self.kind in ("url", "address") else f"{self.name}-too-long"


FIELDS: tuple[Field, ...] = (
    Field("portal", "context"),
    Field("lang", "context", analyst_label="Language"),
    Field("url", "url", required=True, max_chars=MAX_URL_CHARS, max_values=MAX_URLS, inputs=3, envelope="urls",
          label=N_("Web address (URL) where you saw the images"),
          hint=N_("Copy the whole address from your browser's address bar. You do not need to visit the page again."),
          more_label=N_("Another web address (optional)"), analyst_label="URL"),
    Field("kind", "choice", label=N_("What did you see? (optional)"), analysts=frozenset({"show", "export"}),
          analyst_label="What they saw",
          choices=(Choice("image", N_("Images")), Choice("video", N_("Videos")),
                   Choice("website", N_("A whole website")), Choice("other", N_("Something else")))),
    Field("notes", "text", max_chars=MAX_NOTES_CHARS, analysts=frozenset({"show", "export"}),
          label=N_("Anything else that helps us find the images (optional)"),
          hint=N_("For example: where on the page they are, or whether a login is needed. Do not include your name."),
          too_long=N_("Your notes can be at most %(max)s characters long. Please shorten them.")),
    Field("referrer", "address", max_chars=MAX_URL_CHARS, analysts=frozenset({"show", "export"}),
          analyst_label="Came from", label=N_("Web address of the page that led you there (optional)")),
    Field("email", "email", max_chars=MAX_EMAIL_CHARS, analysts=frozenset({"show", "export"}),
          analyst_label="Email for feedback", label=N_("Your email address (optional)"),
          hint=N_("Only if you want us to tell you what happened. Leave it empty to stay anonymous."),
          too_long=N_("An email address can be at most %(max)s characters long.")),
    # The spam trap, under a name no browser autofill or form history knows: a field named
    # "website", "url" or "email" gets filled by autofill, and a real reporter would be thanked
    # and dropped (templates/_field.html: hidden, autocomplete="off", out of the tab order).
    Field("trap", "honeypot", label=N_("Leave this field empty"), envelope=None, analysts=frozenset()),
)


def by_name() -> dict[str, Field]:
    """`FIELDS` keyed by form name."""
    return {f.name: f for f in FIELDS}


def envelope_fields() -> tuple[Field, ...]:
    """The fields an envelope plaintext carries, in contract order (after report_id and
    received_at)."""
    return tuple(f for f in FIELDS if f.envelope is not None)


def seen_in(view: str) -> tuple[Field, ...]:
    """The envelope's fields analysts see in `view` (one of `ANALYST_VIEWS`), in form order."""
    return tuple(f for f in envelope_fields() if view in f.analysts)


def reporter_answers() -> tuple[Field, ...]:
    """The fields analysts read as "what the reporter wrote": shown, neither context nor URL."""
    return tuple(f for f in seen_in("show") if f.kind not in ("context", "url"))


def optional_fields() -> tuple[Field, ...]:
    """The envelope's optional one-value fields: absent, null or a string in a plaintext."""
    return tuple(f for f in envelope_fields() if f.kind not in ("context", "url"))


def form_values(sent: Mapping[str, list[str]]) -> dict[str, Any]:
    """What the form's inputs show, from the values `sent` (``{name: [values]}``; {} for an
    empty form): a repeatable field's values in order, padded with "" to its `inputs`; any other
    shown field its first value or "". Context and honeypot fields are not shown."""
    values: dict[str, Any] = {}
    for f in FIELDS:
        if f.kind in ("context", "honeypot"):
            continue
        given = list(sent.get(f.name) or [])
        values[f.name] = given + [""] * max(0, f.inputs - len(given)) if f.repeatable else (given or [""])[0]
    return values
