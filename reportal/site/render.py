"""Render pages with Jinja2: one environment per language, gettext through Babel catalogs.

Autoescaping is on for every template whatever its file name, and a missing context key
is an error (`StrictUndefined`), so a typo in a template fails the build.

Translations are text, never HTML: Jinja's newstyle gettext would mark a translated string
safe, so a msgstr holding `"`, `<` or `&` could break an attribute or the form. The gettext
callables installed here escape the translated text first; `%(name)s` values are escaped
by Jinja as usual. Translators therefore write plain text (`&` is shown as `&`).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Sequence

from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket
from reportal.site.catalogs import load_translations
from reportal.pages_env import install_translations, page_environment
from reportal.site.processes import available, beside

__all__ = ["MemoryBytecodeCache", "install_translations", "make_environment", "render_page", "render_pages"]

# Pages below which a build renders in one process (forking costs more than it saves).
PARALLEL_MIN_PAGES = 200


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


def render_pages(pages: Sequence[Any], environment: Callable[[str], Environment],
                 render_one: Callable[[Environment, str, dict[str, Any]], bytes] = render_page,
                 processes: int | None = None) -> list[bytes]:
    """Every page rendered, in order (UTF-8 bytes). `pages` have `.lang`, `.template` and
    `.context`; `environment(lang)` gives the language's environment (made once per language);
    `render_one` renders one page (`render_page`).

    A page planned twice (the same context object for the same template and language) is
    rendered once: rendering is a function of those three. With `processes` 2 (default: 2 on a
    machine with two CPUs or more and at least `PARALLEL_MIN_PAGES` pages) a forked child renders
    half of the languages while this process renders the other half; the child sends its
    pages back through a pipe, so the result is the same bytes in the same order. An exception
    in the child (a template error) is raised here."""
    first: dict[tuple[str, str, int], int] = {}
    for index, page in enumerate(pages):
        first.setdefault((page.lang, page.template, id(page.context)), index)
    jobs = sorted(set(first.values()), key=lambda i: (pages[i].lang, i))
    if processes is None:
        processes = available() if len(jobs) >= PARALLEL_MIN_PAGES else 1

    def render(indexes: list[int]) -> list[bytes]:
        return [render_one(environment(pages[i].lang), pages[i].template, pages[i].context) for i in indexes]

    if processes < 2 or not hasattr(os, "fork"):
        done = dict(zip(jobs, render(jobs)))
    else:
        for template in sorted({pages[i].template for i in jobs}):  # compile each template before forking
            environment(pages[jobs[0]].lang).get_template(template)
        cut = len(jobs) // 2
        while 0 < cut < len(jobs) and pages[jobs[cut]].lang == pages[jobs[cut - 1]].lang:
            cut += 1  # whole languages on each side: each process makes its own environments
        ours, theirs = jobs[:cut], jobs[cut:]
        mine, child = beside(lambda: render(theirs), lambda: render(ours))
        done = dict(zip(ours, mine)) | dict(zip(theirs, child))
    return [done[first[(page.lang, page.template, id(page.context))]] for page in pages]
