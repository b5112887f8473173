"""Languages: gettext catalogs (Babel) and CLDR locale data (direction, native names).

Catalogs live in `translations/<locale>/LC_MESSAGES/messages.po` (Babel's layout, locale
with an underscore, e.g. `pt_BR`); portal config and HTML use BCP 47 tags (`pt-BR`).
English is the source language: every msgid is English text, so English needs no catalog
and is complete by definition. A tag without a catalog of its own falls back to its parent
(`pt-BR` → `pt`, `zh-Hans-CN` → `zh-Hans` → `zh`), as gettext does.

A catalog's header field `X-Reviewed-By-Native-Speaker` says whether a native speaker has
checked it: `no` (or the field missing) makes `check_catalogs` warn; any other value (a
name, a date) counts as reviewed. `pybabel update` drops header fields Babel does not know,
so `make messages` updates catalogs with `update_catalogs`, which keeps them.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileParser, read_po, write_po
from babel.support import NullTranslations, Translations

from reportal.bcp47 import canonical as bcp47
from reportal.bcp47 import locale_id
from reportal.site.config import ConfigProblem
from reportal.site.rules import text_problem

__all__ = [
    "REVIEW_HEADER", "SOURCE_LANGUAGE", "TERMS_FILE", "Language", "bcp47", "catalog_path", "check_catalogs",
    "forbidden_terms", "term_problems",
    "compile_catalog", "country_name", "is_source", "opening_hours", "language", "load_translations", "locale_id",
    "read_catalog", "update_catalogs",
]

SOURCE_LANGUAGE = "en"
REVIEW_HEADER = "X-Reviewed-By-Native-Speaker"


@dataclass(frozen=True)
class Language:
    """CLDR facts about one BCP 47 tag: `dir` is "ltr" or "rtl"; `native` is the autonym."""

    tag: str
    dir: str
    native: str


@lru_cache(maxsize=1024)  # CLDR data never changes during a run; the build asks ~10× per page
def language(tag: str) -> Language:
    """CLDR data for `tag` (any case, `-` or `_`); `tag` of the result is canonical BCP 47.

    Raises `ValueError` if CLDR does not know the tag."""
    try:
        canonical = bcp47(tag)
        loc = Locale.parse(locale_id(canonical))
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"{tag!r} is not a BCP 47 tag CLDR knows") from exc
    native = loc.get_display_name(loc) or canonical
    return Language(tag=canonical, dir=loc.text_direction, native=native[:1].upper() + native[1:])


@lru_cache(maxsize=1024)
def opening_hours(days: str, opens: str, closes: str, tag: str) -> dict[str, str]:
    """Opening hours written for language `tag` from CLDR: `days` "mon-fri" → "Monday–Friday"
    (stand-alone wide day names; a range joined with an en dash), `opens`/`closes` "08:00" →
    the locale's short time ("08:00", "8:00 AM", "०८:००" …). Shape: {"days", "opens", "closes"}."""
    from datetime import time

    from babel.dates import format_time, get_day_names

    loc = Locale.parse(locale_id(tag))
    names = get_day_names("wide", "stand-alone", loc)
    order = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    shown = "–".join(names[order.index(day)] for day in days.split("-"))

    def clock(value: str) -> str:
        hour, minute = value.split(":")
        return format_time(time(int(hour), int(minute)), "short", locale=loc)

    return {"days": shown, "opens": clock(opens), "closes": clock(closes)}


@lru_cache(maxsize=4096)
def country_name(code: str, tag: str) -> str:
    """The country's name for ISO 3166-1 `code` in language `tag`, from CLDR."""
    loc = Locale.parse(locale_id(tag))
    return loc.territories.get(code.upper(), code.upper())


def is_source(tag: str) -> bool:
    """True if `tag` is a variety of the source language (English), which needs no catalog."""
    return bcp47(tag).split("-")[0] == SOURCE_LANGUAGE


def catalog_path(translations_dir: Path, tag: str) -> Path | None:
    """The `.po` file serving `tag`: its own, else its parent's (subtags dropped from the
    end, as gettext falls back); None if there is none (English then shows its msgids)."""
    parts = locale_id(tag).split("_")
    for end in range(len(parts), 0, -1):
        po = translations_dir / "_".join(parts[:end]) / "LC_MESSAGES" / "messages.po"
        if po.is_file():
            return po
    return None


class _Catalog(Catalog):
    """A Babel catalog that keeps `X-…` header fields; Babel's own drops them on write."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.extra_headers: dict[str, str] = {}
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def _get_headers(self) -> list[tuple[str, str]]:
        headers = Catalog._get_mime_headers(self)  # ends with "Generated-By", whose value ends in "\n"
        return headers[:-1] + sorted(self.extra_headers.items()) + headers[-1:]

    def _set_headers(self, headers: object) -> None:
        headers = list(headers)  # type: ignore[call-overload]
        Catalog._set_mime_headers(self, headers)
        self.extra_headers.update((k, v) for k, v in headers if k.lower().startswith("x-"))

    mime_headers = property(_get_headers, _set_headers)  # type: ignore[assignment]


def read_catalog(po_path: Path) -> Catalog:
    """Parse `translations/<locale>/LC_MESSAGES/messages.po`, keeping `X-…` header fields
    in `.extra_headers` (dict). Each message's `lineno` is its line in the file."""
    catalog = _Catalog(locale=po_path.parent.parent.name)
    with po_path.open("rb") as fh:
        PoFileParser(catalog).parse(fh)
    return catalog


def compile_catalog(po_path: Path) -> bytes:
    """Compile one `.po` file to `.mo` bytes (fuzzy entries left out, as msgfmt does).

    A build needs each catalog three times (its checks, the pages' translations and the
    function's `.mo`); it is parsed once and the bytes are kept for as long as the file's
    size and modification time are unchanged."""
    stat = po_path.stat()
    return _compiled(str(po_path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=128)
def _compiled(path: str, mtime_ns: int, size: int) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, _parsed(path, mtime_ns, size), use_fuzzy=False)
    return buf.getvalue()


@lru_cache(maxsize=128)
def _parsed(path: str, mtime_ns: int, size: int) -> Catalog:
    """`read_catalog` kept while the file is unchanged: for reading only (checks, compiling)."""
    return read_catalog(Path(path))


def _read_unchanged(po_path: Path) -> Catalog:
    stat = po_path.stat()
    return _parsed(str(po_path), stat.st_mtime_ns, stat.st_size)


def load_translations(translations_dir: Path, tag: str) -> NullTranslations:
    """Gettext translations serving `tag` (see `catalog_path`); without a catalog the
    translations return the English msgids unchanged."""
    po = catalog_path(translations_dir, tag)
    if po is None:
        return NullTranslations()
    return Translations(io.BytesIO(compile_catalog(po)))


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _check_one(po: Path, tag: str, template: Catalog, unaccepted: list[str]) -> list[ConfigProblem]:
    where = str(po)
    catalog = _read_unchanged(po)
    problems = []
    if unaccepted and catalog.extra_headers.get(REVIEW_HEADER, "no").strip().lower() in ("", "no"):
        problems.append(ConfigProblem(where, 1, tag, f"not reviewed by a native speaker ({REVIEW_HEADER}: "
                                      "no); have one read it before a portal in this language launches, or "
                                      f"launch it unreviewed on purpose: `launch_unreviewed: [{tag}]` in "
                                      f"sites/_defaults.yaml or in {', '.join(f'sites/{c}.yaml' for c in unaccepted)}",
                                      "warning"))
    for wanted in template:
        if not wanted.id:
            continue
        found = catalog.get(wanted.id, wanted.context)
        shown = wanted.id if isinstance(wanted.id, str) else wanted.id[0]
        line = (found.lineno or 0) if found is not None else 0
        strings = [] if found is None else [found.string] if isinstance(found.string, str) else list(found.string)
        if not strings or not all(strings):
            problems.append(ConfigProblem(where, line, tag, f"untranslated (shown in English): {shown!r}", "warning"))
            continue
        if found.fuzzy:
            problems.append(ConfigProblem(where, line, tag, f"fuzzy, so shown in English: {shown!r}", "warning"))
            continue
        names = set(_PLACEHOLDER.findall(shown))
        for string in strings:
            why = text_problem(string if "\n" not in shown else string.replace("\n", " "))
            if why:  # checked like config text: a bidi override (U+202E) would reach every page
                problems.append(ConfigProblem(where, line, tag, f"translation of {shown!r} {why}"))
                continue
            try:
                string % dict.fromkeys(names, "")
                ok = set(_PLACEHOLDER.findall(string)) == names
            except (ValueError, TypeError, KeyError):
                ok = False
            if not ok:
                problems.append(ConfigProblem(where, line, tag, f"translation of {shown!r} must hold exactly the "
                                              f"placeholders {sorted(names)} (write %% for a literal %)"))
    return problems


TERMS_FILE = "terms.yaml"


def forbidden_terms(translations_dir: Path) -> dict[str, list[tuple[re.Pattern[str], str]]]:
    """`translations/terms.yaml`: locale id → [(compiled case-insensitive pattern, what to write
    instead)]. A missing file forbids nothing; a malformed one is a `ValueError`."""
    import yaml

    path = translations_dir / TERMS_FILE
    if not path.is_file():
        return {}
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: must map a locale to a list of {{term, instead}}")
    out: dict[str, list[tuple[re.Pattern[str], str]]] = {}
    for loc, entries in data.items():
        try:
            out[str(loc)] = [(re.compile(e["term"], re.IGNORECASE), str(e["instead"])) for e in entries]
        except (TypeError, KeyError, re.error) as exc:
            raise ValueError(f"{path}: {loc}: each entry needs a valid `term` and an `instead` ({exc})") from None
    return out


def _terms_for(terms: dict[str, list[tuple[re.Pattern[str], str]]], locale: str) -> list[tuple[re.Pattern[str], str]]:
    """The terms of `locale` and of each parent (`pt_MZ` → `pt_MZ` and `pt`)."""
    parts = locale.split("_")
    return [t for end in range(len(parts), 0, -1) for t in terms.get("_".join(parts[:end]), [])]


def term_problems(translations_dir: Path, po: Path, catalog: Catalog,
                  terms: dict[str, list[tuple[re.Pattern[str], str]]] | None = None) -> list[ConfigProblem]:
    """An error for each translation in `catalog` (at `po`) holding a term `terms.yaml` forbids
    for its locale; for the template (`messages.pot`), each msgid holding an `en` term.
    `terms`: `forbidden_terms(translations_dir)`, read here when not given."""
    if terms is None:
        terms = forbidden_terms(translations_dir)
    is_template = po.suffix == ".pot"
    locale = "en" if is_template else po.parent.parent.name
    wanted = _terms_for(terms, locale)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        texts = message.id if is_template else message.string
        texts = [texts] if isinstance(texts, str) else list(texts or [])
        for pattern, instead in wanted:
            if any(pattern.search(t) for t in texts):
                shown = message.id if isinstance(message.id, str) else message.id[0]
                problems.append(ConfigProblem(str(po), message.lineno or 0, locale,
                                              f"{shown!r} uses {pattern.pattern!r}, which misnames abuse (Luxembourg "
                                              f"Terminology Guidelines; {TERMS_FILE}); write: {instead}"))
    return problems


def _unreadable(po: Path) -> ConfigProblem | None:
    """Why the catalog `po` cannot be used, or None: not a file, not UTF-8 (as its header says),
    or a ``Plural-Forms`` header gettext cannot evaluate (every page would fail to render)."""
    try:
        Translations(io.BytesIO(compile_catalog(po)))
    except OSError as exc:
        return ConfigProblem(str(po), 0, "-", f"cannot be read ({exc.strerror or type(exc).__name__})")
    except UnicodeDecodeError as exc:
        return ConfigProblem(str(po), 0, "-", f"is not UTF-8 text (byte {exc.object[exc.start]:#04x}); "
                                              "save the file as UTF-8")
    except (ValueError, SyntaxError, KeyError, IndexError, TypeError) as exc:
        return ConfigProblem(str(po), 0, "-", f"cannot be compiled ({type(exc).__name__}: {exc}); check the "
                                              "Plural-Forms header against the language's CLDR rule")
    return None


def check_catalogs(translations_dir: Path, usage: dict[str, list[str]],
                   accepted: dict[str, list[str]] | None = None) -> list[ConfigProblem]:
    """Check the catalog serving each language in `usage` (BCP 47 tag → portal codes using it)
    against the template `translations_dir/messages.pot`. `accepted` (tag → portal codes whose
    `launch_unreviewed` names it): the review warning is left out when every portal using the
    catalog accepted it, and otherwise names the portals that did not.

    Warnings (severity "warning"; errors under `--strict`): a language without a catalog, each
    untranslated or fuzzy message (named, with its line), a catalog no native speaker has
    reviewed. Errors: a translation whose `%(name)s` placeholders differ from its msgid's, or
    that Python %-formatting rejects, since rendering it would fail; in any catalog, used or
    not, a term `terms.yaml` forbids in its language (in a msgid: in English). English needs
    no catalog.
    """
    pot = translations_dir / "messages.pot"
    try:
        with pot.open("rb") as fh:
            template = read_po(fh)
    except OSError as exc:
        return [ConfigProblem(str(pot), 0, "-", f"cannot be read ({exc.strerror or type(exc).__name__}); "
                              "`make messages` writes it")]
    except (UnicodeDecodeError, ValueError) as exc:
        return [ConfigProblem(str(pot), 0, "-", f"is not a gettext template ({type(exc).__name__}); "
                              "`make messages` writes it")]
    unreadable = {po: why for po in sorted(translations_dir.glob("*/LC_MESSAGES/messages.po"))
                  if (why := _unreadable(po)) is not None}
    if unreadable:
        return list(unreadable.values())
    terms = forbidden_terms(translations_dir)
    problems: list[ConfigProblem] = term_problems(translations_dir, pot, template, terms)
    for po in sorted(translations_dir.glob("*/LC_MESSAGES/messages.po")):  # every catalog, used or not
        problems.extend(term_problems(translations_dir, po, _read_unchanged(po), terms))
    checked: set[Path] = set()
    for tag in sorted(usage):
        po = catalog_path(translations_dir, tag)
        if po is None:
            if not is_source(tag):
                wanted = translations_dir / locale_id(tag) / "LC_MESSAGES" / "messages.po"
                problems.append(ConfigProblem(
                    str(wanted), 0, tag, f"no catalog for this language (portals: {', '.join(sorted(usage[tag]))}), "
                    f"so its pages are in English; create it with `pybabel init -i {translations_dir}/messages.pot "
                    f"-d {translations_dir} -l {locale_id(tag)}` and translate it", "warning"))
        elif po not in checked:
            checked.add(po)
            users = {c for t, codes in usage.items() if catalog_path(translations_dir, t) == po for c in codes}
            taken = {c for t, codes in (accepted or {}).items() if catalog_path(translations_dir, t) == po for c in codes}
            problems.extend(_check_one(po, tag, template, sorted(users - taken)))
    return problems


_CREATION_DATE = re.compile(rb'^"POT-Creation-Date: [^"]*"\n', re.M)


def _changed(new: bytes, path: Path) -> bool:
    """True unless `path` holds `new` but for its POT-Creation-Date line (extraction rewrites
    that date every time; a catalog whose messages did not change is left alone)."""
    try:
        old = path.read_bytes()
    except FileNotFoundError:
        return True
    return _CREATION_DATE.sub(b"", new) != _CREATION_DATE.sub(b"", old)


def update_catalogs(pot: Path, translations_dir: Path) -> list[Path]:
    """Update every catalog under `translations_dir` from template `pot`, as `pybabel update
    --no-fuzzy-matching` does, but keeping `X-…` header fields. A freshly extracted
    ``messages.pot.new`` replaces ``messages.pot`` only if its messages changed. Files whose
    only change would be the POT-Creation-Date are not rewritten. Returns the files written."""
    written = []
    if pot.suffix == ".new":
        final = pot.with_suffix("")
        if _changed(pot.read_bytes(), final):
            pot.replace(final)
            written.append(final)
        else:
            pot.unlink()
        pot = final
    with pot.open("rb") as fh:
        template = read_po(fh)
    for po in sorted(translations_dir.glob("*/LC_MESSAGES/messages.po")):
        catalog = read_catalog(po)
        catalog.update(template, no_fuzzy_matching=True)
        buf = io.BytesIO()
        write_po(buf, catalog, width=76)
        if _changed(buf.getvalue(), po):
            po.write_bytes(buf.getvalue())
            written.append(po)
    return written

