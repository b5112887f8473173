"""Languages: BCP 47 tags, CLDR facts, catalog fallback, completeness and review checks,
`make messages` keeping the review header, and the catalogs shipped in translations/."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from reportal.cli import main
from reportal.site.build import Paths, build
from reportal.site.catalogs import (
    REVIEW_HEADER, bcp47, catalog_path, check_catalogs, language, load_translations, read_catalog,
    update_catalogs,
)
from reportal.site.config import ConfigError, load_config
from tests.support import ROOT

TRANSLATIONS = ROOT / "translations"
DEFAULTS = "base_url: https://report.example.org\nhotline:\n  name: Example Hotline\n  url: https://hotline.example.org/\n"


def shipped() -> list[str]:
    """BCP 47 tags of every catalog in translations/."""
    return sorted(bcp47(p.parent.parent.name) for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def portal_site(tmp_path: Path, languages: str, translations: Path | None = None) -> Paths:
    """A sites/ folder holding one portal `sn` in `languages` (YAML flow list) with a police
    number, and the real templates."""
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "_defaults.yaml").write_text(DEFAULTS)
    labels = "".join(f"      {tag.strip()}: Police\n" for tag in languages.split(","))
    (sites / "sn.yaml").write_text(f"code: sn\nlanguages: [{languages}]\n"
                                   f"help:\n  - kind: police\n    phone: \"17\"\n    label:\n{labels}")
    return Paths(sites, ROOT / "templates", translations or TRANSLATIONS)


def copy_translations(tmp_path: Path, *locales: str) -> Path:
    """translations/ with only the template and the given catalogs."""
    out = tmp_path / "translations"
    out.mkdir()
    shutil.copy(TRANSLATIONS / "messages.pot", out / "messages.pot")
    for loc in locales:
        shutil.copytree(TRANSLATIONS / loc, out / loc)
    return out


@pytest.mark.parametrize(("tag", "canonical"), [
    ("pt_br", "pt-BR"), ("PT-BR", "pt-BR"), ("zh_hant_tw", "zh-Hant-TW"), ("sr_Latn", "sr-Latn"), ("ur", "ur"),
])
def test_tags_are_canonical_bcp47_with_script_and_region_kept(tag: str, canonical: str) -> None:
    assert bcp47(tag) == canonical
    assert language(tag).tag == canonical


@pytest.mark.parametrize(("tag", "direction", "native"), [
    ("ar", "rtl", "العربية"), ("ur", "rtl", "اردو"), ("fa", "rtl", "فارسی"), ("he", "rtl", "עברית"),
    ("en", "ltr", "English"), ("es", "ltr", "Español"), ("mn", "ltr", "Монгол"), ("pt-BR", "ltr", "Português (Brasil)"),
])
def test_direction_and_native_name_come_from_cldr(tag: str, direction: str, native: str) -> None:
    assert (language(tag).dir, language(tag).native) == (direction, native)


def test_unknown_tag_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="'xx-Qqqq' is not a BCP 47 tag CLDR knows"):
        language("xx-Qqqq")


def test_a_region_falls_back_to_its_language_and_english_needs_no_catalog() -> None:
    assert catalog_path(TRANSLATIONS, "pt-BR") == TRANSLATIONS / "pt" / "LC_MESSAGES" / "messages.po"
    assert catalog_path(TRANSLATIONS, "zh-Hans-CN") == TRANSLATIONS / "zh_Hans" / "LC_MESSAGES" / "messages.po"
    assert catalog_path(TRANSLATIONS, "en") is None and catalog_path(TRANSLATIONS, "en-GB") is None
    assert load_translations(TRANSLATIONS, "en").gettext("Send report") == "Send report"
    assert load_translations(TRANSLATIONS, "pt-MZ").gettext("Send report") == "Enviar denúncia"
    assert check_catalogs(TRANSLATIONS, {"en": ["bz"], "en-GB": ["gb"]}) == []


def test_at_least_twenty_complete_catalogs_three_of_them_right_to_left() -> None:
    tags = shipped()
    assert len(tags) >= 20
    assert {"ar", "fa", "he", "ur"} <= {t for t in tags if language(t).dir == "rtl"}
    # THEN each is complete and its placeholders are right; the only finding is the review status
    problems = check_catalogs(TRANSLATIONS, {t: ["test"] for t in tags})
    assert [p for p in problems if "not reviewed by a native speaker" not in p.message] == []


def test_every_language_of_every_real_portal_has_a_complete_catalog() -> None:
    langs = {bcp47(t) for p in load_config(ROOT / "sites").portals for t in p.languages}
    assert {"en", "es", "hi", "ne", "ur", "mn", "kk", "id", "fr", "pt-MZ", "sw"} <= langs
    for tag in sorted(langs - {"en"}):
        assert catalog_path(TRANSLATIONS, tag) is not None, tag
    problems = check_catalogs(TRANSLATIONS, {t: ["test"] for t in langs})
    assert [str(p) for p in problems if "not reviewed" not in p.message] == []


def test_the_template_holds_exactly_what_the_code_and_templates_say(tmp_path: Path, monkeypatch) -> None:
    # GIVEN a fresh extraction with the options of `make messages`
    monkeypatch.chdir(ROOT)
    fresh = tmp_path / "fresh.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", "babel.cfg", "-o", str(fresh), "--no-location",
                                "--sort-output", "--project", "reportal", "--version", "0.1", "."])
    with fresh.open("rb") as a, (TRANSLATIONS / "messages.pot").open("rb") as b:
        wanted, committed = {m.id for m in read_po(a)}, {m.id for m in read_po(b)}
    # THEN translations/messages.pot is current (else run `make messages` and translate what is new)
    assert sorted(wanted - committed) == [] and sorted(committed - wanted) == []


def test_missing_catalog_warns_and_fails_strict_naming_the_language(tmp_path: Path) -> None:
    paths = portal_site(tmp_path, "ne, en", copy_translations(tmp_path))
    result = build(paths, tmp_path / "dist", tmp_path / "fn")
    po = tmp_path / "translations" / "ne" / "LC_MESSAGES" / "messages.po"
    assert [str(w) for w in result.warnings] == [
        f"{po}:0: ne: warning: no catalog for this language (portals: sn), so its pages are in English; "
        f"create it with `pybabel init -i {tmp_path / 'translations'}/messages.pot -d {tmp_path / 'translations'} "
        "-l ne` and translate it"]
    with pytest.raises(ConfigError) as err:
        build(paths, tmp_path / "dist2", tmp_path / "fn2", strict=True)
    assert "ne: warning: no catalog for this language" in str(err.value)
    assert not (tmp_path / "dist2").exists()


def test_incomplete_catalog_names_each_missing_message_with_its_line(tmp_path: Path) -> None:
    # GIVEN a French catalog with one message emptied and one marked fuzzy
    translations = copy_translations(tmp_path, "fr")
    po = translations / "fr" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    text = text.replace('msgstr "Envoyer le signalement"', 'msgstr ""')
    text = text.replace('msgid "Privacy"\n', '#, fuzzy\nmsgid "Privacy"\n')
    po.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    send, privacy = lines.index('msgid "Send report"') + 1, lines.index('msgid "Privacy"') + 1
    # WHEN the portal is built
    paths = portal_site(tmp_path, "fr", translations)
    result = build(paths, tmp_path / "dist", tmp_path / "fn")
    # THEN both are named, with their line, and shown in English meanwhile
    assert [str(w) for w in result.warnings if "reviewed" not in w.message] == [
        f"{po}:{privacy}: fr: warning: fuzzy, so shown in English: 'Privacy'",
        f"{po}:{send}: fr: warning: untranslated (shown in English): 'Send report'",
    ]
    page = (tmp_path / "dist" / "sn" / "fr" / "index.html").read_text(encoding="utf-8")
    assert '<button type="submit">Send report</button>' in page and ">Privacy</a>" in page
    with pytest.raises(ConfigError):
        build(paths, tmp_path / "dist2", tmp_path / "fn2", strict=True)


def test_wrong_placeholder_is_an_error_even_without_strict(tmp_path: Path) -> None:
    translations = copy_translations(tmp_path, "fr")
    po = translations / "fr" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text(encoding="utf-8").replace("Ce portail est géré par l’organisation %(name)s.",
                                                         "Ce portail est géré par l’organisation %(nom)s."), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        build(portal_site(tmp_path, "fr", translations), tmp_path / "dist", tmp_path / "fn")
    assert "fr: translation of 'This portal is run by %(name)s.' must hold exactly the placeholders ['name']" \
        in str(err.value)
    assert not (tmp_path / "dist").exists()


def test_check_lists_unreviewed_catalogs_and_a_reviewer_silences_it(tmp_path: Path, capsys) -> None:
    # GIVEN a repository root with the real templates and two catalogs
    translations = copy_translations(tmp_path, "fr", "ur")
    (tmp_path / "templates").symlink_to(ROOT / "templates")
    paths = portal_site(tmp_path, "fr, ur", translations)
    assert main(["--root", str(tmp_path), "check", "--sites", str(paths.sites)]) == 0
    err = capsys.readouterr().err
    for loc in ("fr", "ur"):
        assert (f"{translations / loc / 'LC_MESSAGES' / 'messages.po'}:1: {loc}: warning: not reviewed by a native "
                f"speaker ({REVIEW_HEADER}: no); have one read it before a portal in this language launches") in err
    po = translations / "fr" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text(encoding="utf-8").replace(f"{REVIEW_HEADER}: no", f"{REVIEW_HEADER}: Awa Diop, 2026-12-01"),
                  encoding="utf-8")
    assert main(["--root", str(tmp_path), "check", "--sites", str(paths.sites)]) == 0
    err = capsys.readouterr().err
    assert "fr: warning" not in err and "ur: warning: not reviewed" in err


def test_make_messages_update_keeps_the_review_header_and_adds_new_msgids_empty(tmp_path: Path) -> None:
    translations = copy_translations(tmp_path, "ar")
    pot = translations / "messages.pot"
    pot.write_text(pot.read_text(encoding="utf-8") + '\nmsgid "A brand new sentence."\nmsgstr ""\n', encoding="utf-8")
    po = translations / "ar" / "LC_MESSAGES" / "messages.po"
    assert update_catalogs(pot, translations) == [po]
    catalog = read_catalog(po)
    assert catalog.extra_headers == {REVIEW_HEADER: "no"}
    assert catalog["A brand new sentence."].string == "" and catalog["Send report"].string == "إرسال البلاغ"
    assert update_catalogs(pot, translations) == []  # a second run changes nothing


@pytest.mark.parametrize("written,canonical,locale,cldr", [
    ("pt_br", "pt-BR", "pt_BR", "pt-BR"), ("zh_hant_tw", "zh-Hant-TW", "zh_Hant_TW", "zh-Hant-TW"),
    ("EN", "en", "en", "en"), ("iw", "iw", "iw", "he-IL"), ("spa", "spa", "spa", "es-ES"), ("pt-MZ", "pt-MZ", "pt_MZ", "pt-MZ"),
])
def test_one_canonicaliser_for_every_use_of_a_language_tag(written, canonical, locale, cldr) -> None:
    # GIVEN a tag as someone wrote it WHEN the build, the config check and the function spell it
    from reportal import bcp47
    from reportal.site.catalogs import bcp47 as catalogs_bcp47, locale_id as catalogs_locale_id

    # THEN they use the one module: its spelling, locale id and CLDR resolution
    assert (bcp47.canonical(written), bcp47.locale_id(written), bcp47.cldr_canonical(written)) == (canonical, locale, cldr)
    assert (catalogs_bcp47, catalogs_locale_id) == (bcp47.canonical, bcp47.locale_id)
