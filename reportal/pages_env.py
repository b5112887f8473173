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
from typing import Any

from jinja2 import BytecodeCache, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from reportal import fields

__all__ = ["install_translations", "page_environment"]


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _PageEnvironment(Environment):
    """Jinja2's environment, with `a.b` on a plain dict looked up without an exception.

    Jinja tries `getattr(a, "b")` first and, when that raises, `a["b"]`; page contexts are
    JSON-like dicts, so nearly every `a.b` in a template raised and caught an AttributeError.
    For a plain dict whose key `b` is not a dict attribute (`items`, `values`, …, which Jinja
    would return first) the answer is `a["b"]` either way; anything else goes to Jinja."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def page_environment(templates: Path, translations: NullTranslations,
                     bytecode_cache: BytecodeCache | None = None) -> Environment:
    """A Jinja2 environment over the `templates` folder with `translations` installed.

    Autoescape is `True`, not `select_autoescape`, so it holds for every template name
    (`.html`, `.txt`, `.svg`, …); a missing context key is an error (`StrictUndefined`);
    `{% trans %}` blocks are trimmed as `pybabel extract` reads them (babel.cfg). Templates
    are read once (`auto_reload=False`); environments sharing one `bytecode_cache` compile
    each template once."""
    env = _PageEnvironment(
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
    HTML-escaped text: `_()`, `gettext()`, `ngettext()`, `pgettext()`, `npgettext()` and
    `{% trans %}` all return `Markup` of the escaped msgstr, `%(name)s` values escaped. Use
    this for every environment that renders portal pages.

    The callables do what `env.install_gettext_callables(..., newstyle=True)` makes of them
    (msgstr escaped, then always `%`-formatted with the keyword values, so `%%` is `%`;
    `ngettext` and `npgettext` also offer `num`, `pgettext` and `npgettext` `context`), but as
    plain functions: no context lookups per call, and each language's escaped msgstr is kept
    in a table, a call without values returning the finished `Markup` from it. A page makes
    about 20 such calls; see docs/performance.md."""
    finished: dict[str, Markup] = {}  # msgid → escaped msgstr formatted without values

    def gettext(__message: str, **variables: object) -> Markup:
        if not variables:
            done = finished.get(__message)
            if done is None:
                done = finished[__message] = escape(translations.gettext(__message)) % variables
            return done
        return escape(translations.gettext(__message)) % variables

    def ngettext(__singular: str, __plural: str, __num: int, **variables: object) -> Markup:
        variables.setdefault("num", __num)
        return escape(translations.ngettext(__singular, __plural, __num)) % variables

    def pgettext(__context: str, __message: str, **variables: object) -> Markup:
        variables.setdefault("context", __context)
        return escape(translations.pgettext(__context, __message)) % variables

    def npgettext(__context: str, __singular: str, __plural: str, __num: int, **variables: object) -> Markup:
        variables.setdefault("context", __context)
        variables.setdefault("num", __num)
        return escape(translations.npgettext(__context, __singular, __plural, __num)) % variables

    env.newstyle_gettext = True  # type: ignore[attr-defined]  # how `{% trans %}` compiles: values as keywords
    env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext, pgettext=pgettext, npgettext=npgettext)
