"""Self-contained HTML rendering of a :class:`~raif_eval.reports.model.Report`.

One HTML5 file, nothing fetched when it is opened: CSS is inline, the two plots are PNGs embedded as
``data:image/png;base64`` URIs, there is no JavaScript. Text from the report (model names, run labels, notes)
goes through Jinja2's autoescaping.

* :func:`bar_chart` — Table 1 as a grouped bar chart (one group per benchmark column and Avg., one bar per row);
* :func:`heatmap` — Table 2 as a heat map (rows × runs), values annotated;
* :func:`type_heatmap`, :func:`depth_curves` — the constraint-structure report: pass rate by type × run, and by
  depth, one panel per composition, one line per run with its intervals;
* :func:`render_html` — the whole report through ``templates/report.html.jinja``.

Conventions shared with the other renderers (see ``model.py``): scores are × 100 and printed with two decimals,
a missing cell (NaN) is printed "–" with a footnote and never as 0, best / second best are marked per column
(Table 1) or per row (Table 2), and Table 1's Δ is printed after the Avg. like the paper: "62.35 (+11.74%)".

Plots use matplotlib's object API with the Agg canvas (``Figure`` + ``FigureCanvasAgg``): no pyplot, no global
backend switch, no figure registry to leak into, and a fixed size and dpi so output is stable for a given
matplotlib version. PNG metadata is stripped of the matplotlib version so equal inputs give equal bytes.
"""

from __future__ import annotations

import base64
import io
import math
import re
import textwrap
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from raif_eval.reports.model import MISSING, UNSCORABLE, Marks, Report, Table1, Table2
from raif_eval.reports.structure import StructureReport, views

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = "report.html.jinja"

MISSING_NOTE = f"{MISSING} = not evaluated (missing cell); it is left out of every mark and never counted as 0."
_WARNING = re.compile(r"toy[ _-]?judge|warning|not comparable", re.IGNORECASE)

# Plot sizes (inches) and resolution: fixed so output is deterministic for a given matplotlib.
BAR_SIZE = (13.0, 5.5)
BAR_DPI = 100
HEAT_DPI = 100


# ---------------------------------------------------------------------------------------------------- formatting


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # arrays, tuples: not a scalar cell
        return False


def fmt_score(value: Any) -> str:
    """A score cell: two decimals, "–" when missing."""
    if _is_missing(value):
        return MISSING
    return f"{float(value):.2f}"


def fmt_delta(delta: Any) -> str:
    """Table 1's Δ as the paper prints it, "(+11.74%)"; "" when there is none (baselines, unmatched rows)."""
    if _is_missing(delta):
        return ""
    d = round(float(delta), 2)
    if d == 0:
        d = 0.0  # no "-0.00"
    return f"({d:+.2f}%)"


def fmt_ci(interval: Any) -> str:
    """A confidence interval "[lo, hi]"; "" when the cell has none."""
    if interval is None or isinstance(interval, str | bytes):
        return ""
    try:
        low, high = interval
    except (TypeError, ValueError):
        return ""
    if _is_missing(low) or _is_missing(high):
        return ""
    return f"[{float(low):.2f}, {float(high):.2f}]"


def _label(value: Any) -> str:
    if isinstance(value, tuple):
        return " / ".join(_label(v) for v in value)
    return MISSING if _is_missing(value) else str(value)


def _same(a: Hashable, b: Hashable) -> bool:
    """Index labels equal, also when one side spells a level differently (depth 2 vs "2")."""
    if a is None or b is None:
        return False
    try:
        if a == b:
            return True
    except (TypeError, ValueError):
        pass
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return all(str(x) == str(y) for x, y in zip(a, b))
    return str(a) == str(b)


def _mark(label: Hashable, marks: Marks | None) -> str:
    if marks is None:
        return ""
    if _same(label, marks.best):
        return "best"
    if _same(label, marks.second):
        return "second"
    return ""


def _lookup(mapping: dict, key: Hashable) -> Any:
    if key in mapping:
        return mapping[key]
    for k, v in mapping.items():
        if _same(k, key):
            return v
    return None


def _ci_at(ci: pd.DataFrame | None, row: Hashable, col: Hashable) -> str:
    if ci is None:
        return ""
    try:
        return fmt_ci(ci.at[row, col])
    except (KeyError, ValueError, TypeError):
        return ""


def _is_warning(note: str) -> bool:
    return bool(_WARNING.search(note))


def _notes(notes: Sequence[str]) -> list[dict[str, Any]]:
    return [{"text": str(n), "warning": _is_warning(str(n)), "missing": False} for n in notes if str(n).strip()]


def _footnotes(notes: Sequence[str], has_missing: bool) -> list[dict[str, Any]]:
    """A table's footnotes; the "–" one is added when a cell is missing and no note explains it yet."""
    out = _notes(notes)
    if has_missing and not any(MISSING in n["text"] for n in out):
        out.insert(0, {"text": MISSING_NOTE, "warning": False, "missing": True})
    return out


# ---------------------------------------------------------------------------------------------------- view models


@dataclass
class Cell:
    text: str  # the value, or "–"
    mark: str = ""  # "best" / "second" / ""
    delta: str = ""  # "(+11.74%)" or ""
    delta_sign: str = ""  # "pos" / "neg" / "zero"
    ci: str = ""  # "[lo, hi]" or ""
    missing: bool = False
    col: str = ""
    kind: str = "num"  # breakdown cells: "num" (right-aligned) or "text"


@dataclass
class Row:
    labels: list[str]  # index levels, e.g. [model, method]
    spans: list[int]  # rowspan per level, 0 = covered by the cell above
    cells: list[Cell] = field(default_factory=list)
    first_of_group: bool = False
    baseline: bool = False


def _spans(keys: list[tuple]) -> list[list[int]]:
    """Rowspans for the first index level (consecutive equal values merge); deeper levels are never merged."""
    spans = [[1] * len(k) for k in keys]
    i = 0
    while i < len(keys):
        j = i + 1
        while j < len(keys) and keys[j][0] == keys[i][0]:
            j += 1
        spans[i][0] = j - i
        for k in range(i + 1, j):
            spans[k][0] = 0
        i = j
    return spans


def _keys(index: pd.Index) -> list[tuple]:
    return [k if isinstance(k, tuple) else (k,) for k in index]


def _sign(delta: Any) -> str:
    if _is_missing(delta):
        return ""
    d = round(float(delta), 2)
    return "pos" if d > 0 else "neg" if d < 0 else "zero"


def _row_shells(frame: pd.DataFrame):
    """(index label, values, index key, empty Row with its row-spans) for each row of a MultiIndex table."""
    keys = _keys(frame.index)
    for (label, values), key, span in zip(frame.iterrows(), keys, _spans(keys)):
        yield label, values, key, Row(labels=[_label(k) for k in key], spans=span,
                                      first_of_group=bool(span) and span[0] > 0)


def _table1_view(t: Table1) -> dict[str, Any]:
    frame = t.frame
    has_missing = False
    rows = []
    for label, values, key, row in _row_shells(frame):
        method = str(key[-1]) if len(key) > 1 else ""
        row.baseline = bool(t.baseline) and method.rstrip("†*").strip() == t.baseline
        delta = t.delta.get(label) if t.delta is not None and label in t.delta.index else None
        for col, value in values.items():
            missing = _is_missing(value)
            has_missing |= missing
            cell = Cell(
                text=UNSCORABLE if (label, col) in t.unscorable else fmt_score(value), missing=missing,
                col=_label(col),
                mark="" if missing else _mark(label, _lookup(t.marks, col)),
                ci="" if missing else _ci_at(t.ci, label, col),
            )
            if str(col) == "Avg." and not missing and not row.baseline:
                cell.delta, cell.delta_sign = fmt_delta(delta), _sign(delta)
            row.cells.append(cell)
        rows.append(row)
    names = [n if n else ("Model" if i == 0 else "Method") for i, n in enumerate(frame.index.names)]
    return {
        "index_names": [str(n).capitalize() if n in ("model", "method") else str(n) for n in names],
        "columns": [_label(c) for c in frame.columns],
        "rows": rows,
        "footnotes": _footnotes(t.notes, has_missing),
        "has_missing": has_missing,
        "baseline": t.baseline,
    }


def _table2_view(t: Table2) -> dict[str, Any]:
    frame = t.frame
    has_missing = False
    rows = []
    for label, values, _key, row in _row_shells(frame):
        marks = _lookup(t.marks, label)
        for col, value in values.items():
            missing = _is_missing(value)
            has_missing |= missing
            row.cells.append(Cell(
                text=fmt_score(value), missing=missing, col=_label(col),
                mark="" if missing else _mark(col, marks),
                ci="" if missing else _ci_at(t.ci, label, col),
            ))
        rows.append(row)
    defaults = ("Category", "ND")
    names = [
        (str(n) if n else (defaults[i] if i < len(defaults) else "")) for i, n in enumerate(frame.index.names)
    ]
    names = ["ND" if n.lower() in ("depth", "nd") else n.capitalize() if n.islower() else n for n in names]
    return {
        "index_names": names,
        "columns": [_label(c) for c in frame.columns],
        "rows": rows,
        "footnotes": _footnotes(t.notes, has_missing),
        "has_missing": has_missing,
    }


def _fmt_any(value: Any) -> str:
    if _is_missing(value):
        return MISSING
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") == "f"):
        return f"{float(value):.2f}"
    return str(value)


def _breakdown_view(name: str, frame: pd.DataFrame) -> dict[str, Any]:
    plain = isinstance(frame.index, pd.RangeIndex) and frame.index.name is None  # no index worth showing
    keys = [()] * len(frame) if plain else _keys(frame.index)
    spans = _spans(keys) if isinstance(frame.index, pd.MultiIndex) else [[1] * len(k) for k in keys]
    has_missing = False
    rows = []
    for (_, values), key, span in zip(frame.iterrows(), keys, spans):
        row = Row(labels=[_label(k) for k in key], spans=span, first_of_group=bool(span) and span[0] > 0)
        for col, value in values.items():
            missing = _is_missing(value)
            has_missing |= missing
            numeric = isinstance(value, int | float) and not isinstance(value, bool) or missing
            row.cells.append(Cell(text=_fmt_any(value), missing=missing, col=_label(col),
                                  kind="num" if numeric else "text"))
        rows.append(row)
    names = [] if plain else [str(n) if n is not None else "" for n in frame.index.names]
    return {
        "name": str(name),
        "index_names": names,
        "columns": [_label(c) for c in frame.columns],
        "rows": rows,
        "has_missing": has_missing,
    }


# ---------------------------------------------------------------------------------------------------- plots


def _png(fig) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)  # Agg for this figure only; the global backend is left alone
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, metadata={"Software": None})
    return buf.getvalue()


def _style():
    """Matplotlib's default style for the duration of one plot, whatever the user's matplotlibrc says.

    ``matplotlib.style.context`` leaves the backend and other process-wide settings alone and restores the
    previous rcParams on exit.
    """
    import contextlib

    import matplotlib as mpl
    import matplotlib.style

    stack = contextlib.ExitStack()
    stack.enter_context(matplotlib.style.context("default"))
    stack.enter_context(mpl.rc_context(rc={"font.size": 10, "text.parse_math": False, "svg.hashsalt": "raif-eval"}))
    return stack


def _row_colors(keys: list[tuple]) -> list[tuple[float, float, float, float]]:
    """One hue per model (first index level), lighter for each further method of that model."""
    import matplotlib as mpl

    palette = mpl.colormaps["tab10"] if len({k[0] for k in keys}) <= 10 else mpl.colormaps["tab20"]
    models = list(dict.fromkeys(k[0] for k in keys))
    per_model = {m: [k for k in keys if k[0] == m] for m in models}
    out = []
    for k in keys:
        base = mpl.colors.to_rgb(palette(models.index(k[0]) % palette.N))
        siblings = per_model[k[0]]
        j, n = siblings.index(k), len(siblings)
        mix = 0.6 * j / (n - 1) if n > 1 else 0.0  # 0 = full colour, up to 60 % white
        out.append((*(c + (1 - c) * mix for c in base), 1.0))
    return out


def _legend_label(text: str) -> str:
    return "\u200b" + text if text.startswith("_") else text  # matplotlib hides legend labels starting with "_"


def bar_limits(values) -> tuple[float, float]:
    """The bar chart's y range: 0-100 at least, widened to whole tens for scores above 100 or below 0
    (FollowBench's can be negative)."""
    import numpy as np

    finite = values[np.isfinite(values)] if np.size(values) else np.zeros(0)
    low = float(finite.min()) if finite.size else 0.0
    high = float(finite.max()) if finite.size else 100.0
    return min(0.0, math.floor(low / 10.0) * 10.0), max(100.0, math.ceil(high / 10.0) * 10.0)


def bar_chart(table1: Table1) -> bytes:
    """PNG of Table 1 as grouped bars: one group per column (benchmarks, then Avg.), one bar per (model, method).

    Missing cells are skipped (a gap, never a zero bar). Bars of one model share a hue, its methods get lighter.
    """
    import numpy as np
    from matplotlib.figure import Figure

    frame = table1.frame
    keys = _keys(frame.index)
    columns = [_label(c) for c in frame.columns]
    with _style():
        fig = Figure(figsize=BAR_SIZE, dpi=BAR_DPI, layout="constrained")
        ax = fig.add_subplot()
        values = frame.to_numpy(dtype=float, na_value=np.nan) if len(frame) else np.zeros((0, len(columns)))
        n_rows = max(len(keys), 1)
        width = 0.84 / n_rows
        x = np.arange(len(columns), dtype=float)
        colors = _row_colors(keys)
        for i, key in enumerate(keys):
            ok = ~np.isnan(values[i])
            offsets = x + (i - (n_rows - 1) / 2) * width
            ax.bar(offsets[ok], values[i][ok], width=width * 0.92, color=colors[i], edgecolor="#333333",
                   linewidth=0.3, label=_legend_label(" · ".join(_label(k) for k in key)))
        if "Avg." in columns and len(columns) > 1:
            ax.axvline(columns.index("Avg.") - 0.5, color="#999999", linestyle="--", linewidth=0.8)
        ax.set_xticks(x, columns)
        ax.set_xlim(-0.55, len(columns) - 0.45)
        ax.set_ylim(*bar_limits(values))
        ax.axhline(0, color="#333333", linewidth=0.8)  # where a zero bar stands (a gap means not evaluated)
        ax.set_ylabel("Score (× 100)")
        ax.set_title("Table 1 — scores by benchmark", loc="left", fontsize=12)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if not np.isfinite(values).any():
            ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", color="#888888")
        if keys:
            ncol = 1 if len(keys) <= 18 else 2
            fig.legend(loc="outside right upper", fontsize=8 if len(keys) <= 18 else 7, ncol=ncol,
                       frameon=False, title="model · method", title_fontsize=8)
        return _png(fig)


def heatmap(table2: Table2) -> bytes:
    """PNG heat map of Table 2: rows (category, depth) × runs, each cell annotated with two decimals.

    NaN cells stay blank (white, no text); the best run of each row is annotated in bold.
    """
    import numpy as np
    from matplotlib.figure import Figure

    frame = table2.frame
    keys = _keys(frame.index)
    rows = [f"{_label(k[0])} · ND {_label(k[1])}" if len(k) == 2 else _label(k) for k in keys]
    columns = [_label(c) for c in frame.columns]
    values = frame.to_numpy(dtype=float, na_value=np.nan) if frame.size else np.full((len(rows), len(columns)), np.nan)
    width = min(16.0, max(6.0, 3.2 + 1.05 * len(columns)))
    height = min(16.0, max(3.0, 1.4 + 0.42 * len(rows)))
    with _style():
        import matplotlib as mpl

        fig = Figure(figsize=(width, height), dpi=HEAT_DPI, layout="constrained")
        ax = fig.add_subplot()
        finite = values[np.isfinite(values)]
        vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 100.0)
        if vmax - vmin < 1e-9:
            vmin, vmax = vmin - 1.0, vmax + 1.0
        cmap = mpl.colormaps["YlGnBu"].with_extremes(bad="white")
        norm = mpl.colors.Normalize(vmin=vmin, vmax=vmax)
        image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto")
        for i, label in enumerate(frame.index):
            marks = _lookup(table2.marks, label)
            for j, col in enumerate(frame.columns):
                v = values[i, j]
                if not np.isfinite(v):
                    continue
                mark = _mark(col, marks)
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=9,
                        fontweight="bold" if mark == "best" else "normal",
                        color="white" if norm(v) > 0.6 else "#111111")
        _grid_axes(fig, ax, image, columns, rows, "Table 2 — ComplexBench DRFR (× 100); bold = best per row")
        return _png(fig)


def _grid_axes(fig, ax, image, columns: list[str], rows: list[str], title: str, column_size: float | None = None):
    """A heat map's frame: column labels on top, white cell borders, no spines, the title and the colour bar."""
    import numpy as np

    ax.set_xticks(np.arange(len(columns)), columns, fontsize=column_size)
    ax.set_yticks(np.arange(len(rows)), rows)
    ax.tick_params(top=True, bottom=False, labeltop=True, labelbottom=False, length=0)
    ax.set_xticks(np.arange(len(columns) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(rows) + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title, loc="left", fontsize=11)
    fig.colorbar(image, ax=ax, shrink=0.8, pad=0.02)


def type_heatmap(found: StructureReport) -> bytes:
    """PNG heat map of the pass rate by constraint type (rows) and run (columns), each cell annotated with the
    rate and the checks it is over; blank where a run has no scored check of the type."""
    import numpy as np
    from matplotlib.figure import Figure

    table = found.by_type
    runs = list(found.runs)
    kinds = list(dict.fromkeys(table.index.get_level_values("type")))
    values = np.full((len(kinds), len(runs)), np.nan)
    counts = np.zeros((len(kinds), len(runs)), dtype=int)
    for (kind, run), row in table.iterrows():
        values[kinds.index(kind), runs.index(run)] = row["rate"]
        counts[kinds.index(kind), runs.index(run)] = row["checks"]
    width = min(16.0, max(6.0, 3.4 + 1.6 * len(runs)))
    height = min(16.0, max(3.0, 1.4 + 0.45 * len(kinds)))
    with _style():
        import matplotlib as mpl

        fig = Figure(figsize=(width, height), dpi=HEAT_DPI, layout="constrained")
        ax = fig.add_subplot()
        cmap = mpl.colormaps["RdYlGn"].with_extremes(bad="white")
        norm = mpl.colors.Normalize(vmin=0.0, vmax=100.0)
        image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto")
        for i in range(len(kinds)):
            for j in range(len(runs)):
                if np.isfinite(values[i, j]):
                    dark = not 0.2 <= norm(values[i, j]) <= 0.85  # the deep reds and greens
                    ax.text(j, i, f"{values[i, j]:.1f}\nn={counts[i, j]}", ha="center", va="center", fontsize=8,
                            color="white" if dark else "#111111")
        _grid_axes(fig, ax, image, [textwrap.fill(_legend_label(r), 24) for r in runs], kinds,
                   "Pass rate by constraint type (× 100), all benchmarks", column_size=8)
        return _png(fig)


def depth_curves(found: StructureReport) -> bytes:
    """PNG of the pass rate against depth, one panel per composition, one line per run (bars: 95 % intervals).
    A composition seen at one depth only is a point."""
    import numpy as np
    from matplotlib.figure import Figure

    table = found.composition_depth
    compositions = list(dict.fromkeys(table.index.get_level_values("composition")))
    runs = list(found.runs)
    with _style():
        import matplotlib as mpl

        panels = max(1, len(compositions))
        fig = Figure(figsize=(min(16.0, 1.5 + 3.0 * panels), 3.8), dpi=HEAT_DPI, layout="constrained")
        axes = fig.subplots(1, panels, sharey=True, squeeze=False)[0]
        palette = mpl.colormaps["tab10"]
        for ax, composition in zip(axes, compositions):
            part = table.xs(composition, level="composition")
            for k, run in enumerate(runs):
                rows = part[part.index.get_level_values("run") == run].droplevel("run").sort_index()
                rows = rows[rows["checks"] > 0]
                if rows.empty:
                    continue
                x = rows.index.to_numpy(dtype=float)
                y = rows["rate"].to_numpy(dtype=float)
                low = np.where(np.isnan(rows["low"]), y, rows["low"])
                high = np.where(np.isnan(rows["high"]), y, rows["high"])
                ax.errorbar(x + 0.06 * (k - (len(runs) - 1) / 2), y, yerr=[y - low, high - y], marker="o",
                            markersize=4, capsize=2, linewidth=1.2, color=palette(k % palette.N),
                            label=_legend_label(run))
            ax.set_title(composition, fontsize=10)
            ax.set_xlabel("depth")
            depths = sorted(set(part.index.get_level_values("depth")))
            ax.set_xticks(depths)
            ax.set_xlim(min(depths) - 0.5, max(depths) + 0.5)
            ax.set_ylim(-2, 102)
            ax.grid(axis="y", color="#dddddd", linewidth=0.6)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        axes[0].set_ylabel("pass rate (× 100)")
        if runs:
            fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=min(4, len(runs)),
                       fontsize=8, frameon=False)
        fig.suptitle("Pass rate by depth, per composition", x=0.01, ha="left", fontsize=11)
        return _png(fig)


def _structure_view(found: StructureReport) -> dict[str, Any]:
    return {
        "notes": list(found.notes),
        "heatmap": data_uri(type_heatmap(found)),
        "curves": data_uri(depth_curves(found)),
        "tables": [_breakdown_view(title, frame) for title, frame in views(found).items()],
    }


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# ---------------------------------------------------------------------------------------------------- HTML


def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every {{ }} is HTML-escaped unless marked safe
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(report: Report) -> str:
    """The report as one self-contained HTML5 document (inline CSS, embedded PNGs, no scripts, no URLs)."""
    context = {
        "title": report.title,
        "notes": _notes(report.notes),
        "table1": _table1_view(report.table1) if report.table1 is not None else None,
        "bar_chart": data_uri(bar_chart(report.table1)) if report.table1 is not None else None,
        "structure": _structure_view(report.structure) if report.structure is not None else None,
        "table2": _table2_view(report.table2) if report.table2 is not None else None,
        "heatmap": data_uri(heatmap(report.table2)) if report.table2 is not None else None,
        "breakdowns": [_breakdown_view(name, frame) for name, frame in (report.breakdowns or {}).items()],
        "missing": MISSING,
    }
    return _environment().get_template(TEMPLATE).render(**context)


def write_html(report: Report, path: str | Path) -> Path:
    """Render ``report`` and write it to ``path`` (UTF-8); returns the path."""
    path = Path(path)
    path.write_text(render_html(report), encoding="utf-8")
    return path
