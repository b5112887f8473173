"""Render pages with Jinja2: one environment per language, gettext through Babel catalogs.

Autoescaping is on for every template whatever its file name, and a missing context key
is an error (`StrictUndefined`), so a translation holding `"`, `<` or `&` cannot break
an attribute and a typo in a template fails the build.
"""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from reportal.site.catalogs import load_translations

__all__ = ["make_environment", "render_page"]


def make_environment(templates: Path, translations: Path, lang: str) -> Environment:
    """A Jinja2 environment for BCP 47 `lang` with its gettext catalog installed."""
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
        keep_trailing_newline=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(load_translations(translations, lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def render_page(env: Environment, template: str, context: dict) -> bytes:
    """Render `template` with `context` to UTF-8 bytes."""
    return env.get_template(template).render(context).encode("utf-8")
