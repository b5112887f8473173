"""Portal config: every YAML trap and schema mistake gives its exact message and line."""
from __future__ import annotations

from pathlib import Path

import pytest

from reportal.site.config import ConfigError, load_config
from tests.support import DEFAULTS, VALID, problems_for

def test_valid_portal_loads_with_its_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sites").mkdir()
    (tmp_path / "sites" / "_defaults.yaml").write_text(DEFAULTS)
    (tmp_path / "sites" / "bz.yaml").write_text(VALID)
    loaded = load_config(Path("sites"))
    assert loaded.warnings == []
    [portal] = loaded.portals
    assert (portal.code, portal.languages, portal.default_language) == ("bz", ["en", "es"], "en")
    assert portal.hotline.name == "Example Hotline"  # merged from _defaults.yaml
    assert portal.help[0].phone == "911" and portal.help[0].label["es"] == "Emergencias"


@pytest.mark.parametrize("word,reading", [
    ("NO", "false"), ("no", "false"), ("on", "true"), ("off", "false"), ("yes", "true"),
])
def test_yaml_boolean_words_where_text_is_expected(tmp_path, monkeypatch, word, reading) -> None:
    portal = VALID.replace("es: Emergencias", f"es: {word}")
    assert problems_for(tmp_path, monkeypatch, portal) == [
        f'sites/bz.yaml:8: help[0].label.es: {word} is read by YAML as the boolean {reading}, '
        f'not text; write "{word}" in quotes',
    ]


def test_norwegian_unquoted_in_languages(tmp_path, monkeypatch) -> None:
    portal = VALID.replace("languages: [en, es]", "languages: [en, no]").replace("es: Emergencias", "'no': Nødnummer")
    assert problems_for(tmp_path, monkeypatch, portal) == [
        'sites/bz.yaml:2: languages[1]: no is read by YAML as the boolean false, not text; write "no" in quotes',
    ]


def test_boolean_word_as_a_key(tmp_path, monkeypatch) -> None:
    portal = VALID.replace("languages: [en, es]", "languages: [en, 'no']").replace("es: Emergencias", "no: Nødnummer")
    assert problems_for(tmp_path, monkeypatch, portal) == [
        'sites/bz.yaml:8: help[0].label.no: no is read by YAML as the boolean false, not text; write "no" in quotes',
    ]


def test_sexagesimal_time(tmp_path, monkeypatch) -> None:
    portal = VALID.replace('phone: "911"', "phone: 10:00")
    assert problems_for(tmp_path, monkeypatch, portal) == [
        'sites/bz.yaml:5: help[0].phone: 10:00 is read by YAML as the base-60 number 600, not text; '
        'write "10:00" in quotes',
    ]


def test_float_that_loses_its_zero(tmp_path, monkeypatch) -> None:
    portal = VALID.replace("es: Emergencias", "es: 1.10")
    assert problems_for(tmp_path, monkeypatch, portal) == [
        'sites/bz.yaml:8: help[0].label.es: 1.10 is read by YAML as the number 1.1, not text; write "1.10" in quotes',
    ]


def test_date(tmp_path, monkeypatch) -> None:
    portal = VALID.replace("en: Emergency", "en: 2024-01-01")
    assert problems_for(tmp_path, monkeypatch, portal) == [
        'sites/bz.yaml:7: help[0].label.en: 2024-01-01 is read by YAML as the date 2024-01-01, not text; '
        'write "2024-01-01" in quotes',
    ]


@pytest.mark.parametrize("phone,reading", [("911", "the number 911"), ("0777", "the octal number 511")])
def test_unquoted_phone_numbers(tmp_path, monkeypatch, phone, reading) -> None:
    portal = VALID.replace('phone: "911"', f"phone: {phone}")
    assert problems_for(tmp_path, monkeypatch, portal) == [
        f'sites/bz.yaml:5: help[0].phone: {phone} is read by YAML as {reading}, not text; write "{phone}" in quotes',
    ]


def test_duplicate_key_names_both_lines(tmp_path, monkeypatch) -> None:
    portal = VALID + "languages: [en]\n"
    assert problems_for(tmp_path, monkeypatch, portal) == [
        "sites/bz.yaml:9: languages: duplicate key 'languages' at lines 2 and 9; keep one",
    ]


def test_unknown_key_names_the_closest(tmp_path, monkeypatch) -> None:
    portal = VALID.replace("    label:", "    lable:")
    found = problems_for(tmp_path, monkeypatch, portal)
    assert "sites/bz.yaml:6: help[0].lable: unknown key 'lable'; did you mean 'label'?" in found
    assert "sites/bz.yaml:4: help[0].label: required key is missing" in found


def test_unknown_top_level_key_without_close_match_lists_valid_keys(tmp_path, monkeypatch) -> None:
    assert problems_for(tmp_path, monkeypatch, VALID + "colour: red\n") == [
        "sites/bz.yaml:9: colour: unknown key 'colour'; valid here: code, languages, base_url, hotline, "
        "recipients, partners, help, texts, names, launch_unreviewed, retention, hosting, no_emergency_number",
    ]


def test_syntax_error_has_its_line(tmp_path, monkeypatch) -> None:
    portal = VALID.replace("languages: [en, es]", "languages: [en, es")
    [problem] = problems_for(tmp_path, monkeypatch, portal)
    assert problem.startswith("sites/bz.yaml:3: -: while parsing a flow sequence")


@pytest.mark.parametrize("old,new,expected", [
    ("code: bz", "code: xx",
     "sites/bz.yaml:1: code: 'xx' is not an ISO 3166-1 alpha-2 country code"),
    ("code: bz", "code: BZ", "sites/bz.yaml:1: code: write the country code in lowercase: 'bz'"),
    ("code: bz", "code: gt",
     "sites/bz.yaml:1: code: 'gt' does not match the file name bz.yaml; the file is named after its code"),
    ("[en, es]", "[en, spa]",
     "sites/bz.yaml:2: languages[1]: 'spa' is not a BCP 47 language tag CLDR knows; did you mean 'es'?"),
    ("[en, es]", "[en, es, en]", "sites/bz.yaml:2: languages[2]: 'en' is listed twice"),
    ("[en, es]", "[]", "sites/bz.yaml:2: languages: list at least one"),
    ('"911"', '"911 or 112"',
     "sites/bz.yaml:5: help[0].phone: '911 or 112' is not a phone number: use digits, spaces and + - . ( ) only"),
    ('phone: "911"', "url: http://police.example/",
     "sites/bz.yaml:5: help[0].url: 'http://police.example/' is not an https:// address"),
    ('    phone: "911"\n', "",
     "sites/bz.yaml:4: help[0]: give a phone number, an https URL or both"),
    ("kind: emergency", "kind: hospital",
     "sites/bz.yaml:4: help[0].kind: must be one of 'emergency', 'helpline', 'alert', 'police', 'other', "
     "not 'hospital'"),
    ("      es: Emergencias\n", "", "sites/bz.yaml:6: help[0].label: no text for es; give one in every portal language"),
])
def test_schema_mistakes(tmp_path, monkeypatch, old, new, expected) -> None:
    assert old in VALID
    assert problems_for(tmp_path, monkeypatch, VALID.replace(old, new)) == [expected]


def test_text_override_must_cover_every_language_and_exist(tmp_path, monkeypatch) -> None:
    portal = VALID.replace("languages: [en, es]", "languages: [en, es, fr]").replace(
        "      es: Emergencias\n", "      es: Emergencias\n      fr: Urgences\n")
    portal += "texts:\n  intro:\n    en: Hello\n  intor:\n    en: Hi\n"
    assert problems_for(tmp_path, monkeypatch, portal) == [
        "sites/bz.yaml:11: texts.intro: no text for es, fr; give one in every portal language",
        "sites/bz.yaml:13: texts.intor: unknown text 'intor'; did you mean 'intro'?",
    ]


def test_country_name_override_covers_every_language(tmp_path, monkeypatch) -> None:
    portal = VALID + "names:\n  en: Belize\n"
    assert problems_for(tmp_path, monkeypatch, portal) == [
        "sites/bz.yaml:9: names: no text for es; give one in every portal language",
    ]


def test_label_in_a_language_the_portal_lacks_is_a_warning(tmp_path, monkeypatch) -> None:
    portal = VALID.replace("      es: Emergencias\n", "      es: Emergencias\n      fr: Urgences\n")
    assert problems_for(tmp_path, monkeypatch, portal) == [
        "sites/bz.yaml:9: help[0].label.fr: warning: 'fr' is not a language of this portal (en, es); it is never shown",
    ]


def test_mistake_in_defaults_is_located_in_defaults(tmp_path, monkeypatch) -> None:
    defaults = DEFAULTS.replace("https://hotline", "http://hotline") + "recipients: [age1nope]\n"
    assert problems_for(tmp_path, monkeypatch, VALID, defaults=defaults) == [
        "sites/_defaults.yaml:4: hotline.url: 'http://hotline.example.org/' is not an https:// address",
        "sites/_defaults.yaml:5: recipients[0]: 'age1nope' is not an age public key (age1…)",
    ]


def test_secret_key_in_recipients_is_never_quoted(tmp_path, monkeypatch) -> None:
    secret = "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"
    found = problems_for(tmp_path, monkeypatch, VALID, defaults=DEFAULTS + f"recipients: [{secret}]\n")
    assert found == ["sites/_defaults.yaml:5: recipients[0]: this is an age secret key (not shown): "
                     "give its public recipient (age1…) and treat the key as leaked"]
    assert secret not in "".join(found)


def test_missing_required_key_is_located_at_its_parent(tmp_path, monkeypatch) -> None:
    defaults = DEFAULTS.replace("  name: Example Hotline\n", "")
    assert problems_for(tmp_path, monkeypatch, VALID, defaults=defaults) == [
        "sites/_defaults.yaml:2: hotline.name: required key is missing",
    ]


def test_portal_overrides_defaults_key_by_key(tmp_path, monkeypatch) -> None:
    portal = VALID + "hotline:\n  name: Local Hotline\n"
    monkeypatch.chdir(tmp_path)
    problems_for(tmp_path, monkeypatch, portal)
    [p] = load_config(Path("sites")).portals
    assert (p.hotline.name, p.hotline.url) == ("Local Hotline", "https://hotline.example.org/")


def test_only_names_a_missing_portal(tmp_path, monkeypatch) -> None:
    problems_for(tmp_path, monkeypatch, VALID)
    with pytest.raises(ConfigError) as exc:
        load_config(Path("sites"), only=["gt"])
    assert [str(p) for p in exc.value.problems] == ["sites/gt.yaml:0: -: no such portal file"]


def test_libyaml_and_pure_python_loaders_agree(monkeypatch) -> None:
    import yaml

    from reportal.site import yamlload

    text = VALID.replace('"911"', "10:00").replace("es: Emergencias", "no: 1.10") + "code: bz\nx: &a [1]\ny: *a\n"
    results = []
    for loader in (yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        monkeypatch.setattr(yamlload, "_Loader", loader)
        doc = yamlload.load_yaml(text)
        results.append((doc.data, doc.lines, doc.traps, doc.problems))
    assert results[0] == results[1]
    data, lines, traps, problems = results[0]
    assert traps[("help", 0, "phone")].reading == "the base-60 number 600" and lines[("help", 0, "phone")] == 5
    assert [p.message for p in problems] == [
        'no is read by YAML as the boolean false, not text; write "no" in quotes',
        "duplicate key 'code' at lines 1 and 9; keep one",
    ]
    assert data["y"] == [1]


def test_file_not_in_utf8_names_the_line(tmp_path, monkeypatch) -> None:
    portal = VALID.replace("Emergencias", "Emergéncias").encode("utf-8").replace("é".encode(), "é".encode("latin-1"))
    problems_for(tmp_path, monkeypatch, VALID)
    Path("sites/bz.yaml").write_bytes(portal)
    with pytest.raises(ConfigError) as exc:
        load_config(Path("sites"))
    assert [str(p) for p in exc.value.problems] == [
        "sites/bz.yaml:8: -: is not UTF-8 text (byte 0xe9); save the file as UTF-8"]


def test_portal_list_replaces_defaults_list_and_owns_its_mistakes(tmp_path, monkeypatch) -> None:
    defaults = DEFAULTS + 'help:\n  - kind: helpline\n    phone: "116"\n    label: {en: Child helpline, es: Línea}\n'
    portal = VALID.replace("    label:\n      en: Emergency\n      es: Emergencias\n", "")
    assert problems_for(tmp_path, monkeypatch, portal, defaults=defaults) == [
        "sites/bz.yaml:4: help[0].label: required key is missing",
    ]


def test_a_portal_file_cannot_set_its_own_recipients(tmp_path, monkeypatch) -> None:
    # GIVEN valid recipients in a portal file (the function seals every portal's reports alike)
    from pyrage import x25519

    key = x25519.Identity.generate().to_public()
    # WHEN loaded THEN refused at its line, not validated and then silently ignored by deploy
    assert problems_for(tmp_path, monkeypatch, VALID + f"recipients: [{key}]\n") == [
        "sites/bz.yaml:9: recipients: one function seals the reports of every portal to the same keys; "
        "set `recipients` in sites/_defaults.yaml only"]
    # ...while the same key in sites/_defaults.yaml is every portal's
    (tmp_path / "d").mkdir()
    assert problems_for(tmp_path / "d", monkeypatch, VALID, defaults=DEFAULTS + f"recipients: [{key}]\n") == []
