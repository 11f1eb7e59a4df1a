"""var/bench.svg: each scenario's requests/s as a ratio to the floor and to the peer, per phase.

Plain SVG written here, no plotting library: one panel per phase, two bars per scenario, and the
lines the targets are read against (0.5 and 1 times).
"""

from html import escape
from pathlib import Path

BAR, GAP, LABEL_WIDTH, PLOT_WIDTH, TOP = 11, 10, 430, 420, 64
COLOURS = {"rps_to_floor": "#2f6db5", "rps_to_peer": "#e08a1e"}
LEGEND = {"rps_to_floor": "req/s ÷ floor (authenticated read)", "rps_to_peer": "req/s ÷ peer (django-phone-verify)"}


def write_chart(results: dict, path: Path) -> None:
    phases = [(name, results[name]["rows"]) for name in ("empty", "preloaded") if name in results]
    scale_max = max(2.0, *(row[key] for _name, rows in phases for row in rows for key in COLOURS))
    scale_max = float(int(scale_max) + 1) if scale_max > 2 else 2.0
    row_height = 2 * BAR + GAP
    panel_heights = [28 + len(rows) * row_height + 24 for _name, rows in phases]
    width, height = LABEL_WIDTH + PLOT_WIDTH + 70, TOP + sum(panel_heights) + 20
    run = results.get("run", {})
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        f'<text x="10" y="20" font-size="15" font-weight="bold">make bench: requests/s ratios '
        f"({escape(str(run.get('driver', '')))}, {run.get('connections', '')} connections, "
        f"{run.get('gunicorn_workers', '')} gunicorn workers)</text>",
        f'<text x="10" y="38" fill="#555">{escape(f"{run.get('machine', '')}, {run.get('at', '')}")}</text>',
    ]
    x = 10
    for key, colour in COLOURS.items():
        out.append(f'<rect x="{x}" y="47" width="12" height="10" fill="{colour}"/>')
        out.append(f'<text x="{x + 16}" y="56">{escape(LEGEND[key])}</text>')
        x += 280

    def px(value: float) -> float:
        return LABEL_WIDTH + PLOT_WIDTH * min(value, scale_max) / scale_max

    y = TOP
    for (name, rows), panel_height in zip(phases, panel_heights, strict=True):
        out.append(f'<text x="10" y="{y + 16}" font-weight="bold">{escape(name)} database</text>')
        top, bottom = y + 24, y + panel_height - 20
        for tick in range(int(scale_max * 2) + 1):
            value = tick / 2
            strong = value in (0.5, 1.0)
            out.append(
                f'<line x1="{px(value):.1f}" y1="{top}" x2="{px(value):.1f}" y2="{bottom}" '
                f'stroke="{"#c33" if strong else "#ddd"}" stroke-dasharray="{"4 3" if strong else "none"}"/>'
            )
            out.append(
                f'<text x="{px(value):.1f}" y="{bottom + 14}" text-anchor="middle" fill="#555">{value:g}×</text>'
            )
        for index, row in enumerate(rows):
            row_y = top + 4 + index * row_height
            out.append(
                f'<text x="{LABEL_WIDTH - 8}" y="{row_y + BAR + 4}" text-anchor="end">{escape(row["endpoint"])}</text>'
            )
            for offset, (key, colour) in enumerate(COLOURS.items()):
                bar_y = row_y + offset * BAR
                value = row[key]
                out.append(
                    f'<rect x="{LABEL_WIDTH}" y="{bar_y}" width="{px(value) - LABEL_WIDTH:.1f}" '
                    f'height="{BAR - 1}" fill="{colour}"><title>{escape(row["endpoint"])}: {value:.2f}</title></rect>'
                )
                out.append(f'<text x="{px(value) + 4:.1f}" y="{bar_y + BAR - 2}" font-size="10">{value:.2f}</text>')
        y += panel_height
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")
