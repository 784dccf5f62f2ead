"""The pages of a long statement's detail, decided here rather than by WeasyPrint (issue 13): each page of
lines is its own table (its header repeated), so a statement can be rendered in parts on several processes
and merged, every part a run of whole pages, identical to the statement rendered in one piece.

A row's height is estimated from its text: the advance widths of Noto Sans CJK (the statements' one font,
``fontTools``) and a greedy line break, on the lengths of ``templates/pdf/billing/_style.css`` below. The
estimate leans long (a row thought to wrap that does not leaves a little space at the foot of its page);
``tests/billing/test_statements_layout.py`` checks it against WeasyPrint's layout.
"""

from __future__ import annotations

import logging
import re
import subprocess
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import Any

logger = logging.getLogger(__name__)

MM = 72 / 25.4  # points per millimetre

# The lengths of the detail in _style.css and base.html (points).
PAGE_HEIGHT = (297 - 15 - 14) * MM  # A4 less the @page margins
CONTENT_WIDTH = (210 - 12 - 12) * MM
FONT = 7.5  # html font-size
LINE = 1.32  # html line-height
FORMULA_FONT = 6.5  # .f
CELL_PADDING_X = 1.2 * MM
ROW_EXTRA = 2 * 0.7 * MM + 0.25  # a line row: padding above and below, its rule
SECTION_ROW = FONT * LINE + 1.7 * MM + 0.5  # tr.sec: padding 1 mm above, 0.7 mm below, its rule
SUBTOTAL_ROW = FONT * LINE + ROW_EXTRA + 0.4  # tr.sub: its rule above
TABLE_HEAD = 6.5 * LINE + 2 * MM + 1.2 + 0.4  # thead: 6.5 pt text, 1 mm padding, two 0.6 pt rules
TABLE_TOP = 1.5 * MM  # .lines margin-top
HEADING = 4 * MM + 6.8 * LINE + 0.6 * MM + 0.4 + 1 * MM  # .panel margin + h2 (its padding, rule, margin)
NOTE_FONT, NOTE_TOP = 6.6, 1 * MM  # p.note
TAIL_TOP = 2 * MM  # .totals margin-top
TOTALS_ROW = FONT * LINE + 1.2 * MM  # .totals td
TOTAL_ROW = 8.5 * LINE + 1 * MM + 0.6 * MM + 0.8
END = 4 * MM + 1.2 * MM + 0.3 + 3 * 6.5 * LINE  # .end: margin, rule, up to three lines
SLACK = 6.0  # rounding of collapsed borders and line boxes, kept free at the foot of each page

# Column widths (% of the content width) of the detail table, without and with the tax column (qualified).
COLUMNS = {False: (4.5, 36, 29, 12, 8.5, 10), True: (4.5, 33, 27, 12, 8.5, 5, 10)}
DESCRIPTION, FORMULA = 1, 2
FIT = 0.96  # a text is taken to fill its cell when its estimate reaches this share of the width


# --- Text widths -------------------------------------------------------------------------------------


@cache
def _advances() -> tuple[dict[int, float], float]:
    """Advance widths (em) of Noto Sans CJK SC by code point, and the em of a character it lacks."""
    try:
        from fontTools.ttLib import TTCollection, TTFont

        path = subprocess.run(
            ["fc-match", "-f", "%{file}", "Noto Sans CJK SC"], capture_output=True, text=True, check=True
        ).stdout.strip()
        if path.endswith(".ttc"):
            collection = TTCollection(path, lazy=True)
            font = next(
                (f for f in collection.fonts if "SC" in f["name"].getDebugName(1)), collection.fonts[0]
            )
        else:
            font = TTFont(path, lazy=True)
        per_em = font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        widths = {code: metrics[glyph][0] / per_em for code, glyph in font.getBestCmap().items()}
        return widths, 1.0
    except Exception:  # noqa: BLE001 - no font metrics: every character taken as wide as a CJK one
        logger.warning("no font metrics for the statement layout; estimating every character 1 em wide")
        return {}, 1.0


def text_width(text: str, size: float) -> float:
    widths, missing = _advances()
    total = 0.0
    for char in text:
        width = widths.get(ord(char))
        if width is None:
            base = unicodedata.normalize("NFD", char)[:1]
            width = widths.get(ord(base), missing) if base else missing
        total += width
    return total * size


# Where a line may break: after a space, or around a CJK character (one unit each).
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_UNITS = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+\s*|\s+")


def line_count(text: str, *, size: float, width: float) -> int:
    """Lines ``text`` takes in a cell ``width`` points wide (a greedy break, as Pango's for these texts)."""
    if not text:
        return 1
    room = width * FIT
    lines, used = 1, 0.0
    for unit in _UNITS.findall(text):
        body = unit.rstrip()
        advance = text_width(unit, size)
        need = text_width(body, size)
        if used and used + need > room:
            lines += 1
            used = 0.0
        if not used and need > room:  # a word longer than the cell: broken over lines
            lines += int(need // room)
            need = need % room
            advance = need
        used += advance
    return lines


# --- Pages -------------------------------------------------------------------------------------------


@dataclass
class Segment:
    """What a page holds, in order: a heading (``detail``, ``pass_through``) or a table of rows."""

    kind: str  # "heading", "table" or "tail" (the totals)
    name: str  # "detail" or "pass_through"
    rows: list[dict[str, Any]] = field(default_factory=list)
    html_id: str = ""


@dataclass
class Page:
    segments: list[Segment] = field(default_factory=list)
    lines: int = 0  # detail lines on the page (the work of rendering it)


def _cell_width(qualified: bool, column: int) -> float:
    return COLUMNS[qualified][column] / 100 * CONTENT_WIDTH - 2 * CELL_PADDING_X


def row_height(row: dict[str, Any], *, qualified: bool) -> float:
    kind = row["kind"]
    if kind == "section":
        return SECTION_ROW
    if kind == "subtotal":
        return SUBTOTAL_ROW
    if kind == "empty":
        return FONT * LINE + ROW_EXTRA
    line = row["line"]
    description = line_count(line.description, size=FONT, width=_cell_width(qualified, DESCRIPTION))
    formula = line_count(line.formula, size=FORMULA_FONT, width=_cell_width(qualified, FORMULA))
    return max(description * FONT * LINE, formula * FORMULA_FONT * LINE, FONT * LINE) + ROW_EXTRA


def heading_height(note: str = "") -> float:
    if not note:
        return HEADING
    lines = line_count(note, size=NOTE_FONT, width=CONTENT_WIDTH)
    return HEADING + NOTE_TOP + lines * NOTE_FONT * LINE


def tail_height(tax_rows: int) -> float:
    """The totals (subtotal, the tax of each rate, total) and the closing note."""
    return TAIL_TOP + (tax_rows + 1) * TOTALS_ROW + TOTAL_ROW + END


def paginate(items: list[tuple[str, Any]], *, qualified: bool, paged: bool = True) -> list[Page]:
    """Whole pages of the detail: ``items`` are ``("heading", (name, note))``, ``("row", (table, row))`` and
    last ``("tail", tax_rows)``, in order. A heading keeps with the first row after it, a section's title
    with its first line. ``paged=False``: one run that WeasyPrint breaks where it falls (a short statement,
    its detail on its first page)."""
    pages: list[Page] = [Page()]
    room = PAGE_HEIGHT - SLACK if paged else float("inf")
    open_table: str | None = None
    for index, (kind, value) in enumerate(items):
        if kind == "tail":
            if tail_height(value) > room and pages[-1].segments:
                pages.append(Page())
            pages[-1].segments.append(Segment("tail", "totals"))
            continue
        if kind == "heading":
            name, note = value
            need = heading_height(note) + _first_row_need(items, index + 1, qualified)
            if need > room and pages[-1].segments:
                pages.append(Page())
                room = PAGE_HEIGHT - SLACK
            pages[-1].segments.append(Segment("heading", name))
            room -= heading_height(note)
            open_table = None
            continue
        table, row = value
        height = row_height(row, qualified=qualified)
        need = height + (TABLE_TOP + TABLE_HEAD if open_table != table else 0)
        if row["kind"] == "section":  # not alone at the foot of a page
            need += _first_row_need(items, index + 1, qualified, with_table=False)
        if need > room and pages[-1].segments:
            pages.append(Page())
            room = PAGE_HEIGHT - SLACK
            open_table = None
        if open_table != table:
            pages[-1].segments.append(Segment("table", table))
            room -= TABLE_TOP + TABLE_HEAD
            open_table = table
        pages[-1].segments[-1].rows.append(row)
        pages[-1].lines += row["kind"] == "line"
        room -= height
    return pages


def _first_row_need(items, index: int, qualified: bool, *, with_table: bool = True) -> float:
    if index >= len(items) or items[index][0] != "row":
        return 0.0
    return row_height(items[index][1][1], qualified=qualified) + (TABLE_TOP + TABLE_HEAD if with_table else 0)


def split_pages(pages: list[Page], parts: int, *, head_weight: int, tail_weight: int) -> list[list[Page]]:
    """``pages`` in at most ``parts`` runs of about equal work (detail lines; the first run also renders the
    statement's first page, the last its totals: ``head_weight`` and ``tail_weight`` lines' worth)."""
    parts = max(1, min(parts, len(pages)))
    weights = [page.lines or 1 for page in pages]
    weights[0] += head_weight
    weights[-1] += tail_weight
    total = sum(weights)
    runs: list[list[Page]] = []
    current: list[Page] = []
    done = 0
    for page, weight in zip(pages, weights, strict=True):
        target = total * (len(runs) + 1) / parts
        if current and len(runs) < parts - 1 and done + weight / 2 > target:
            runs.append(current)
            current = []
        current.append(page)
        done += weight
    runs.append(current)
    return runs
