"""Portal config against hostile or odd input: deep nesting, control and bidi characters, URLs a
browser reads differently, YAML features a portal never needs; always a located one-line problem."""
from __future__ import annotations

import pytest
import yaml

from reportal.site import yamlload
from reportal.site.rules import check_https, text_problem
from tests.support import VALID, problems_for

LOADERS = [yaml.SafeLoader] + ([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])
TOO_DEEP = "nested too deeply (more than 32 levels of mappings and lists); a portal file needs at most four"


@pytest.fixture(params=LOADERS, ids=lambda loader: loader.__name__)
def loader(request, monkeypatch) -> None:
    """Each test runs with PyYAML's pure-Python loader and with libyaml's (when built)."""
    monkeypatch.setattr(yamlload, "_Loader", request.param)


@pytest.mark.parametrize("nested,line", [
    ("names: " + "[" * 500 + "]" * 500 + "\n", 9),  # the tester's flow case
    ("names: " + "[" * 200_000 + "]" * 200_000 + "\n", 9),  # crashed libyaml's composer (C stack)
    ("names:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 3000)) + "  " * 3000 + "v\n", 41),
])
def test_deep_nesting_is_a_located_problem(tmp_path, monkeypatch, loader, nested, line) -> None:
    assert problems_for(tmp_path, monkeypatch, VALID + nested) == [f"sites/bz.yaml:{line}: -: {TOO_DEEP}"]


def test_aliases_nesting_deeper_than_written_are_stopped(tmp_path, monkeypatch, loader) -> None:
    # GIVEN anchors each nesting the previous one: 2 levels as written, 3,000 once expanded
    chain = "x0: &a0 [x]\n" + "".join(f"x{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 3000))
    [problem] = problems_for(tmp_path, monkeypatch, VALID + chain)
    assert problem.startswith("sites/bz.yaml:9: x31[0][0]") and problem.endswith(f": {TOO_DEEP}")


@pytest.mark.parametrize("value,message", [
    ('"Ke\\e[31mnya\\0"', "holds the control character U+001B; remove it"),
    ('"Kenya\\0"', "holds the control character U+0000; remove it"),
    ('"Ke\\bnya"', "holds the control character U+0008; remove it"),
    ('"Ke\\x9bnya"', "holds the control character U+009B; remove it"),
    ('"Ke\\tnya"', "holds the control character U+0009; remove it"),
    ('"\\u202eayneK"', "holds the bidirectional control U+202E, which can make text read differently from what "
                       "it is; remove it (pages set the direction from the language)"),
    ('"Ke\\u2067nya"', "holds the bidirectional control U+2067, which can make text read differently from what "
                       "it is; remove it (pages set the direction from the language)"),
    (">\n        Kenya\n        Republic",
     "holds a line break (U+000A); write the text on one line (in a folded block, "
     "write >- so that lines are joined without a break)"),
    ('"Ke\\Lnya"', "holds a line break (U+2028); write the text on one line (in a folded block, "
                   "write >- so that lines are joined without a break)"),
])
def test_control_and_bidi_characters_in_text_are_refused(tmp_path, monkeypatch, loader, value, message) -> None:
    portal = VALID.replace("      en: Emergency\n", f"      en: {value}\n")
    assert problems_for(tmp_path, monkeypatch, portal) == [f"sites/bz.yaml:7: help[0].label.en: {message}"]


def test_the_testers_name_with_escapes_fails_the_build(tmp_path, monkeypatch, loader) -> None:
    portal = VALID + 'names: {en: "Ke\\x1b[31mnya\\x00", es: Kenia}\n'
    assert problems_for(tmp_path, monkeypatch, portal) == [
        "sites/bz.yaml:9: names.en: holds the control character U+001B; remove it"]


def test_letters_and_the_joiners_and_marks_scripts_need_are_text() -> None:
    for text in ("Belize", "بليز\u200f", "नेपाल\u200d", "می\u200cخواهم", "Ελλάδα – 🇧🇿", "a\u061cb"):
        assert text_problem(text) is None
    assert text_problem("\ud800") == "holds U+D800, half of a surrogate pair, which is not a character; remove it"


def test_a_key_with_a_control_character_is_shown_escaped(tmp_path, monkeypatch, loader) -> None:
    found = problems_for(tmp_path, monkeypatch, VALID + '"te\\ext": x\n')
    assert found == ["sites/bz.yaml:9: 'te\\x1bxt': the key holds the control character U+001B; remove it"]
    assert not any(ch in "".join(found) for ch in "\x1b\n\r")


@pytest.mark.parametrize("url,message", [
    ("https://x.example:99999/", "has a port that is not a number from 1 to 65535"),
    ("https://x.example:0/", "has a port that is not a number from 1 to 65535"),
    ("https://x.example:8a/", "has a port that is not a number from 1 to 65535"),
    ("https://x.example:/", "has a port that is not a number from 1 to 65535"),
    ("https://evil.example\\@good.example/", "holds '\\\\', which a URL may not hold as it is; write it "
                                             "%-encoded or remove it"),
    ("https://user:pw@good.example/", "holds a user name or password (the part before @); remove it"),
    ("https://good.example/\u202egpj.exe", "holds U+202E, which a URL may not hold as it is; write it "
                                           "%-encoded or remove it"),
    ("https://good.example/a b", "holds U+0020, which a URL may not hold as it is; write it %-encoded or remove it"),
    ("https://good.example/\x00", "holds U+0000, which a URL may not hold as it is; write it %-encoded or remove it"),
    ("https://good.example/<x>", "holds '<', which a URL may not hold as it is; write it %-encoded or remove it"),
    ("https:///path", "has no host"),
    ("https://:443/", "has no host"),
    ("https://bad_host.example/", "its host 'bad_host.example' is not a valid domain name"),
    ("https://a..example/", "its host 'a..example' is not a valid domain name"),
    ("https://-a.example/", "its host '-a.example' is not a valid domain name"),
    ("https://" + "a" * 64 + ".example/", f"its host '{'a' * 64}.example' is not a valid domain name"),
    ("https://[::g]/", "has a host in [ ] that is not an IPv6 address"),
    ("https://[::1/", "has a host in [ ] that is not an IPv6 address"),
    ("HTTPS://good.example/", "is not an https:// address"),
    ("http://good.example/", "is not an https:// address"),
    ("javascript:alert(1)//https://x", "is not an https:// address"),
])
def test_urls_a_browser_or_a_reader_could_take_elsewhere_are_refused(url, message) -> None:
    with pytest.raises(ValueError) as exc:
        check_https(url)
    assert str(exc.value) == f"{url!r} {message}"


@pytest.mark.parametrize("url", [
    "https://good.example/", "https://good.example:8443/a?b=c&d=%20#frag", "https://[2001:db8::1]/",
    "https://192.0.2.1/", "https://bücher.example/straße", "https://xn--bcher-kva.example./",
    "https://good.example/ar/مرحبا",
])
def test_ordinary_urls_are_accepted(url) -> None:
    assert check_https(url) == url


@pytest.mark.parametrize("url,message", [
    # an RLO: the loader and the URL rule would both refuse it; said once
    ("https://police.example/\\u202egpj.exe", "holds the bidirectional control U+202E, which can make text read "
                                            "differently from what it is; remove it (pages set the direction "
                                            "from the language)"),
    ("https://police.example:99999/", "'https://police.example:99999/' has a port that is not a number from 1 "
                                      "to 65535"),
])
def test_a_bad_url_is_located_once(tmp_path, monkeypatch, loader, url, message) -> None:
    portal = VALID.replace('phone: "911"', f'url: "{url}"')
    assert problems_for(tmp_path, monkeypatch, portal) == [f"sites/bz.yaml:5: help[0].url: {message}"]


def test_merge_keys_are_refused_with_their_line(tmp_path, monkeypatch, loader) -> None:
    portal = VALID.replace("    label:\n", "    label: &l\n") + "names:\n  <<: *l\n"
    assert problems_for(tmp_path, monkeypatch, portal) == [
        "sites/bz.yaml:10: names: merge keys (<<) are not supported; write the keys out in full"]


@pytest.mark.parametrize("portal,line", [
    (VALID.replace("    label:\n      en", "    label:\n\ten"), 7),
    (VALID.replace("      es: Emergencias", "\tes: Emergencias"), 8),
    (VALID.replace("  - kind: emergency", "\t- kind: emergency"), 4),
])
def test_a_tab_indenting_says_so(tmp_path, monkeypatch, loader, portal, line) -> None:
    assert problems_for(tmp_path, monkeypatch, portal) == [
        f"sites/bz.yaml:{line}: -: tabs cannot indent YAML; use spaces"]


def test_a_character_yaml_forbids_in_a_file_is_one_located_line(tmp_path, monkeypatch, loader) -> None:
    portal = VALID.replace("es: Emergencias", "es: Emerg\x00encias")
    assert problems_for(tmp_path, monkeypatch, portal) == [
        "sites/bz.yaml:8: -: holds the character U+0000, which YAML does not allow in a file; remove it"]


@pytest.mark.parametrize("value,tag,rule", [
    ("!!binary aGVsbG8=", "!!binary", "only !!str may be written, to read a value as text"),
    ('!!int "911"', "!!int", "only !!str may be written, to read a value as text"),
    ("!local x", "!local", "only !!str may be written, to read a value as text"),
    ("!!python/object/apply:os.system [ls]", "!!python/object/apply:os.system", "a mapping or list takes none"),
    ("!!omap [a: b]", "!!omap", "a mapping or list takes none"),
    ("!!set {a}", "!!set", "a mapping or list takes none"),
])
def test_explicit_tags_other_than_str_are_refused(tmp_path, monkeypatch, loader, value, tag, rule) -> None:
    portal = VALID.replace("es: Emergencias", f"es: {value}")
    assert problems_for(tmp_path, monkeypatch, portal) == [
        f"sites/bz.yaml:8: help[0].label.es: the tag {tag!r} is not supported; remove it ({rule})"]


@pytest.mark.parametrize("old,new", [('phone: "911"', "phone: !!str 911"), ("es: Emergencias", "es: ! Emergencias")])
def test_str_tag_and_non_specific_tag_still_make_text(tmp_path, monkeypatch, loader, old, new) -> None:
    assert problems_for(tmp_path, monkeypatch, VALID.replace(old, new)) == []
