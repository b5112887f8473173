"""Broken inputs end a build with located one-line problems, never a traceback; every message
escapes what it quotes; translations are checked like config text (issue 13)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reportal.site.build import Paths, build
from reportal.site.config import ConfigError, ConfigProblem
from tests.support import FIXTURE_SITES, ROOT

SPANISH = Path("es/LC_MESSAGES/messages.po")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the fixture portals (bz: en+es; eg: ar+en) with the real catalogs."""
    shutil.copytree(FIXTURE_SITES, tmp_path / "sites")
    shutil.copytree(ROOT / "translations", tmp_path / "translations")
    return tmp_path


def _problems(tree: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        build(Paths(tree / "sites", ROOT / "templates", tree / "translations"), tree / "dist", tree / "fn")
    assert not (tree / "dist").exists()  # nothing written
    return [str(p) for p in caught.value.problems]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_folder_named_like_a_portal_file(tree: Path) -> None:
    (tree / "sites" / "xx.yaml").mkdir()
    assert _problems(tree) == [f"{tree}/sites/xx.yaml:0: -: cannot be read (Is a directory); a portal is one YAML file"]


def test_a_plural_forms_header_gettext_cannot_evaluate(tree: Path) -> None:
    po = tree / "translations" / SPANISH
    text = po.read_text(encoding="utf-8")
    start = text.index('"Plural-Forms: ')
    po.write_text(text[:start] + '"Plural-Forms: nplurals=2; plural=(n != 1 ? ;\\n"' + text[text.index("\n", start):],
                  encoding="utf-8")
    [problem] = _problems(tree)
    assert problem.startswith(f"{po}:0: -: cannot be compiled (ValueError: ") and "Plural-Forms" in problem


def test_a_catalog_that_is_not_utf8(tree: Path) -> None:
    po = tree / "translations" / SPANISH
    po.write_bytes(po.read_bytes() + b'\nmsgid "x"\nmsgstr "\xff"\n')
    assert _problems(tree) == [f"{po}:0: -: is not UTF-8 text (byte 0xff); save the file as UTF-8"]


def test_a_missing_template(tree: Path) -> None:
    (tree / "translations" / "messages.pot").unlink()
    assert _problems(tree) == [f"{tree}/translations/messages.pot:0: -: cannot be read (No such file or directory); "
                               "`make messages` writes it"]


@pytest.mark.parametrize("odd, code", [("\u202e", "U+202E"), ("\x1b", "U+001B"), ("\u2066", "U+2066")])
def test_a_translation_holding_a_bidi_or_control_character_is_refused(tree: Path, odd: str, code: str) -> None:
    po = tree / "translations" / SPANISH
    _edit(po, 'msgstr "Su denuncia no se recibió"', f'msgstr "Su denuncia {odd}no se recibió"')
    problems = _problems(tree)
    assert any("translation of 'Your report was not received' holds" in p and code in p for p in problems), problems


def test_every_problem_line_escapes_what_it_quotes() -> None:
    problem = ConfigProblem("sites/\x1b[2Jbz.yaml", 3, "partners[0].logo",
                            "'logos/a.svg' does not exist (looked for sites/logos/\u202egpj.svg)")
    assert str(problem) == ("sites/\\x1b[2Jbz.yaml:3: partners[0].logo: 'logos/a.svg' does not exist "
                            "(looked for sites/logos/\\u202egpj.svg)")
    assert str(ConfigProblem("sites/np.yaml", 1, "names.ne", "नेपाल ok")) == "sites/np.yaml:1: names.ne: नेपाल ok"
