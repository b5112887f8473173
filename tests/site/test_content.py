"""What a reporter reads (issue 17): the line for a child in danger before the form, no promise
of an emergency number a portal does not have, opening hours and caveats in each language, the
root page, the privacy page, the language of pages without a catalog, and the forbidden terms."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from reportal.site.build import Paths, build
from reportal.site.config import ConfigError, load_config
from reportal.site.pages import portal_languages
from tests.support import ROOT

DEFAULTS = ("base_url: https://report.example.org\nhotline:\n  name: Example Hotline\n"
            "  url: https://hotline.example.org/\n  country: gb\n")


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/ of the real sites/."""
    out = tmp_path_factory.mktemp("content")
    build(Paths.under(ROOT), out / "dist", out / "fn")
    return out / "dist"


def _site(tmp_path: Path, portal: str, languages: str = "[en]") -> Paths:
    sites = tmp_path / "sites"
    sites.mkdir(parents=True)
    (sites / "_defaults.yaml").write_text(DEFAULTS)
    (sites / "sn.yaml").write_text(f"code: sn\nlanguages: {languages}\n{portal}", encoding="utf-8")
    return Paths(sites, ROOT / "templates", ROOT / "translations")


def _report_pages(dist: Path) -> list[Path]:
    return sorted(p for p in dist.glob("*/*/index.html") if p.parent.parent.name != "logos") + \
        sorted(dist.glob("*/index.html"))


def test_every_report_page_shows_the_first_help_line_before_the_form(real: Path) -> None:
    # GIVEN every real portal built WHEN each report page is read (every language, and /<cc>/)
    portals = {p.code: p for p in load_config(ROOT / "sites").portals}
    pages = [p for p in _report_pages(real) if p.parent.name in portals or p.parent.parent.name in portals]
    assert len(pages) == sum(1 + len(p.languages) for p in portals.values())
    for page in pages:
        html = page.read_text(encoding="utf-8")
        code = page.parent.name if page.parent.name in portals else page.parent.parent.name
        first = portals[code].help[0]
        # THEN the danger box, holding the first line's number as a tel: link, comes before the form
        box = html.index('<section class="urgent"')
        assert box < html.index("<form "), page
        assert html.index(f'href="tel:{first.phone.replace(" ", "")}"', box) < html.index("<form "), page


def test_zambia_puts_the_child_helpline_first_and_warns_about_991(real: Path) -> None:
    html = (real / "zm" / "en" / "index.html").read_text(encoding="utf-8")
    box = html[html.index('<section class="urgent"'):html.index("</section>")]
    assert 'href="tel:116"' in box and "open 24 hours, every day" in box and "991" not in box
    help_list = html[html.index('<ul class="help">'):]
    assert ('<strong class="caveat">Often out of service. If it does not connect, call 116 or go to the nearest '
            'police station.</strong>') in help_list
    assert "open Monday–Friday, 8:00\u202fAM to 5:00\u202fPM" in help_list  # ZICTA 7070, CLDR's English times
    assert help_list.index("tel:116") < help_list.index("tel:991") < help_list.index("tel:7070")


def test_hours_and_caveats_are_written_in_the_page_language(real: Path) -> None:
    # GIVEN Pakistan's DRF line open every day 09:00-17:00 WHEN shown in Urdu THEN CLDR's Urdu day names
    urdu = (real / "pk" / "ur" / "help" / "index.html").read_text(encoding="utf-8")
    assert "کھلا: پیر–اتوار، 9:00 AM سے 5:00 PM تک" in urdu or re.search(r"کھلا: پیر–اتوار، .+ سے .+ تک", urdu)
    # AND Mongolia's police line first, with how to dial it from a mobile, in Kazakh
    kazakh = (real / "mn" / "kk" / "index.html").read_text(encoding="utf-8")
    box = kazakh[kazakh.index('<section class="urgent"'):kazakh.index("</section>")]
    assert 'href="tel:102"' in box and "+976 102" in box


def test_belize_lists_the_jasmine_alert_inside_the_911_line(real: Path) -> None:
    portal = next(p for p in load_config(ROOT / "sites").portals if p.code == "bz")
    assert [h.kind for h in portal.help].count("alert") == 0
    spanish = (real / "bz" / "es" / "index.html").read_text(encoding="utf-8")
    assert "Alerta Jasmine" in spanish and "denuncie a un niño secuestrado" not in spanish


def test_a_portal_without_an_emergency_number_never_promises_one(tmp_path: Path) -> None:
    # GIVEN a portal whose only line is a child helpline
    paths = _site(tmp_path, 'help:\n  - kind: helpline\n    phone: "116"\n    label: {en: Child helpline}\n')
    # WHEN built THEN it warns, and --strict refuses it
    result = build(paths, tmp_path / "dist", tmp_path / "fn")
    assert [w.key for w in result.warnings if "emergency" in w.message] == ["help"]
    with pytest.raises(ConfigError, match="no emergency or police number"):
        build(paths, tmp_path / "dist2", tmp_path / "fn2", strict=True)
    # AND its pages say what to do instead of promising an emergency number
    for page in ("index.html", "help/index.html", "thanks/index.html"):
        html = (tmp_path / "dist" / "sn" / "en" / page).read_text(encoding="utf-8")
        assert "call the emergency number" not in html and "Call now:" not in html
        assert "Call now, or go to the nearest police station:" in html or page == "thanks/index.html"
        assert "No emergency number is listed for this country." in html


def test_a_portal_with_no_help_at_all_sends_the_reporter_to_the_police(tmp_path: Path) -> None:
    paths = _site(tmp_path, "")
    build(paths, tmp_path / "dist", tmp_path / "fn")
    html = (tmp_path / "dist" / "sn" / "en" / "index.html").read_text(encoding="utf-8")
    assert html.index("Go to the nearest police station now.") < html.index("<form ")
    assert "tel:" not in html


def test_no_emergency_number_acknowledged_lets_strict_pass(tmp_path: Path) -> None:
    paths = _site(tmp_path, 'no_emergency_number: none found with a source (searched 2026-12-01)\n'
                            'help:\n  - kind: helpline\n    phone: "116"\n    label: {en: Child helpline}\n')
    assert build(paths, tmp_path / "dist", tmp_path / "fn", strict=True).warnings == []


def test_hours_must_be_quoted_times_and_known_days(tmp_path: Path) -> None:
    paths = _site(tmp_path, 'help:\n  - kind: police\n    phone: "17"\n    label: {en: Police}\n'
                            '    hours: {days: mon-fry, opens: "8:00", closes: 5pm}\n'
                            '  - kind: helpline\n    phone: "116"\n    label: {en: Helpline}\n    hours: always\n')
    with pytest.raises(ConfigError) as caught:
        load_config(paths.sites)
    messages = sorted(f"{p.key}: {p.message}" for p in caught.value.problems)
    assert messages == [
        "help[0].hours.closes: '5pm' is not a time: write it as \"08:00\" (24-hour clock, in quotes)",
        "help[0].hours.days: 'mon-fry' is not a day or a range of days: write e.g. mon-fri, sat-sun or mon "
        "(days: mon, tue, wed, thu, fri, sat, sun)",
        "help[0].hours.opens: '8:00' is not a time: write it as \"08:00\" (24-hour clock, in quotes)",
        "help[1].hours: 'always' is not opening hours: write \"24/7\", or days, opens and closes",
    ]


def test_root_page_names_each_country_once_per_name_with_its_languages(real: Path) -> None:
    html = (real / "index.html").read_text(encoding="utf-8")
    assert '<p class="brand">Internet Watch Foundation</p>' in html
    # "Uganda · Uganda", "Belize · Belice" aside: no name repeats next to itself
    names = re.findall(r'<li><a href="/[a-z]{2}/">(.*?)</a>', html)
    for entry in names:
        shown = re.findall(r">([^<]+)</span>", entry)
        assert len(shown) == len(set(shown)), entry
    # AND every language of every portal is a link by its own name
    for portal in load_config(ROOT / "sites").portals:
        for tag in portal_languages(portal):
            assert f'<a href="/{portal.code}/{tag}/" hreflang="{tag}" lang="{tag}"' in html


def test_privacy_page_says_who_where_and_what_is_received(real: Path) -> None:
    html = (real / "bz" / "en" / "privacy" / "index.html").read_text(encoding="utf-8")
    assert "The hotline that reads your report: Internet Watch Foundation, in United Kingdom." in html
    assert "hosted by Amazon Web Services (AWS) in its eu-west-2 region (United Kingdom)" in html
    assert "also receives your IP address" in html and "The time your report arrived" in html
    assert "They are not encrypted there unless the hotline encrypts its disks." in html
    assert "What we do not collect" not in html


def test_pages_without_a_catalog_say_they_are_english(tmp_path: Path) -> None:
    # GIVEN a portal in Akan (CLDR knows it; no catalog) and English
    paths = _site(tmp_path, 'help:\n  - kind: police\n    phone: "191"\n    label: {ak: Polisifo, en: Police}\n',
                  "[ak, en]")
    build(paths, tmp_path / "dist", tmp_path / "fn")
    html = (tmp_path / "dist" / "sn" / "ak" / "index.html").read_text(encoding="utf-8")
    # THEN the page says it is English, and marks the Akan label as Akan
    assert html.startswith('<!doctype html>\n<html lang="en" dir="ltr">')
    assert '<span lang="ak" dir="ltr">Polisifo</span>' in html
    # AND the English page needs no such mark
    english = (tmp_path / "dist" / "sn" / "en" / "index.html").read_text(encoding="utf-8")
    assert '<span lang="en"' not in english and "Police: <a" in english


@pytest.mark.parametrize(("locale", "msgid", "bad", "good"), [
    ("zh_Hans", "This portal is only for reporting sexual images and videos of children on the internet. We cannot "
                "help with other problems here, but the numbers below can.", "本平台仅用于举报儿童色情图片。", None),
    ("sw", "Videos", "Video za ngono", "Video za kingono"),
    ("id", "Report child sexual abuse images", "Laporkan gambar pelecehan seksual anak",
     "Laporkan gambar kekerasan seksual terhadap anak"),
    ("fr", "Videos", "Vidéos pornographiques", None),
])
def test_forbidden_terms_are_refused_per_language(tmp_path: Path, locale: str, msgid: str, bad: str,
                                                  good: str | None) -> None:
    # GIVEN a copy of the catalogs with one translation using a term terms.yaml forbids for its language
    translations = tmp_path / "translations"
    shutil.copytree(ROOT / "translations", translations)
    po = translations / locale / "LC_MESSAGES" / "messages.po"
    from reportal.site.catalogs import read_catalog

    def with_translation(text: str) -> None:
        import io

        from babel.messages.pofile import write_po
        catalog = read_catalog(po)
        catalog.get(msgid).string = text
        buf = io.BytesIO()
        write_po(buf, catalog, width=76)
        po.write_bytes(buf.getvalue())

    with_translation(bad)
    paths = Paths(ROOT / "sites", ROOT / "templates", translations)
    # WHEN checked (the catalog need not be used by any portal) THEN it is an error naming what to write
    with pytest.raises(ConfigError) as caught:
        build(paths, tmp_path / "dist", tmp_path / "fn", write=False)
    [problem] = [p for p in caught.value.problems if "misnames abuse" in p.message]
    assert problem.file == str(po) and problem.key == locale and msgid[:20] in problem.message
    if good is not None:  # AND the established term passes ("kingono" is not "ngono")
        with_translation(good)
        build(paths, tmp_path / "dist", tmp_path / "fn", write=False)


def test_english_msgids_are_checked_too(tmp_path: Path) -> None:
    translations = tmp_path / "translations"
    shutil.copytree(ROOT / "translations", translations)
    pot = translations / "messages.pot"
    pot.write_text(pot.read_text(encoding="utf-8") + '\nmsgid "Report child porn"\nmsgstr ""\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="'Report child porn' uses 'porn'"):
        build(Paths(ROOT / "sites", ROOT / "templates", translations), tmp_path / "d", tmp_path / "f", write=False)


@pytest.mark.parametrize("locale", ["fr", "pt", "pt_MZ", "es", "it"])
def test_the_hotlines_name_never_follows_a_bare_preposition(locale: str) -> None:
    # GIVEN a language whose prepositions take an article before an organisation's name
    # ("de Internet Watch Foundation" is wrong French), every sentence holding %(name)s
    from reportal.site.catalogs import read_catalog

    catalog = read_catalog(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po")
    bare = re.compile(r"\b(de|à|par|pour|da|do|à|por|pela|pelo|para|a|en|con|di|a|da|per)\s+%\(name\)s", re.I)
    found = [m.string for m in catalog if m.id and isinstance(m.string, str) and bare.search(m.string)]
    # THEN none puts the name straight after a preposition: it follows a noun ("l’organisation")
    assert found == []
    assert sum("%(name)s" in (m.string or "") for m in catalog if isinstance(m.string, str)) >= 5
