"""Partner statistics as one self-contained HTML file per portal and period.

The HTML report is written in the portal's default language (gettext catalogs, CLDR month
names and numbers), holds its charts as inline SVG drawn by matplotlib (text kept as text,
so every script renders with the reader's fonts), its CSS inline, and loads nothing: its
own Content-Security-Policy forbids every request. It prints on A4 as it shows on screen.
Charts are drawn from the published figures only: a count shown as "<5" is drawn as an
empty bar marked "<5", never at its true height.
"""
from __future__ import annotations

import io
import re
import warnings
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal
from markupsafe import Markup

from reportal.site.catalogs import country_name, language, load_translations, locale_id
from reportal.stats.figures import KEYS, SUPPRESSED
from reportal.pages_env import page_environment

__all__ = ["FIGURE_LABELS", "charts", "render_html", "table_context"]


def N_(message: str) -> str:
    """Mark `message` for extraction; translated when a report is rendered."""
    return message


# Figure key → its column heading (the JSON keys stay machine names).
FIGURE_LABELS: dict[str, str] = {
    "month": N_("Month"),
    "received": N_("Reports received"),
    "duplicates": N_("Duplicates"),
    "assessed": N_("Reports assessed"),
    "baseline": N_("Illegal (INTERPOL baseline)"),
    "national": N_("Illegal (national law)"),
    "not_illegal": N_("Not illegal"),
    "out_of_remit": N_("Outside our remit"),
    "unavailable": N_("Could not be reached"),
    "median_hours_to_assessment": N_("Median hours to assessment"),
    "median_hours_to_removal": N_("Median hours to removal"),
}
CHART_RECEIVED = N_("Reports received and assessed each month")
CHART_HOURS = N_("Median hours from receipt to assessment and to removal")


def _month_label(month: str, locale: str) -> str:
    return format_skeleton("yMMM", date(int(month[:4]), int(month[5:7]), 1), locale=locale)


def _number(value: Any, locale: str) -> str:
    if value is None:
        return "–"
    if value == SUPPRESSED:
        return SUPPRESSED
    return format_decimal(value, locale=locale)


def _svg(figure: Any) -> Markup:
    """The figure as an inline <svg> element (no XML prolog, no external reference)."""
    buf = io.StringIO()
    with warnings.catch_warnings():  # layout measures with DejaVu; the reader's fonts draw the text
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        figure.savefig(buf, format="svg", bbox_inches="tight",
                       metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buf.getvalue()
    text = _STYLE_ELEMENT.sub("", text[text.index("<svg"):])
    text = _STYLE_ATTRIBUTE.sub(_as_attributes, text)
    text = text.replace("<svg ", '<svg stroke-linejoin="round" stroke-linecap="butt" ', 1)
    return Markup(text)  # our own drawing of numbers and catalog labels (escaped by matplotlib)


# matplotlib styles its SVG with style="" attributes and a <style> element; a strict CSP
# (the workbench's `style-src 'self'`) ignores both, so they become presentation attributes,
# which CSP does not govern and which every property matplotlib writes has.
_STYLE_ELEMENT = re.compile(r"<style[^>]*>[^<]*</style>\s*")
_STYLE_ATTRIBUTE = re.compile(r' style="([^"]*)"')


def _as_attributes(match: re.Match[str]) -> str:
    pairs = (part.split(":", 1) for part in match.group(1).split(";") if ":" in part)
    return "".join(f' {name.strip()}="{value.strip()}"' for name, value in pairs)


def charts(rows: list[dict[str, Any]], locale: str, gettext: Any) -> list[dict[str, Any]]:
    """Two charts of one portal's published rows: received/assessed bars, median hours lines.
    Returns `[{title, svg}]`."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "reportal", "font.size": 9,
                         "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]})
    labels = [_month_label(r["month"], locale) for r in rows]
    xs = list(range(len(rows)))
    out = []
    fig, ax = plt.subplots(figsize=(7.2, 2.8))
    width = 0.4
    top = 0
    for offset, key, color in ((-width / 2, "received", "#1f5fa8"), (width / 2, "assessed", "#e08a1e")):
        heights = [r[key] if isinstance(r[key], int) else 0 for r in rows]
        top = max([top, *heights])
        ax.bar([x + offset for x in xs], heights, width, label=gettext(FIGURE_LABELS[key]), color=color)
        for x, r in zip(xs, rows):
            if r[key] == SUPPRESSED:
                ax.text(x + offset, 0, SUPPRESSED, ha="center", va="bottom", fontsize=7)
    ax.set_ylim(0, max(top * 1.05, 5))
    ax.set_xticks(xs, labels, rotation=45 if len(rows) > 6 else 0, ha="right" if len(rows) > 6 else "center")
    ax.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2)
    ax.spines[["top", "right"]].set_visible(False)
    out.append({"title": gettext(CHART_RECEIVED), "svg": _svg(fig)})
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7.2, 2.8))
    top = 0
    for key, color, marker in (("median_hours_to_assessment", "#1f5fa8", "o"),
                               ("median_hours_to_removal", "#b8322a", "s")):
        hours = [r[key] for r in rows if isinstance(r[key], (int, float))]
        top = max([top, *hours])
        ax.plot(xs, [r[key] if r[key] is not None else float("nan") for r in rows], marker=marker,
                color=color, label=gettext(FIGURE_LABELS[key]))
    ax.set_ylim(0, max(top * 1.05, 5))  # no median shown: 0-5 hours, not matplotlib's 0-0.05
    ax.set_xticks(xs, labels, rotation=45 if len(rows) > 6 else 0, ha="right" if len(rows) > 6 else "center")
    ax.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2)
    ax.spines[["top", "right"]].set_visible(False)
    out.append({"title": gettext(CHART_HOURS), "svg": _svg(fig)})
    plt.close(fig)
    return out


def table_context(rows: list[dict[str, Any]], locale: str, gettext: Any) -> dict[str, Any]:
    """Column headings and formatted cells of one portal's published rows."""
    columns = [k for k in KEYS if k != "portal"]
    return {
        "headings": [gettext(FIGURE_LABELS[k]) for k in columns],
        "cells": [[_month_label(r["month"], locale)] + [_number(r[k], locale) for k in columns[1:]] for r in rows],
    }


def render_html(rows: list[dict[str, Any]], *, portal: str, lang: str, hotline: str, templates: Path,
                translations_dir: Path, exact: bool = False, now: datetime | None = None,
                country: str | None = None) -> str:
    """One portal's published `rows` (one period) as a self-contained HTML document in `lang`;
    `country` is the portal's own name for its country (config `names`), else CLDR's."""
    meta = language(lang)
    locale = locale_id(meta.tag)
    translations = load_translations(translations_dir, meta.tag)
    gettext = translations.gettext
    env = page_environment(templates, translations)
    made = (now or datetime.now(timezone.utc)).date()
    return env.get_template("stats.html").render(
        lang=meta.tag, dir=meta.dir, hotline=hotline, exact=exact,
        country=country or country_name(portal, meta.tag),
        start=_month_label(rows[0]["month"], locale) if rows else "",
        end=_month_label(rows[-1]["month"], locale) if rows else "",
        made=format_date(made, format="long", locale=locale),
        charts=charts(rows, locale, gettext) if rows else [],
        **table_context(rows, locale, gettext))
