"""Analysts' views: list, show, export; escaped text, formula-neutral CSV, private files."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from reportal.cli import main
from reportal.inbox.export import escape_text, json_text, neutralize_cell, write_csv
from reportal.inbox.store import Store
from tests.support import make_report

HOSTILE_URL = "https://evil.example/\x1b]8;;https://x\x07\u202egpj.exe"


@pytest.fixture
def db(tmp_path) -> Path:
    """An inbox holding a hostile report, a plain one and its duplicate."""
    path = tmp_path / "inbox.sqlite"
    with Store(path) as store:
        store.add_many([
            make_report(report_id="aaaa0001", urls=[HOSTILE_URL], notes="=HYPERLINK(\"http://x\")\nline 2",
                        email="+1@example.org", referrer="-x", received_at="2025-03-01T09:00:00Z"),
            make_report(report_id="bbbb0002", urls=["https://ok.example/"], notes="نص عربي",
                        received_at="2025-03-01T10:00:00Z"),
            make_report(report_id="cccc0003", urls=["https://ok.example/"], kind="image",
                        received_at="2025-03-01T11:00:00Z"),
        ])
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_escape_text_keeps_letters_and_escapes_what_could_steer_a_terminal() -> None:
    assert escape_text("تقرير 報告 ü") == "تقرير 報告 ü"
    assert escape_text(HOSTILE_URL) == "https://evil.example/\\x1b]8;;https://x\\x07\\u202egpj.exe"
    assert escape_text("a\\x1b") == "a\\\\x1b"  # a typed backslash cannot fake an escape
    assert escape_text("\u2028\U000e0041\ue000\x9b") == "\\u2028\\U000e0041\\ue000\\x9b"
    assert escape_text(None) == "-"


def test_list_json_is_the_plaintexts_plus_duplicate_of(db, capsys) -> None:
    code, out, _ = _run(capsys, "inbox", "list", "--json", "--db", str(db))
    assert code == 0
    with Store(db) as store:
        assert json.loads(out) == store.list()
    listed = json.loads(out)
    assert [r["duplicate_of"] for r in listed] == [None, None, "bbbb0002"]
    assert listed[0]["urls"][0]["normalized"] == HOSTILE_URL  # the value itself is exact...
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out  # ...but the text is inert
    assert "نص عربي" in out


def test_list_text_shows_escaped_urls_and_groups(db, capsys) -> None:
    code, out, _ = _run(capsys, "inbox", "list", "--db", str(db))
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3
    assert lines[0] == ("aaaa0001  2025-03-01T09:00:00Z  bz/es  new  "
                        "https://evil.example/\\x1b]8;;https://x\\x07\\u202egpj.exe")
    assert lines[2].startswith("cccc0003  2025-03-01T11:00:00Z  bz/es  new  duplicate of bbbb0002  https://ok.example/")


def test_list_of_a_missing_inbox_is_empty(tmp_path, capsys) -> None:
    assert _run(capsys, "inbox", "list", "--json", "--db", str(tmp_path / "none.sqlite"))[1] == "[]\n"
    assert not (tmp_path / "none.sqlite").exists()


def test_show_prints_every_field_escaped(db, capsys) -> None:
    code, out, _ = _run(capsys, "inbox", "show", "aaaa", "--db", str(db))
    assert code == 0
    assert "report_id    aaaa0001" in out
    assert "url 1        https://evil.example/\\x1b]8;;https://x\\x07\\u202egpj.exe" in out
    assert "  =HYPERLINK(\"http://x\")\n  line 2" in out
    assert "\x1b" not in out and "\u202e" not in out
    code, out, _ = _run(capsys, "inbox", "show", "cccc0003", "--json", "--db", str(db))
    assert json.loads(out)["duplicate_of"] == "bbbb0002"


def test_show_unknown_or_ambiguous_id_fails_clearly(db, tmp_path, capsys) -> None:
    with Store(db) as store:
        store.add_many([make_report(report_id="aaaa0009")])
    code, _, err = _run(capsys, "inbox", "show", "zzzz9999", "--db", str(db))
    assert code == 1 and "no report zzzz9999" in err
    code, _, err = _run(capsys, "inbox", "show", "aaaa", "--db", str(db))
    assert code == 1 and "matches several reports: aaaa0001, aaaa0009" in err
    code, _, err = _run(capsys, "inbox", "show", "x\x1b[2J", "--db", str(db))
    assert code == 1 and "\x1b" not in err


def test_csv_export_neutralizes_formulas_and_round_trips(db, tmp_path, capsys) -> None:
    out_file = tmp_path / "export.csv"
    code, _, err = _run(capsys, "inbox", "export", "--format", "csv", "--db", str(db), "--out", str(out_file))
    assert code == 0 and "exported 3 report(s) as csv" in err
    assert out_file.stat().st_mode & 0o777 == 0o600
    rows = list(csv.DictReader(io.StringIO(out_file.read_text(encoding="utf-8"), newline="")))
    assert rows[0]["notes"] == "'=HYPERLINK(\"http://x\")\nline 2"
    assert rows[0]["email"] == "'+1@example.org" and rows[0]["referrer"] == "'-x"
    assert rows[0]["urls_normalized"] == escape_text(HOSTILE_URL)
    assert rows[2]["duplicate_of"] == "bbbb0002" and rows[1]["notes"] == "نص عربي"


def test_csv_to_standard_output_cannot_steer_the_terminal(db, capsys) -> None:
    # GIVEN a report whose notes, email and URL hold ESC/CSI, NUL, backspace, CR, C1 and bidi controls
    notes = "a\x1b[2J\x1b[31mred\x00\x08\r\x9b1m\u202egpj.exe\nline 2\tend\\x1b"
    with Store(db) as store:
        store.add_many([make_report(report_id="dddd0004", notes=notes, email="\x1b]0;title\x07@x",
                                    urls=["https://a.example/\u2066x\ny"], received_at="2025-03-02T09:00:00Z")])
    # WHEN exported as CSV to standard output (the default)
    code, out, _ = _run(capsys, "inbox", "export", "--format", "csv", "--db", str(db))
    # THEN no control or bidi character reaches the terminal but the CSV line breaks and a cell's line feeds
    assert code == 0
    assert not [ch for ch in out.replace("\r\n", "").replace("\n", "") if escape_text(ch) not in (ch, "\\\\")]
    row = list(csv.DictReader(io.StringIO(out, newline="")))[-1]
    assert row["notes"] == ("a\\x1b[2J\\x1b[31mred\\x00\\x08\\x0d\\x9b1m\\u202egpj.exe\n"
                            "line 2\\x09end\\\\x1b")  # escaped as `inbox show` does, lines kept
    assert row["email"] == "\\x1b]0;title\\x07@x"
    assert row["urls_normalized"] == "https://a.example/\\u2066x\\x0ay"  # one URL stays one line


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "＝1", "-\x1b"])
def test_every_formula_start_is_neutralized(value: str) -> None:
    assert neutralize_cell(value) == "'" + value
    out = io.StringIO()
    write_csv([make_report(notes=value, email=value)], out)
    row = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))[0]
    assert row["notes"] == row["email"] == "'" + escape_text(value)


@pytest.mark.parametrize("value", ["\tx", "\rx", "\0x"])
def test_control_formula_starts_are_neutralized_and_escaped_in_csv(value: str) -> None:
    assert neutralize_cell(value) == "'" + value
    out = io.StringIO()
    write_csv([make_report(notes=value)], out)
    row = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))[0]
    assert row["notes"] == escape_text(value) and row["notes"].startswith("\\x")  # inert text either way


@pytest.mark.parametrize("existing", [None, 0o644, 0o666])
def test_export_file_is_private_whether_new_or_existing(db, tmp_path, capsys, existing) -> None:
    # GIVEN no file, or an older export left readable by others
    out_file = tmp_path / "export.jsonl"
    if existing is not None:
        out_file.write_text("old export\n")
        out_file.chmod(existing)
    # WHEN exported there
    code, _, _ = _run(capsys, "inbox", "export", "--format", "jsonl", "--db", str(db), "--out", str(out_file))
    # THEN it is mode 0600, holds only the new export, and no temporary file is left
    assert code == 0 and out_file.stat().st_mode & 0o777 == 0o600
    assert len(out_file.read_text().splitlines()) == 3 and "old export" not in out_file.read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith((".", "export"))] == ["export.jsonl"]


def test_export_to_a_missing_folder_fails_clearly(db, tmp_path, capsys) -> None:
    code, _, err = _run(capsys, "inbox", "export", "--format", "csv", "--db", str(db),
                        "--out", str(tmp_path / "nope" / "x.csv"))
    assert code == 1 and err == f"error: cannot write {tmp_path / 'nope' / 'x.csv'}: No such file or directory\n"


def test_ordinary_cells_are_unchanged() -> None:
    for value in ("https://a.example/?q=1,2", "x=1", "a \"quoted\" word", "", "'already"):
        assert neutralize_cell(value) == value
    assert neutralize_cell(None) == ""


def test_jsonl_export_is_one_inert_object_per_line(db, capsys) -> None:
    code, out, _ = _run(capsys, "inbox", "export", "--format", "jsonl", "--db", str(db))
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3
    assert json.loads(lines[0])["urls"][0]["normalized"] == HOSTILE_URL
    assert "\x1b" not in out and "\u202e" not in out


def test_json_text_escapes_astral_format_characters_as_surrogate_pairs() -> None:
    text = json_text({"k": "\U000e0041\u0085"})
    assert text == '{"k": "\\udb40\\udc41\\u0085"}' and json.loads(text) == {"k": "\U000e0041\u0085"}


def test_a_nan_stored_before_the_drain_refused_it_leaves_list_json_valid(tmp_path, capsys) -> None:
    # GIVEN an inbox written before the drain refused NaN (Python's json stores it as NaN)
    path = tmp_path / "old.sqlite"
    with Store(path) as store:
        store.add_many([make_report(report_id="nan00001", extra=float("nan")), make_report(report_id="ok000002")])
    # WHEN every report is listed as JSON
    code, out, _ = _run(capsys, "inbox", "list", "--json", "--db", str(path))
    # THEN the output is JSON (strictly: no NaN token) and holds both reports
    reports = json.loads(out, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    assert code == 0 and [r["report_id"] for r in reports] == ["nan00001", "ok000002"]
    assert reports[0]["extra"] == "NaN"
    assert json_text([float("inf"), {"a": float("-inf")}]) == '["Infinity", {"a": "-Infinity"}]'


def test_show_lists_conflicting_content_kept_under_the_id(tmp_path, capsys) -> None:
    path = tmp_path / "inbox.sqlite"
    first = make_report(report_id="dddd0004")
    with Store(path) as store:
        store.add_many([first])
        assert store.add_many([{**first, "notes": "other\x1b[2J"}]).conflicts == 1
    code, out, _ = _run(capsys, "inbox", "show", "dddd0004", "--db", str(path))
    assert code == 0 and "conflicting content 1 (another envelope with this id" in out
    assert "other\\x1b[2J" in out and "\x1b" not in out
    code, out, _ = _run(capsys, "inbox", "show", "dddd0004", "--json", "--db", str(path))
    assert [c["report"]["notes"] for c in json.loads(out)["conflicts"]] == ["other\x1b[2J"]
