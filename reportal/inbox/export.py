"""Analysts' views of stored reports: text lines, one report in full, JSON, JSONL and CSV.

URLs and every other reported value are shown as escaped text, never as links: on a terminal
control characters (ANSI escapes), bidirectional overrides and other invisible format
characters are written as ``\\x1b``/``\\u202e``-style escapes, so a report cannot restyle
the analyst's terminal or disguise a URL. JSON output escapes the same characters as
``\\uXXXX`` (still the same JSON value, RFC 8259 §7). CSV cells are escaped like the text
views (backslash doubled, every unsafe character but the line feed as ``\\x1b``/``\\u202e``;
line feeds stay, inside a quoted cell, RFC 4180 §2.6), since CSV often goes to a terminal and a
spreadsheet has no use for raw controls; then a cell a spreadsheet would run as a formula is
prefixed with ``'`` (OWASP "CSV Injection"; OWASP ASVS 4 1.2.10).
"""
from __future__ import annotations

import csv
import json
import math
import re
import unicodedata
from typing import IO, Any, Iterable

from reportal import fields as report_fields

__all__ = [
    "csv_columns", "escape_cell", "escape_text", "format_line", "format_report", "json_text", "neutralize_cell",
    "write_csv", "write_jsonl",
]

# First characters that make a spreadsheet evaluate a cell: OWASP CSV Injection (= + - @ tab CR),
# ASVS 1.2.10 (NUL), and their full-width forms, which some spreadsheets fold to ASCII.
_FORMULA_START = frozenset("=+-@\t\r\0＝＋－＠")
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in _UNSAFE_CATEGORIES


def _escape_char(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


_ESCAPE_TEXT = re.compile(r"[^\x20-\x5b\x5d-\x7e]")  # all but printable ASCII other than backslash


def _escape_match(match: re.Match[str]) -> str:
    ch = match.group()
    return "\\\\" if ch == "\\" else _escape_char(ch) if _unsafe(ch) else ch


def escape_text(value: str | None) -> str:
    """`value` safe to print on a terminal: backslash doubled; control, format (bidi),
    separator, private-use, unassigned and surrogate code points as Python-style escapes.
    Letters of every script are kept. None becomes ``-``."""
    if value is None:
        return "-"
    return _ESCAPE_TEXT.sub(_escape_match, value)


_ESCAPE_CELL = re.compile(r"[^\n\x20-\x5b\x5d-\x7e]")  # as _ESCAPE_TEXT, but a line feed is kept


def escape_cell(value: str | None) -> str:
    """`value` as `escape_text` escapes it, except that line feeds (U+000A) are kept: a CSV
    cell may span lines inside its quotes (RFC 4180 §2.6), and several URLs share one cell, one
    per line. A carriage return, tab, NUL, ESC, C1 control or bidi override is escaped (``\\r``
    becomes ``\\x0d``). None becomes ``""``."""
    return "" if value is None else _ESCAPE_CELL.sub(_escape_match, value)


_NOT_PRINTABLE_ASCII = re.compile(r"[^\n\x20-\x7e]")  # a raw newline in dumps' output is indentation


def _json_escape(match: re.Match[str]) -> str:
    ch = match.group()
    if not _unsafe(ch):
        return ch
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_text(value: Any, indent: int | None = None) -> str:
    """`value` as JSON that is safe on a terminal: UTF-8 letters kept, C0 controls escaped
    by `json.dumps`, and DEL, C1 controls, bidi and other format characters and private-use
    and unassigned code points escaped as ``\\uXXXX`` (surrogate pairs above U+FFFF).
    A non-finite number (``NaN``, stored before the drain refused it) becomes its name as a
    string, so the output is always JSON (RFC 8259 §6 has no NaN)."""
    try:
        text = json.dumps(value, ensure_ascii=False, indent=indent, allow_nan=False)
    except ValueError:
        text = json.dumps(_finite(value), ensure_ascii=False, indent=indent, allow_nan=False)
    return _NOT_PRINTABLE_ASCII.sub(_json_escape, text)


def _finite(value: Any) -> Any:
    """`value` with every NaN or infinite float replaced by ``"NaN"``, ``"Infinity"``, ``"-Infinity"``."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def format_line(report: dict[str, Any]) -> str:
    """One line for `inbox list`: id, received_at, portal/lang, status, group, then every other field
    listed (`reportal.fields`, "list"): the normalized URLs, other values when given."""
    group = f"  duplicate of {report['duplicate_of']}" if report.get("duplicate_of") else ""
    values = []
    for f in report_fields.seen_in("list"):
        if f.kind == "url":
            values += [escape_text(u.get("normalized", "")) for u in report.get(f.envelope) or []]
        elif f.kind != "context" and report.get(f.envelope) is not None:
            values.append(escape_text(report[f.envelope]))
    status = f"  {escape_text(report['status'])}" if report.get("status") else ""
    return (f"{escape_text(report['report_id'])}  {escape_text(report['received_at'])}  "
            f"{escape_text(report['portal'])}/{escape_text(report['lang'])}{status}{group}  {'  '.join(values)}")


def format_report(report: dict[str, Any]) -> str:
    """Every field of one report analysts see (`reportal.fields`, "show") for `inbox show`,
    labelled, escaped, in form order: one value per line, each URL numbered (with what was typed
    when it differs, and its assessment), free text over several lines, then analysts' notes.
    Status, assignment and duplicates follow `duplicate_of` when the report carries them."""
    lines = [f"{name:<13}{escape_text(report.get(name))}" for name in ("report_id", "received_at")]
    shown = report_fields.seen_in("show")
    for f in (f for f in shown if f.kind == "context"):
        lines.append(f"{f.envelope:<13}{escape_text(report.get(f.envelope))}")
    lines.append(f"{'duplicate_of':<13}{escape_text(report.get('duplicate_of'))}")
    for name in ("status", "assigned_to"):
        if name in report:
            lines.append(f"{name:<13}{escape_text(report.get(name))}")
    if report.get("duplicates"):
        lines.append(f"{'duplicates':<13}{', '.join(escape_text(d) for d in report['duplicates'])}")
    assessed = {a["url"]: a for a in report.get("assessments") or []}
    for f in shown:
        if f.kind == "url":
            for number, url in enumerate(report.get(f.envelope) or [], 1):
                lines.append(f"url {number:<9}{escape_text(url.get('normalized'))}")
                if url.get("typed") != url.get("normalized"):
                    lines.append(f"  as typed    {escape_text(url.get('typed'))}")
                if number in assessed:
                    lines.append(f"  assessed    {_assessment(assessed[number])}")
        elif f.kind not in ("context", "text"):
            lines.append(f"{f.envelope:<13}{escape_text(report.get(f.envelope))}")
    for f in (f for f in shown if f.kind == "text"):
        lines.append(f.envelope)
        text = report.get(f.envelope)
        lines += [f"  {escape_text(line)}" for line in (text.split("\n") if text else ["-"])]
    for note in report.get("analyst_notes") or []:
        lines.append(f"analyst note by {escape_text(note['analyst'])} at {escape_text(note['at'])}")
        lines += [f"  {escape_text(line)}" for line in note["text"].split("\n")]
    return "\n".join(lines)


def _assessment(a: dict[str, Any]) -> str:
    """One URL's assessment on one line: outcome, where hosted, action, by whom and when, removal."""
    parts = [a["outcome"]]
    if a.get("hosting_country"):
        parts.append(f"hosted in {a['hosting_country']}")
    if a.get("action"):
        parts.append(f"action {a['action']}")
    parts.append(f"by {a['analyst']} at {a['assessed_at']}")
    if a.get("removed_at"):
        parts.append(f"removed {a['removed_at']}")
    return escape_text(", ".join(parts))


def write_jsonl(reports: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """Write one JSON object per line (envelope plaintext plus `duplicate_of`); return the count."""
    count = 0
    for report in reports:
        out.write(json_text(report) + "\n")
        count += 1
    return count


def neutralize_cell(value: str | None) -> str:
    """A CSV cell a spreadsheet shows as text: ``'`` before a formula start (OWASP); None → ``""``."""
    if value is None:
        return ""
    return "'" + value if value[:1] in _FORMULA_START else value


def csv_columns() -> list[str]:
    """The CSV header: report_id, received_at, each exported field (`reportal.fields`, "export";
    a URL field as two columns, ``urls_normalized`` and ``urls_typed``), duplicate_of."""
    columns = ["report_id", "received_at"]
    for f in report_fields.seen_in("export"):
        columns += [f"{f.envelope}_normalized", f"{f.envelope}_typed"] if f.kind == "url" else [f.envelope]
    return columns + ["duplicate_of"]


def write_csv(reports: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """Write a header row (`csv_columns`) then one row per report (several URLs are one cell,
    one per line), every cell quoted (RFC 4180), escaped (`escape_cell`) then neutralized
    (`neutralize_cell`); return the report count."""
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(csv_columns())
    exported = report_fields.seen_in("export")
    count = 0
    for r in reports:
        row = [escape_cell(r.get(k)) for k in ("report_id", "received_at")]
        for f in exported:
            if f.kind == "url":
                # Each URL escaped on its own (a line feed in one is \x0a), so a line is always one URL.
                row += ["\n".join(escape_text(u.get(key, "")) for u in r.get(f.envelope) or []) for key in ("normalized", "typed")]
            else:
                row.append(escape_cell(r.get(f.envelope)))
        row.append(escape_cell(r.get("duplicate_of")))
        writer.writerow([neutralize_cell(v) for v in row])
        count += 1
    return count
