"""The page environment: the Jinja2 environment every portal page is rendered in, with gettext
installed so translations are text, never markup.

`page_environment` is the one recipe for rendering a portal page, used by the build and by
the submission function's 400/503 pages, so both render `report.html` the same way.

Jinja's newstyle gettext marks a translated string safe, so a msgstr holding `"`, `<` or
`&` could break an attribute or the form. The callables installed here escape the
translated text first; `%(name)s` values are escaped by Jinja as usual. Used by the build
and by the submission function's 400/503 pages (so this module imports nothing heavy).
"""
from __future__ import annotations

from gettext import NullTranslations

from pathlib import Path

from jinja2 import BytecodeCache, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from reportal import fields

__all__ = ["install_translations", "page_environment"]


def page_environment(templates: Path, translations: NullTranslations,
                     bytecode_cache: BytecodeCache | None = None) -> Environment:
    """A Jinja2 environment over the `templates` folder with `translations` installed.

    Autoescape is `True`, not `select_autoescape`, so it holds for every template name
    (`.html`, `.txt`, `.svg`, …); a missing context key is an error (`StrictUndefined`);
    `{% trans %}` blocks are trimmed as `pybabel extract` reads them (babel.cfg). Templates
    are read once (`auto_reload=False`); environments sharing one `bytecode_cache` compile
    each template once."""
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=bytecode_cache,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.globals["report_fields"] = fields.FIELDS  # the form's fields (templates/_field.html)
    install_translations(env, translations)
    return env


def install_translations(env: Environment, translations: NullTranslations) -> None:
    """Install `translations` into `env` (newstyle gettext) so every translated string is
    HTML-escaped text: `_()`, `ngettext()`, `pgettext()` and `{% trans %}` all return `Markup`
    of the escaped msgstr. Use this for every environment that renders portal pages."""

    def gettext(message: str) -> Markup:
        return escape(translations.gettext(message))

    def ngettext(singular: str, plural: str, n: int) -> Markup:
        return escape(translations.ngettext(singular, plural, n))

    def pgettext(context: str, message: str) -> Markup:
        return escape(translations.pgettext(context, message))

    def npgettext(context: str, singular: str, plural: str, n: int) -> Markup:
        return escape(translations.npgettext(context, singular, plural, n))

    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True, pgettext=pgettext, npgettext=npgettext)
