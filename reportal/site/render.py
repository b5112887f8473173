"""Render pages with Jinja2: one environment per language, gettext through Babel catalogs.

Autoescaping is on for every template whatever its file name, and a missing context key
is an error (`StrictUndefined`), so a typo in a template fails the build.

Translations are text, never HTML: Jinja's newstyle gettext would mark a translated string
safe, so a msgstr holding `"`, `<` or `&` could break an attribute or the form. The gettext
callables installed here escape the translated text first; `%(name)s` values are escaped
by Jinja as usual. Translators therefore write plain text (`&` is shown as `&`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket
from reportal.site.catalogs import load_translations
from reportal.pages_env import install_translations, page_environment

__all__ = ["MemoryBytecodeCache", "install_translations", "make_environment", "render_page"]


class MemoryBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory for the length of one build, so the per-language
    environments parse and compile each template once instead of once per language.
    Share one only between environments made by `make_environment` (same options); Jinja2
    still checks each template's source checksum before reusing its code."""

    def __init__(self) -> None:
        self._codes: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._codes:
            bucket.bytecode_from_string(self._codes[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._codes[bucket.key] = bucket.bytecode_to_string()


def make_environment(templates: Path, translations: Path, lang: str,
                     bytecode_cache: BytecodeCache | None = None) -> Environment:
    """A Jinja2 environment for BCP 47 `lang` with its gettext catalog installed (English
    msgids when the language has none). Autoescape is `True`, not `select_autoescape`, so it
    holds for every template name (`.html`, `.txt`, `.svg`, …). Templates are read once per
    build (`auto_reload=False`); pass one `MemoryBytecodeCache` to every language's environment
    to compile each template once."""
    return page_environment(templates, load_translations(translations, lang), bytecode_cache)


def render_page(env: Environment, template: str, context: dict[str, Any]) -> bytes:
    """Render `template` with `context` to UTF-8 bytes."""
    return env.get_template(template).render(context).encode("utf-8")
