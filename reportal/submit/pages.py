"""The function's HTML answers: the report page again, with errors or the "not received"
notice, in the reporter's language, rendered from the data `reportal build` wrote.

Jinja2 and the catalogs are loaded on the first error only, so a cold start that ends in
success does not pay for them.
"""
from __future__ import annotations

import html
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from reportal import fields as report_fields
from reportal.submit.form import FieldError
from reportal.submit.messages import MESSAGES, limit_of, message_of, target_of

__all__ = ["load_site", "render_form_page"]

_FALLBACK = ("<!doctype html><html lang=\"en\" dir=\"ltr\"><head><meta charset=\"utf-8\">"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
             "<meta name=\"referrer\" content=\"no-referrer\"><title>Reporting portal</title></head>"
             "<body><main><h1>{title}</h1><p>{text}</p>{typed}</main></body></html>")
_SEND_AGAIN = "<a href=\"/\">Choose your country</a> and send it again from its reporting page."
# Shown without a portal, hence in English (the hotline's default): title, then what to do.
_FALLBACK_TEXTS = {
    "unavailable": ("Your report was not received",
                    "Please go back and try again, or <a href=\"/\">choose your country</a> and send it "
                    "from its reporting page."),
    "portal-unknown": ("This reporting portal does not exist", "Your report was not sent. " + _SEND_AGAIN),
    "body-too-large": ("Your report was not sent", html.escape(MESSAGES["body-too-large"]) + " " + _SEND_AGAIN),
    "origin-refused": ("Your report was not sent", html.escape(MESSAGES["origin-refused"])),
    "unreadable": ("We could not read the form", "Your report was not sent. " + _SEND_AGAIN),
}


def load_site(data_dir: Path) -> dict[str, Any]:
    """`site.json`: portal code → {"languages": [...], "contexts": {lang: page context}}."""
    return json.loads((data_dir / "site.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=64)
def _environment(data_dir: Path, locale: str):  # noqa: ANN202 - jinja2 imported lazily
    from babel.support import Translations

    from reportal.pages_env import page_environment

    translations = Translations.load(str(data_dir / "locale"), [locale], domain="messages")
    env = page_environment(data_dir / "templates", translations)  # the build's recipe
    return env, translations


def _fallback_case(errors: list[FieldError], status: str) -> str:
    """Which `_FALLBACK_TEXTS` entry tells the truth: the body's problem before the portal's."""
    codes = [e.code for e in errors]
    if status == "unavailable":
        return "unavailable"
    for code in ("body-too-large", "origin-refused"):
        if code in codes:
            return code
    if any(e.field == "body" for e in errors) or "field-type" in codes:
        return "unreadable"
    return "portal-unknown"


def _fallback(fields: Mapping[str, list[str]], errors: list[FieldError], status: str) -> str:
    """The page for a report whose portal is unknown (English, the hotline's default): what
    went wrong, and what was typed, to copy."""
    title, text = _FALLBACK_TEXTS[_fallback_case(errors, status)]
    typed = [v for f in report_fields.FIELDS if f.kind in ("url", "address", "text", "line")
             for v in fields.get(f.name, []) if v.strip()]
    box = ""
    if typed:
        box = (f"<label for=\"typed\">What you typed</label>"
               f"<textarea id=\"typed\" readonly rows=\"6\" dir=\"auto\">{html.escape(chr(10).join(typed))}</textarea>")
    return _FALLBACK.format(title=title, text=text, typed=box)


def _with_limit(text: str, source: str, limit: int, locale: str) -> str:
    """Put `limit`, written the locale's way (CLDR), into a translated message; fall back to
    the English source if a translation's placeholder is broken."""
    from babel.core import UnknownLocaleError
    from babel.numbers import format_decimal

    try:
        number = format_decimal(limit, locale=locale)
    except (UnknownLocaleError, ValueError):
        number = str(limit)
    try:
        return text % {"max": number}
    except (KeyError, ValueError, TypeError):
        return source % {"max": number}


def render_form_page(site: Mapping[str, Any], data_dir: Path, fields: Mapping[str, list[str]],
                     errors: list[FieldError], status: str) -> str:
    """The report page for the reporter's portal and language (its default language if the
    language is unknown), listing `errors` and holding what they typed. `status` is "invalid"
    or "unavailable". An unknown portal gets a short English page saying what went wrong and
    pointing to the portal list."""
    portal = (fields.get("portal") or [""])[0]
    if portal not in site:
        return _fallback(fields, errors, status)
    lang = (fields.get("lang") or [""])[0]
    if lang not in site[portal]["languages"]:
        lang = site[portal]["languages"][0]
    locale = lang.replace("-", "_")
    env, translations = _environment(data_dir, locale)
    shown = []
    for error in errors:
        if error.field == "portal":  # an unknown portal gets the fallback page above
            continue
        source = message_of(error.code)
        text = translations.gettext(source)
        if (limit := limit_of(error.code)) is not None:
            text = _with_limit(text, source, limit, locale)
        shown.append({"field": error.field, "code": error.code, "message": text, "index": error.index or 0,
                      "target": target_of(error.field, error.index)})
    context = dict(site[portal]["contexts"][lang], page="report", alternates=[], switcher=[],
                   form={"status": status, "errors": shown, "values": report_fields.form_values(fields)})
    return env.get_template("report.html").render(context)
