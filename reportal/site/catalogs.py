"""Languages: gettext catalogs (Babel) and CLDR locale data (direction, native names).

Catalogs live in `translations/<locale>/LC_MESSAGES/messages.po` (Babel's layout, locale
with an underscore, e.g. `pt_BR`); portal config and HTML use BCP 47 tags (`pt-BR`).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

__all__ = ["Language", "compile_catalog", "country_name", "language", "load_translations", "locale_id"]


@dataclass(frozen=True)
class Language:
    """CLDR facts about one BCP 47 tag: `dir` is "ltr" or "rtl"; `native` is the autonym."""

    tag: str
    dir: str
    native: str


def locale_id(tag: str) -> str:
    """BCP 47 tag → Babel/gettext locale id: "pt-BR" → "pt_BR"."""
    return tag.replace("-", "_")


def language(tag: str) -> Language:
    """CLDR data for `tag`; raises `ValueError` if CLDR does not know it."""
    try:
        loc = Locale.parse(locale_id(tag))
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"{tag!r} is not a BCP 47 tag CLDR knows") from exc
    native = loc.get_display_name(loc) or tag
    return Language(tag=tag, dir=loc.text_direction, native=native[:1].upper() + native[1:])


def country_name(code: str, tag: str) -> str:
    """The country's name for ISO 3166-1 `code` in language `tag`, from CLDR."""
    loc = Locale.parse(locale_id(tag))
    return loc.territories.get(code.upper(), code.upper())


def compile_catalog(po_path: Path) -> bytes:
    """Compile one `.po` file to `.mo` bytes (fuzzy entries left out, as msgfmt does)."""
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=po_path.parent.parent.name)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def load_translations(translations_dir: Path, tag: str) -> Translations:
    """Gettext translations for `tag` from `translations/`; English source text if none."""
    po = translations_dir / locale_id(tag) / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return Translations()  # type: ignore[return-value]
    return Translations(io.BytesIO(compile_catalog(po)))
