"""The self-contained HTML report: embedded plots, marks on the right cells, "–" for missing, Δ, escaping."""

from __future__ import annotations

import base64
import io
import math
import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from PIL import Image

from raif_eval.reports.html import MISSING_NOTE, bar_chart, heatmap, render_html
from raif_eval.reports.model import MISSING, Marks, Report, Table1, Table2

QWEN = "Qwen2.5-7B-Instruct"
EVIL = "Evil <b>Model</b> & co"  # must stay literal text in the HTML
COLUMNS = ["IFEval", "CELLO", "Complex Bench", "Avg."]
TOY = "TOY JUDGE: scores come from a toy judge and are not comparable to the paper."


def build_report() -> Report:
    """Two models × two methods, one missing cell, CIs; Table 2 with three runs; one breakdown; a toy-judge note.

    Also used by ``tools/screenshot_report.py --demo``.
    """
    index = pd.MultiIndex.from_tuples(
        [(QWEN, "I/O"), (QWEN, "Ours"), (EVIL, "I/O"), (EVIL, "Ours")], names=["model", "method"]
    )
    frame = pd.DataFrame(
        [
            [72.82, 76.50, 74.47, 74.60],
            [70.06, 75.20, 72.00, 72.42],
            [45.28, math.nan, 55.94, 50.61],
            [80.22, 60.00, 46.83, 62.35],
        ],
        index=index,
        columns=COLUMNS,
    )
    delta = pd.Series([math.nan, -2.18, math.nan, 11.74], index=index)
    marks = {
        "IFEval": Marks((EVIL, "Ours"), (QWEN, "I/O")),
        "CELLO": Marks((QWEN, "I/O"), (QWEN, "Ours")),
        "Complex Bench": Marks((QWEN, "I/O"), (QWEN, "Ours")),
        "Avg.": Marks((QWEN, "I/O"), (QWEN, "Ours")),
    }
    ci = frame.map(lambda v: None if math.isnan(v) else (v - 1.5, v + 1.5))
    table1 = Table1(frame=frame, delta=delta, marks=marks, ci=ci, notes=[TOY])

    index2 = pd.MultiIndex.from_tuples(
        [("And", "1"), ("Chain", "1"), ("Chain", "2"), ("Chain", "Avg."), ("Overall", MISSING)],
        names=["category", "depth"],
    )
    frame2 = pd.DataFrame(
        [
            [85.85, 85.66, 86.57],
            [72.18, 75.25, 73.96],
            [70.56, math.nan, 76.88],
            [70.96, 73.59, 76.18],
            [74.47, 74.00, 77.40],
        ],
        index=index2,
        columns=["I/O", "SR", "Ours"],
    )
    marks2 = {
        ("And", "1"): Marks("Ours", "I/O"),
        ("Chain", "1"): Marks("SR", "Ours"),
        ("Chain", "2"): Marks("Ours", "I/O"),
        ("Chain", "Avg."): Marks("Ours", "SR"),
        ("Overall", MISSING): Marks("Ours", "I/O"),
    }
    table2 = Table2(frame=frame2, marks=marks2)

    breakdown = pd.DataFrame(
        {"I/O": [80.0, 55.5, math.nan], "Ours": [82.25, 61.0, 40.0]},
        index=pd.Index(["keywords:existence", "length_constraints", "<script>alert(1)</script>"],
                       name="instruction type"),
    )
    return Report(
        title="RAIF report — toy run <v1> & friends",
        table1=table1,
        table2=table2,
        breakdowns={"IFEval by instruction type": breakdown},
        notes=[TOY, "Seed 0, limit 4."],
    )


# ------------------------------------------------------------------------------------------------ parsing helpers

TABLE_TAGS = {"table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption"}
BALANCED = TABLE_TAGS | {"html", "head", "body", "section", "figure", "figcaption", "ul", "ol", "li", "div", "p"}
VOID = {"img", "meta", "br", "hr", "link", "input"}


class Cells(HTMLParser):
    """Collects table cells (with their tr's data-* and their td's classes and text) and checks tag balance."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.table_class = ""
        self.row: dict[str, str] = {}
        self.cell: dict | None = None
        self.span: str | None = None
        self.cells: list[dict] = []
        self.imgs: list[dict[str, str]] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "img":
            self.imgs.append(a)
        if tag in VOID:
            return
        if tag in BALANCED:
            self.stack.append(tag)
        if tag == "table":
            self.table_class = a.get("class", "")
        elif tag == "tr":
            self.row = a
        elif tag in ("td", "th") and self.cell is None:
            self.cell = {"tag": tag, "table": self.table_class, "row": self.row, "attrs": a,
                         "classes": set(a.get("class", "").split()), "text": "", "v": "", "delta": "", "ci": ""}
        elif tag == "span" and self.cell is not None:
            self.span = (a.get("class", "").split() or [""])[0]

    def handle_endtag(self, tag):
        if tag in BALANCED:
            if not self.stack or self.stack[-1] != tag:
                self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            else:
                self.stack.pop()
        if tag in ("td", "th") and self.cell is not None and self.cell["tag"] == tag:
            self.cell["text"] = self.cell["text"].strip()
            self.cells.append(self.cell)
            self.cell = None
        elif tag == "span":
            self.span = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell["text"] += data
            if self.span in ("v", "delta", "ci"):
                self.cell[self.span] += data


def parse(html: str) -> Cells:
    parser = Cells()
    parser.feed(html)
    parser.close()
    return parser


def t1_cell(p: Cells, model: str, method: str, col: str) -> dict:
    found = [c for c in p.cells if "t1" in c["table"] and c["tag"] == "td" and c["row"].get("data-model") == model
             and c["row"].get("data-method") == method and c["attrs"].get("data-col") == col]
    assert len(found) == 1, (model, method, col, len(found))
    return found[0]


def t2_cell(p: Cells, category: str, depth: str, run: str) -> dict:
    found = [c for c in p.cells if "t2" in c["table"] and c["tag"] == "td"
             and c["row"].get("data-category") == category and c["row"].get("data-depth") == depth
             and c["attrs"].get("data-col") == run]
    assert len(found) == 1, (category, depth, run, len(found))
    return found[0]


def decode_images(html: str) -> list[Image.Image]:
    images = []
    for b64 in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html):
        data = base64.b64decode(b64, validate=True)
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        Image.open(io.BytesIO(data)).verify()
        images.append(Image.open(io.BytesIO(data)))
    return images


@pytest.fixture(scope="module")
def report() -> Report:
    return build_report()


@pytest.fixture(scope="module")
def html(report) -> str:
    return render_html(report)


@pytest.fixture(scope="module")
def parsed(html) -> Cells:
    return parse(html)


# ------------------------------------------------------------------------------------------------------- tests


def test_self_contained(html):
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in html
    lowered = html.lower()
    for needle in ("http://", "https://", "<script", "<link", "@import", "url(", "<iframe", "<object"):
        assert needle not in lowered, needle
    for attr, value in re.findall(r'\b(src|href)\s*=\s*["\']?([^"\'\s>]*)', html, flags=re.IGNORECASE):
        assert not value.startswith("//"), (attr, value)
        if attr.lower() == "src":
            assert value.startswith("data:image/png;base64,"), value[:40]
        else:
            assert value.startswith("#"), value  # in-page footnote links only


def test_two_embedded_pngs(html, parsed):
    assert html.count("data:image/png;base64,") == 2
    assert len(parsed.imgs) == 2 and all(img.get("alt") for img in parsed.imgs)
    bars, heat = decode_images(html)
    assert bars.format == heat.format == "PNG"
    assert bars.size == (1300, 550)  # 13 × 5.5 in at 100 dpi
    assert 600 <= heat.size[0] <= 1600 and 300 <= heat.size[1] <= 1600
    for img in (bars, heat):  # not blank: a real plot has many colours
        assert len(img.convert("RGB").getcolors(maxcolors=1 << 16) or range(1 << 16)) > 50


def test_table1_marks_on_the_right_cells(report, parsed):
    expected = {}
    for col, m in report.table1.marks.items():
        expected[(*m.best, col)] = "best"
        expected[(*m.second, col)] = "second"
    for model, method in report.table1.frame.index:
        for col in COLUMNS:
            classes = t1_cell(parsed, model, method, col)["classes"]
            want = expected.get((model, method, col))
            assert ("best" in classes) == (want == "best"), (model, method, col, classes)
            assert ("second" in classes) == (want == "second"), (model, method, col, classes)
    assert t1_cell(parsed, EVIL, "Ours", "IFEval")["v"] == "80.22"


def test_table2_marks_per_row(report, parsed):
    for (category, depth), m in report.table2.marks.items():
        for run in report.table2.frame.columns:
            classes = t2_cell(parsed, category, depth, run)["classes"]
            assert ("best" in classes) == (run == m.best), (category, depth, run, classes)
            assert ("second" in classes) == (run == m.second), (category, depth, run, classes)
    assert t2_cell(parsed, "Chain", "Avg.", "Ours")["v"] == "76.18"


def test_css_styles_the_marks(html):
    style = html[html.index("<style>"):html.index("</style>")]
    assert re.search(r"\.best[^{]*\{[^}]*font-weight:\s*700", style)
    assert re.search(r"\.second[^{]*\{[^}]*text-decoration:\s*underline", style)


def test_missing_cell_and_footnote(html, parsed):
    cell = t1_cell(parsed, EVIL, "I/O", "CELLO")
    assert cell["text"].startswith(MISSING) and "missing" in cell["classes"]
    assert not cell["classes"] & {"best", "second"} and cell["ci"] == ""
    assert "0.00" not in cell["text"]
    assert 'href="#fn-t1-missing"' in html and "fn-t1-missing" in parsed.ids
    assert MISSING_NOTE.replace("&", "&amp;") in html
    blank = t2_cell(parsed, "Chain", "2", "SR")
    assert blank["text"].startswith(MISSING) and "fn-t2-missing" in parsed.ids
    assert len(parsed.ids) == len(set(parsed.ids)), "duplicate ids"


def test_delta_formatting(parsed):
    assert f'{t1_cell(parsed, EVIL, "Ours", "Avg.")["v"]} {t1_cell(parsed, EVIL, "Ours", "Avg.")["delta"]}' \
        == "62.35 (+11.74%)"
    assert t1_cell(parsed, EVIL, "Ours", "Avg.")["text"].startswith("62.35 (+11.74%)")
    assert t1_cell(parsed, QWEN, "Ours", "Avg.")["text"].startswith("72.42 (-2.18%)")
    for model in (QWEN, EVIL):  # baselines: no Δ
        cell = t1_cell(parsed, model, "I/O", "Avg.")
        assert cell["delta"] == "" and "%" not in cell["text"]
    assert t1_cell(parsed, EVIL, "Ours", "IFEval")["delta"] == ""  # Δ only after Avg.


def test_confidence_intervals(parsed):
    assert t1_cell(parsed, QWEN, "I/O", "IFEval")["ci"] == "[71.32, 74.32]"
    assert t1_cell(parsed, EVIL, "Ours", "Avg.")["ci"] == "[60.85, 63.85]"
    assert all(c["ci"] == "" for c in parsed.cells if "t2" in c["table"])  # Table 2 has no CI frame


def test_text_is_escaped(html, parsed):
    assert "<b>Model</b>" not in html and "<script>alert" not in html and "<v1>" not in html
    assert "Evil &lt;b&gt;Model&lt;/b&gt; &amp; co" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    models = {c["text"] for c in parsed.cells if c["tag"] == "th" and "idx0" in c["classes"] and "t1" in c["table"]}
    assert models == {QWEN, EVIL}


def test_tags_balance(parsed):
    assert parsed.errors == []
    assert parsed.stack == []
    assert len([c for c in parsed.cells if "t1" in c["table"] and c["tag"] == "td"]) == 4 * len(COLUMNS)
    assert len([c for c in parsed.cells if "t2" in c["table"] and c["tag"] == "td"]) == 5 * 3
    breakdown = [c for c in parsed.cells if "breakdown" in c["table"] and c["tag"] == "td"]
    assert [c["text"] for c in breakdown] == ["80.00", "82.25", "55.50", "61.00", MISSING, "40.00"]


def test_notes_and_toy_judge_warning(html):
    warnings = re.findall(r'<li class="warning">([^<]*)</li>', html)
    assert TOY in warnings
    assert "Seed 0, limit 4." in html and '<li class="warning">Seed 0' not in html
    assert html.index(TOY) < html.index('id="table1"')  # the warning comes before the tables


def test_without_table2_one_image(report):
    lone = Report(title="t", table1=report.table1)
    html = render_html(lone)
    assert html.count("data:image/png;base64,") == 1 and 'id="table2"' not in html
    assert len(decode_images(html)) == 1
    assert parse(html).errors == []


def test_plots_are_deterministic_and_leave_matplotlib_alone(report):
    import matplotlib

    before = dict(matplotlib.rcParams)
    assert bar_chart(report.table1) == bar_chart(report.table1)
    assert heatmap(report.table2) == heatmap(report.table2)
    after = dict(matplotlib.rcParams)
    assert {k for k in before if before[k] != after[k]} <= {"backend"}


def test_plots_survive_all_missing(report):
    empty1 = Table1(frame=report.table1.frame * math.nan, delta=report.table1.delta, marks={})
    empty2 = Table2(frame=report.table2.frame * math.nan, marks={})
    for png in (bar_chart(empty1), heatmap(empty2)):
        Image.open(io.BytesIO(png)).verify()


def test_breakdowns_with_a_plain_index_render():
    """Breakdowns come as long frames with a default RangeIndex (reports.breakdowns)."""
    import pandas as pd

    from raif_eval.reports.html import render_html

    report = build_report()
    report.breakdowns = {"IFEval by instruction": pd.DataFrame(
        {"group": ["keywords", "length"], "metric": ["strict", "strict"], "value": [50.0, 75.0], "n": [2, 4]})}
    html = render_html(report)
    assert "IFEval by instruction" in html and "75.00" in html and "keywords" in html
