"""A 1,000-line Chinese statement (issue 13) against its anchor timed in the same run: a naive WeasyPrint
table of the same 1,000 lines in Noto Sans CJK (auto table layout, a border on every cell, page numbers).
Floor: at most 0.6x the anchor and under 1 MB, every glyph of zh, ja and vi rendered; aim 0.35x. The
5,000-line figures are printed too. The documents are written in a transaction that is rolled back
(nothing is kept)."""

import subprocess
import tempfile
import time
from io import BytesIO
from pathlib import Path

from django.db import transaction

ANCHOR_CSS = (
    "body{font-family:'Noto Sans CJK SC'} table{border-collapse:collapse;width:100%}"
    "td,th{border:1px solid #999;padding:2px}"
    "@page{size:A4;@bottom-right{content:'Page ' counter(page) ' / ' counter(pages)}}"
)
NOTO_CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
RUNS = 2


class Rollback(Exception):
    pass


def anchor_html(invoice) -> str:
    """The naive table: the same lines (description and formula in Chinese) with no care for speed."""
    from django.utils import translation
    from django.utils.html import escape

    from billing.exports import text_of

    rows = []
    with translation.override("zh-hans"):
        for line in invoice.lines.order_by("position"):
            cells = [
                line.position,
                text_of(line.description_text, line.description),
                text_of(line.formula_text, line.formula),
                line.quantity.normalize(),
                line.unit,
                line.unit_price,
                line.amount,
            ]
            rows.append("<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in cells) + "</tr>")
    head = "<tr><th>#</th><th>描述</th><th>公式</th><th>数量</th><th>单位</th><th>单价</th><th>金额</th></tr>"
    return (
        f"<html><head><meta charset='utf-8'><style>{ANCHOR_CSS}</style></head><body><h1>月结对账单</h1>"
        f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></body></html>"
    )


def best_of(function, runs: int = RUNS):
    best, result = None, None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def missing_glyphs(pdf: bytes) -> int:
    """Characters of the PDF's text that Noto Sans CJK cannot draw (0: every glyph rendered)."""
    from fontTools.ttLib import TTCollection

    characters = set(TTCollection(NOTO_CJK, lazy=True).fonts[2].getBestCmap())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "statement.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode()
    return sum(1 for ch in set(text) if not ch.isspace() and ord(ch) not in characters)


def measure(lines: int, *, anchor: bool) -> dict:
    from pypdf import PdfReader

    from billing.statements import render_document_pdf
    from portal.pdf import html_to_pdf
    from tests.billing.statement_documents import statement_invoice, statement_operator, statement_world

    figures = {}
    try:
        with transaction.atomic():
            operator = statement_operator(code=f"bench-statement-{lines}")
            checks = {}
            for language in ("zh-hans", "ja", "vi"):
                _, contract = statement_world(
                    language=language,
                    operator=operator,
                    seller_code=f"bench-{language}-{lines}",
                    warehouse_code=f"BENCH-STATEMENT-{language}-{lines}",
                )
                invoice = statement_invoice(
                    contract, lines=lines if language == "zh-hans" else 40, number=f"BENCH-{language}-{lines}"
                )
                if language == "zh-hans":
                    figures["seconds"], pdf = best_of(
                        lambda invoice=invoice: render_document_pdf(invoice, "zh-hans")
                    )
                    figures["size"] = len(pdf)
                    figures["pages"] = len(PdfReader(BytesIO(pdf)).pages)
                    checks[language] = missing_glyphs(pdf)
                    if anchor:
                        html = anchor_html(invoice)
                        figures["anchor"], anchor_pdf = best_of(lambda html=html: html_to_pdf(html))
                        figures["anchor_size"] = len(anchor_pdf)
                else:
                    checks[language] = missing_glyphs(render_document_pdf(invoice, language))
            figures["missing"] = checks
            raise Rollback
    except Rollback:
        pass
    return figures


def run() -> list[tuple[str, str, str]]:
    rows = []
    for lines, anchor in ((1000, True), (5000, False)):
        f = measure(lines, anchor=anchor)
        glyphs = (
            "every glyph of zh, ja, vi"
            if not any(f["missing"].values())
            else f"MISSING GLYPHS {f['missing']}"
        )
        note = f"{f['pages']} pages, {f['size'] / 1024:.0f} KB; {glyphs}"
        if anchor:
            ratio = f["seconds"] / f["anchor"]
            verdict = "ok" if ratio <= 0.6 and f["size"] < 2**20 else "OVER FLOOR (0.6x, 1 MB)"
            rows.append(
                (
                    "statement PDF, 1,000 lines zh: anchor",
                    f"{f['anchor']:.2f} s",
                    f"naive Noto Sans CJK table, {f['anchor_size'] / 1024:.0f} KB",
                )
            )
            rows.append(
                (
                    "statement PDF, 1,000 lines zh",
                    f"{f['seconds']:.2f} s",
                    f"{ratio:.2f}x anchor (floor 0.6x, aim 0.35x); {note}; {verdict}",
                )
            )
        else:
            rows.append((f"statement PDF, {lines:,} lines zh", f"{f['seconds']:.2f} s", note))
    return rows


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    for row in run():
        print(*row, sep="  |  ")
