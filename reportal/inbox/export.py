"""Analysts' views of stored reports. URLs are shown as text, never as links."""
from __future__ import annotations

import json
from pathlib import Path

from reportal.inbox.store import Store

__all__ = ["list_command"]


def list_command(db: Path, as_json: bool) -> int:
    """`reportal inbox list [--json]`: one line per report, or a JSON array."""
    if not db.exists():
        print("[]" if as_json else "no reports yet")
        return 0
    store = Store(db)
    try:
        reports = store.list()
    finally:
        store.close()
    if as_json:
        print(json.dumps(reports, ensure_ascii=False, indent=2))
        return 0
    for r in reports:
        urls = " ".join(u["normalized"] for u in r["urls"])
        print(f"{r['report_id']}  {r['received_at']}  {r['portal']}/{r['lang']}  {urls!r}")
    return 0
