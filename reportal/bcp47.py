"""BCP 47 language tags: the one canonical spelling, and the locale ids gettext and Babel use.

`canonical` spells a tag the RFC 5646 way ("pt_br" → "pt-BR"); `locale_id` turns it into the
Babel/gettext id of catalog folders ("pt-BR" → "pt_BR"); `cldr_canonical` is the tag CLDR
resolves it to, aliases included ("iw" → "he-IL"), for telling a portal author which tag to
write. Used by the build, the config checks and the function's error pages (Babel's core
only, imported on first use).
"""
from __future__ import annotations

__all__ = ["canonical", "cldr_canonical", "locale_id"]


def canonical(tag: str) -> str:
    """Canonical BCP 47 spelling of `tag` (RFC 5646 §2.1.1 case conventions): underscores
    become hyphens, language lowercase, script title case, region uppercase; "pt_br" →
    "pt-BR", "zh_hant_tw" → "zh-Hant-TW". Scripts and regions are kept, never resolved
    away. Raises `ValueError` if the tag is not well formed."""
    from babel.core import get_locale_identifier, parse_locale

    parts = parse_locale(tag.replace("_", "-"), sep="-")
    return get_locale_identifier(parts[:4], sep="-")


def locale_id(tag: str) -> str:
    """BCP 47 tag → Babel/gettext locale id (catalog folder name): "pt-BR" → "pt_BR".
    Raises `ValueError` if the tag is not well formed."""
    return canonical(tag).replace("-", "_")


def cldr_canonical(tag: str) -> str:
    """The tag CLDR (Babel) resolves `tag` to, in canonical BCP 47 spelling: aliases and case
    mapped ("iw" → "he-IL", "spa" → "es-ES"). Raises Babel's `UnknownLocaleError` when CLDR does
    not know it, `ValueError` or `TypeError` when it is not a tag."""
    from babel import Locale

    return str(Locale.parse(tag.replace("-", "_"))).replace("_", "-")
