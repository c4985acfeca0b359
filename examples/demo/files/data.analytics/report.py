"""Write ``report.html``: the three marts as bar charts (inline SVG, no scripts, no CDN).

Run by the ``data.analytics.marts`` flow after dbt; ``WAREHOUSE`` names the DuckDB file.
"""

from __future__ import annotations

import html
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb

BAR_HEIGHT = 22
LABEL_WIDTH = 210
CHART_WIDTH = 620


def bar_chart(title: str, rows: list[tuple[str, float]], unit: str = "") -> str:
    """One horizontal bar per row, scaled to the largest value."""
    top = max((value for _, value in rows), default=0) or 1
    height = BAR_HEIGHT * len(rows) + 10
    bars = []
    for n, (label, value) in enumerate(rows):
        y = n * BAR_HEIGHT + 5
        width = (CHART_WIDTH - LABEL_WIDTH - 90) * value / top
        shown = f"{value:,.0f}" if unit != "%" else f"{value:.1f}%"
        bars.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">'
            f"{html.escape(label)}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{width:.1f}" height="{BAR_HEIGHT - 6}"'
            f' rx="3" fill="#6b4fbb"><title>{html.escape(label)}: {shown}</title></rect>'
            f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + 15}">{shown}</text>'
        )
    return (
        f"<h2>{html.escape(title)}</h2>"
        f'<svg role="img" aria-label="{html.escape(title)}" width="{CHART_WIDTH}" '
        f'height="{height}" viewBox="0 0 {CHART_WIDTH} {height}" font-size="13" '
        f'font-family="sans-serif">{"".join(bars)}</svg>'
    )


def main() -> None:
    """Query the marts and write the page; the row counts become task outputs."""
    with duckdb.connect(os.environ["WAREHOUSE"], read_only=True) as db:
        stages = db.execute(
            "select stage, deals, amount from marts.pipeline_by_stage order by stage_order"
        ).fetchall()
        channels = db.execute(
            "select channel, conversion_rate * 100 from marts.conversion_by_channel"
        ).fetchall()
        accounts = db.execute(
            "select account, events from marts.active_accounts order by events desc limit 12"
        ).fetchall()
        active = db.execute("select count(*) from marts.active_accounts").fetchone()
    charts = [
        bar_chart("Pipeline by stage (deals)", [(s, float(d)) for s, d, _ in stages]),
        bar_chart("Pipeline by stage (amount, $)", [(s, float(a)) for s, _, a in stages]),
        bar_chart("Conversion by channel", [(c, float(r)) for c, r in channels], unit="%"),
        bar_chart(
            f"Active accounts, last 30 days ({active[0] if active else 0} in all; "
            "top 12 by events)",
            [(a, float(e)) for a, e in accounts],
        ),
    ]
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<title>Analytics marts</title><style>body{font-family:sans-serif;max-width:44em;"
        "margin:2em auto;color:#222}h2{font-size:1.05em;margin-top:2em}</style></head><body>"
        f"<h1>Analytics marts</h1><p>Built by dbt from the CRM and product events, {generated}.</p>"
        + "".join(charts)
        + "</body></html>"
    )
    Path("report.html").write_text(page, encoding="utf-8")
    counts = {
        "pipeline_by_stage": len(stages),
        "conversion_by_channel": len(channels),
        "active_accounts": active[0] if active else 0,
    }
    print("::" + json.dumps({"outputs": {"rows": counts}}) + "::")


if __name__ == "__main__":
    main()
