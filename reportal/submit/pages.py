"""The function's HTML answers: the report page again, with errors or the "not received"
notice, in the reporter's language, rendered from the data `reportal build` wrote.

Jinja2 and the catalogs are loaded on the first error only, so a cold start that ends in
success does not pay for them.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from reportal import fields as report_fields
from reportal.bcp47 import canonical, locale_id
from reportal.submit.form import FieldError
from reportal.submit.messages import FALLBACK, limit_of, message_of, target_of

__all__ = ["clear_caches", "load_site", "render_form_page"]

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


def clear_caches() -> None:
    """Forget loaded templates and catalogs (the local preview, after a rebuild)."""
    _environment.cache_clear()


def _fallback_case(errors: list[FieldError], status: str) -> str:
    """Which `FALLBACK` entry tells the truth: the body's problem before the portal's."""
    codes = [e.code for e in errors]
    if status == "unavailable":
        return "unavailable"
    for code in ("body-too-large", "origin-refused"):
        if code in codes:
            return code
    if any(e.field == "body" for e in errors) or "field-type" in codes:
        return "unreadable"
    return "portal-unknown"


def _fallback(site: Mapping[str, Any], data_dir: Path, fields: Mapping[str, list[str]],
              errors: list[FieldError], status: str) -> str:
    """The page for a report whose portal is unknown: what went wrong, what to do, and what was
    typed, to copy; in the language the form named where a catalog has it (else English),
    styled with the portals' stylesheet (templates/fallback.html)."""
    title, text = FALLBACK[_fallback_case(errors, status)]
    typed = [v for f in report_fields.FIELDS if f.kind in ("url", "address", "text", "line", "email")
             for v in fields.get(f.name, []) if v.strip()]
    lang = _known_language(data_dir, (fields.get("lang") or [""])[0])
    env, translations = _environment(data_dir, locale_id(lang))
    css = next((ctx["css"] for p in site.values() for ctx in p["contexts"].values()), None)
    return env.get_template("fallback.html").render({
        "lang": lang, "dir": _direction(lang), "css": css, "title": translations.gettext(title),
        "text": translations.gettext(text), "typed": "\n".join(typed)})


def _known_language(data_dir: Path, tag: str) -> str:
    """`tag` if the function has a catalog for it (a locale folder the build wrote), else "en"."""
    if tag and len(tag) <= 35 and all(ch.isalnum() or ch == "-" for ch in tag):
        try:
            if canonical(tag) == tag and (data_dir / "locale" / locale_id(tag) / "LC_MESSAGES" / "messages.mo").is_file():
                return tag
        except ValueError:  # not a well-formed tag
            pass
    return "en"


def _direction(tag: str) -> str:
    """"rtl" or "ltr" for a tag the build wrote a catalog for (CLDR, through Babel)."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(locale_id(tag)).text_direction
    except (UnknownLocaleError, ValueError):
        return "ltr"


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


def _given_back(fields: Mapping[str, list[str]]) -> tuple[dict[str, list[str]], dict[str, dict[int, int]]]:
    """What the page gives back, bounded by the form rather than by the request: a repeatable
    field's non-empty values (the form's spare inputs dropped), the first `max_values` each in
    its input and any further ones together in one more; a field sent several times though
    the form has it once, every non-empty value in its one control. Nothing typed is dropped,
    and the page grows linearly with the body, never with the number of values (a 1 MiB body of
    empty ``url=`` once made a 57.7 MB page). Returns the values and, per repeatable field,
    where each sent value's index now is (for the errors that name an index)."""
    given: dict[str, list[str]] = {}
    moved: dict[str, dict[int, int]] = {}
    for f in report_fields.FIELDS:
        values = list(fields.get(f.name) or [])
        if f.repeatable:
            kept = [(i, v) for i, v in enumerate(values) if v.strip()]
            moved[f.name] = {i: min(n, f.max_values) for n, (i, _) in enumerate(kept)}
            shown = [v for _, v in kept]
            given[f.name] = shown[:f.max_values] + ([" ".join(shown[f.max_values:])] if shown[f.max_values:] else [])
        elif len(values) > 1 and f.kind not in ("context", "choice", "honeypot"):
            given[f.name] = ["\n".join(v for v in values if v.strip())]
        elif values:
            given[f.name] = values[:1]
    return given, moved


def render_form_page(site: Mapping[str, Any], data_dir: Path, fields: Mapping[str, list[str]],
                     errors: list[FieldError], status: str) -> str:
    """The report page for the reporter's portal and language (its default language if the
    language is unknown), listing `errors` and holding what they typed. `status` is "invalid"
    or "unavailable". An unknown portal gets a short page, in the reporter's language where it
    can, saying what went wrong and pointing to the portal list."""
    portal = (fields.get("portal") or [""])[0]
    if portal not in site:
        return _fallback(site, data_dir, fields, errors, status)
    lang = (fields.get("lang") or [""])[0]
    if lang not in site[portal]["languages"]:
        lang = site[portal]["languages"][0]
    locale = locale_id(lang)
    env, translations = _environment(data_dir, locale)
    given, moved = _given_back(fields)
    shown = []
    for error in errors:
        if error.code == "portal-unknown":  # an unknown portal gets the fallback page above
            continue
        source = message_of(error.code)
        text = translations.gettext(source)
        if (limit := limit_of(error.code)) is not None:
            text = _with_limit(text, source, limit, locale)
        index = moved.get(error.field, {}).get(error.index or 0, error.index or 0)
        shown.append({"field": error.field, "code": error.code, "message": text, "index": index,
                      "target": target_of(error.field, index)})
    context = dict(site[portal]["contexts"][lang], page="report", alternates=[],
                   form={"status": status, "errors": shown, "values": report_fields.form_values(given)})
    return env.get_template("report.html").render(context)
