"""What each error code tells the reporter, in English source text for gettext catalogs.

`pybabel extract` finds these through the `N_` marker; `reportal.submit.pages` translates
them with the portal's catalogs at answer time. A field's own codes (``<name>-too-long``,
``<name>-invalid`` of a choice) take their text from `reportal.fields`.
"""
from __future__ import annotations

from reportal import fields as report_fields
from reportal.fields import N_

__all__ = ["FALLBACK", "MESSAGES", "limit_of", "message_of", "target_of"]


MESSAGES: dict[str, str] = {
    "url-missing": N_("Give the web address where you saw the images."),
    "url-scheme": N_("This is not a web address. Give a web address, such as example.com/page or https://example.com/page."),
    "url-invalid": N_("This web address cannot be read. Check it and try again."),
    "url-too-long": N_("A web address can be at most %(max)s characters long."),
    "url-too-many": N_("Give at most %(max)s web addresses in one report."),
    "email-invalid": N_("Check your email address, or leave it empty to stay anonymous."),
    "portal-unknown": N_("This reporting portal does not exist."),
    "lang-unknown": N_("This language is not offered on this portal."),
    "body-too-large": N_("Your report is too long to send. Please shorten it, or send some of the web addresses in a second report."),
    "body-invalid": N_("We could not read the form. Please try again."),
    "field-type": N_("We could not read the form. Please try again."),
    # A field the form has once, sent several times: not from our form; the same words.
    "field-repeated": N_("We could not read the form. Please try again."),
    "body-type": N_("We could not read the form. Please try again."),
    "origin-refused": N_("This form was sent from another website. Open the reporting portal directly and send your report from there."),
}

_CHOICE_INVALID = N_("Choose one of the options, or none.")

# The page for a report whose portal is unknown (no portal, so no portal page to show it on):
# case → (heading, what to do). Rendered in the reporter's language where a catalog has it.
FALLBACK: dict[str, tuple[str, str]] = {
    "unavailable": (N_("Your report was not received"),
                    N_("Something went wrong on our side. Please go back and try again.")),
    "portal-unknown": (N_("Your report was not sent"), MESSAGES["portal-unknown"]),
    "body-too-large": (N_("Your report was not sent"), MESSAGES["body-too-large"]),
    "origin-refused": (N_("Your report was not sent"), MESSAGES["origin-refused"]),
    "unreadable": (N_("Your report was not sent"), MESSAGES["body-invalid"]),
}


def message_of(code: str) -> str:
    """The msgid telling the reporter what `code` means (``body-invalid``'s for an unknown code)."""
    if code in MESSAGES:
        return MESSAGES[code]
    for f in report_fields.FIELDS:
        if f.too_long and code == f.too_long_code:
            return f.too_long
        if f.kind == "choice" and code == f"{f.name}-invalid":
            return _CHOICE_INVALID
    return MESSAGES["body-invalid"]


def limit_of(code: str) -> int | None:
    """The limit a ``…-too-long``/``url-too-many`` code names (``%(max)s``), else None."""
    for f in report_fields.FIELDS:
        if f.max_chars is not None and code == f.too_long_code:
            return f.max_chars
        if f.repeatable and code == "url-too-many" and f.kind == "url":
            return f.max_values
    return None


def target_of(field: str, index: int | None) -> str:
    """The id of the form control an error of `field` links to (templates/_field.html): the
    value's own input for a repeated field, the first option of a choice; the first URL input
    for the body, the origin or an unknown field."""
    f = report_fields.by_name().get(field)
    if f is None or f.kind in ("context", "honeypot"):
        return "url"
    if f.repeatable and index:
        return f"{f.name}-{index + 1}"
    return f"{f.name}-{f.choices[0].value}" if f.choices else f.name
