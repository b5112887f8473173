"""The function's 400/503 pages treat translations as text, as the build does."""
from __future__ import annotations

import io
import shutil
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from reportal.submit.form import FieldError
from reportal.submit.pages import load_site, render_form_page

HOSTILE = '"><script>alert(1)</script>&amp;'


def test_a_hostile_translation_cannot_break_the_error_page(built: dict[str, Path], tmp_path: Path) -> None:
    # GIVEN function data whose Spanish catalog holds quotes, markup and an entity
    data = tmp_path / "function"
    shutil.copytree(built["function"], data)
    catalog = Catalog(locale="es")
    catalog.add("Send report", HOSTILE)
    catalog.add("Give the web address where you saw the images.", HOSTILE)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    (data / "locale" / "es" / "LC_MESSAGES" / "messages.mo").write_bytes(buf.getvalue())
    # WHEN the function renders the 400 page for a report with no URL
    html = render_form_page(load_site(data), data, {"portal": ["bz"], "lang": ["es"], "url": [""]},
                            [FieldError("url", "url-missing")], "invalid")
    # THEN the translation shows as text in the button and in the error summary
    assert "<script>" not in html
    assert '<button type="submit">&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;</button>' in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # button, summary, field error
