"""What each error code tells the reporter, in English source text for gettext catalogs.

`pybabel extract` finds these through the `N_` marker; `reportal.submit.pages` translates
them with the portal's catalogs at answer time.
"""
from __future__ import annotations

__all__ = ["MESSAGES", "TARGETS"]


def N_(message: str) -> str:
    """Mark `message` for extraction; translated later."""
    return message


MESSAGES: dict[str, str] = {
    "url-missing": N_("Give the web address where you saw the images."),
    "url-scheme": N_("This is not a web address. Give a web address, such as example.com/page or https://example.com/page."),
    "url-invalid": N_("This web address cannot be read. Check it and try again."),
    "url-too-long": N_("A web address can be at most %(max)s characters long."),
    "url-too-many": N_("Give at most %(max)s web addresses in one report."),
    "notes-too-long": N_("Your notes can be at most %(max)s characters long. Please shorten them."),
    "kind-invalid": N_("Choose one of the options, or none."),
    "email-invalid": N_("Check your email address, or leave it empty to stay anonymous."),
    "email-too-long": N_("An email address can be at most %(max)s characters long."),
    "portal-unknown": N_("This reporting portal does not exist."),
    "lang-unknown": N_("This language is not offered on this portal."),
    "body-too-large": N_("Your report is too long to send. Please shorten it, or send some of the web addresses in a second report."),
    "body-invalid": N_("We could not read the form. Please try again."),
    "field-type": N_("We could not read the form. Please try again."),
    "body-type": N_("We could not read the form. Please try again."),
    "origin-refused": N_("This form was sent from another website. Open the reporting portal directly and send your report from there."),
}

# The form control each field's error links to (ids in templates/report.html).
TARGETS: dict[str, str] = {
    "url": "url", "kind": "kind-image", "notes": "notes", "referrer": "referrer", "email": "email",
}
