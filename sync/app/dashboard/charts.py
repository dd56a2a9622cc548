"""Charts drawn on the server as inline SVG: lines over days or months, horizontal bars, the funnel.

No script and no style sheet inside: presentation attributes only, so the page's CSP holds. Every label passes
through ``escape``; a ``viewBox`` and ``width=100%`` let a chart shrink to a phone's width.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

COLOURS = ("#1f6feb", "#d4760a", "#6e7781", "#2da44e", "#cf222e", "#8250df")
W = 640


def _svg(height: int, body: str, title: str) -> Markup:
    return Markup(f'<svg class="chart" viewBox="0 0 {W} {height}" width="100%" role="img" '
                  f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
                  f'{body}</svg>')


def lines(title: str, x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
          dashed: Sequence[bool] = ()) -> Markup:
    """One line per series over the x labels; None leaves a gap. A legend sits under the plot."""
    height, left, right, top, bottom = 300, 56, 12, 12, 60
    values = [v for _, vs in series for v in vs if v is not None]
    top_value = max(values, default=0) or 1
    n = max(len(x_labels), 2)

    def x(i: int) -> float:
        return left + (W - left - right) * i / (n - 1)

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - v / top_value)

    parts = [f'<line x1="{left}" y1="{y(0):.1f}" x2="{W - right}" y2="{y(0):.1f}" stroke="#999"/>']
    for frac in (0.5, 1):
        parts.append(f'<text x="{left - 6}" y="{y(top_value * frac) + 4:.1f}" font-size="11" text-anchor="end">'
                     f'{escape(_short(top_value * frac))}</text>')
    step = max(1, len(x_labels) // 6)
    for i, label in enumerate(x_labels):
        if i % step == 0 or i == len(x_labels) - 1:
            anchor = "end" if i == len(x_labels) - 1 else "start" if i == 0 else "middle"
            parts.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" font-size="11" text-anchor="{anchor}">'
                         f'{escape(label)}</text>')
    for k, (name, vs) in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        path, pen = [], "M"
        for i, v in enumerate(vs):
            if v is None:
                pen = "M"
                continue
            path.append(f"{pen}{x(i):.1f},{y(v):.1f}")
            pen = "L"
        dash = ' stroke-dasharray="6 4"' if k < len(dashed) and dashed[k] else ""
        parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}/>')
        lx = left + k * 190
        parts.append(f'<rect x="{lx}" y="{height - 22}" width="14" height="4" fill="{colour}"/>'
                     f'<text x="{lx + 20}" y="{height - 16}" font-size="12">{escape(name)}</text>')
    return _svg(height, "".join(parts), title)


def bars(title: str, rows: Sequence[tuple[str, float, str]], goals: Sequence[float | None] = ()) -> Markup:
    """Horizontal bars: (label, value, value as text); a goal draws a mark on its bar."""
    row_height, label_width = 28, 200
    height = max(1, len(rows)) * row_height + 8
    top_value = max([v for _, v, _ in rows] + [g for g in goals if g is not None], default=0) or 1
    span = W - label_width - 90
    parts = []
    for i, (label, value, text) in enumerate(rows):
        y = 4 + i * row_height
        width = span * max(value, 0) / top_value
        parts.append(f'<text x="{label_width - 8}" y="{y + 17}" font-size="12" text-anchor="end">'
                     f'{escape(_cut(label))}</text>'
                     f'<rect x="{label_width}" y="{y + 4}" width="{width:.1f}" height="18" fill="{COLOURS[0]}"/>'
                     f'<text x="{label_width + width + 6:.1f}" y="{y + 17}" font-size="12">{escape(text)}</text>')
        goal = goals[i] if i < len(goals) else None
        if goal is not None:
            gx = label_width + span * goal / top_value
            parts.append(f'<line x1="{gx:.1f}" y1="{y}" x2="{gx:.1f}" y2="{y + 26}" stroke="{COLOURS[4]}" '
                         f'stroke-width="3"><title>goal {escape(_short(goal))}</title></line>')
    return _svg(height, "".join(parts), title)


def funnel(title: str, stages: Sequence[tuple[str, int, str]]) -> Markup:
    """Centred bars narrowing stage by stage: (stage, count, conversion from the stage above as text)."""
    row_height = 44
    height = len(stages) * row_height + 8
    top_value = max([n for _, n, _ in stages], default=0) or 1
    parts = []
    for i, (stage, n, conversion) in enumerate(stages):
        y = 4 + i * row_height
        width = max(2.0, (W - 260) * n / top_value)
        x = 130 + (W - 260 - width) / 2
        parts.append(f'<text x="122" y="{y + 26}" font-size="17" text-anchor="end">{escape(stage)}</text>'
                     f'<rect x="{x:.1f}" y="{y + 6}" width="{width:.1f}" height="30" fill="{COLOURS[i % 4]}"/>'
                     f'<text x="{W - 122}" y="{y + 20}" font-size="17">{n:,}</text>'
                     f'<text x="{W - 122}" y="{y + 38}" font-size="14" fill="#555">{escape(conversion)}</text>')
    return _svg(height, "".join(parts), title)


def _short(value: float) -> str:
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}{suffix}"
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def _cut(label: str, most: int = 28) -> str:
    return label if len(label) <= most else label[:most - 1] + "…"
