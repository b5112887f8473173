"""Gettext for HTML templates: translations are text, never markup.

Jinja's newstyle gettext marks a translated string safe, so a msgstr holding `"`, `<` or
`&` could break an attribute or the form. The callables installed here escape the
translated text first; `%(name)s` values are escaped by Jinja as usual. Used by the build
and by the submission function's 400/503 pages (so this module imports nothing heavy).
"""
from __future__ import annotations

from gettext import NullTranslations

from jinja2 import Environment
from markupsafe import Markup, escape

__all__ = ["install_translations"]


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
