"""A 1,000-line Chinese statement (issue 13) against its anchor timed in the same run: a naive WeasyPrint
table of the same 1,000 lines in Noto Sans CJK (auto table layout, a border on every cell, page numbers).
Floor: at most 0.6x the anchor and under 1 MB, every glyph of zh, ja and vi rendered; aim 0.35x. The
5,000-line figures are printed too. The statement renders as a worker renders it (in parts on
``STATEMENT_RENDER_PROCESSES`` processes): best of the runs after the first, the first (which starts the
forkserver of the worker processes) shown as "cold"; then in one process. The anchor and the statement take
turns, so a load on the machine falls on both. The documents are written in a transaction that is rolled
back (nothing is kept)."""

import os
import subprocess
import tempfile
import threading
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


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def peak_rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


class WorkerMemory:
    """The peak RSS of the worker processes a render starts (sampled from /proc while it runs)."""

    def __init__(self):
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.wait(0.05):
            for pid in descendants(os.getpid()):
                self.peak = max(self.peak, peak_rss_mb(pid))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


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
    from django.conf import settings
    from django.test.utils import override_settings
    from pypdf import PdfReader

    from billing.statements import render_document_pdf
    from portal.pdf import html_to_pdf
    from tests.billing.statement_documents import statement_invoice, statement_operator, statement_world

    figures = {"processes": settings.STATEMENT_RENDER_PROCESSES}
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
                    render = lambda invoice=invoice: render_document_pdf(invoice, "zh-hans")  # noqa: E731
                    html = anchor_html(invoice) if anchor else ""
                    times, anchors = [], []
                    with WorkerMemory() as memory:
                        for _ in range(RUNS + 1):
                            if anchor:
                                elapsed, anchor_pdf = timed(lambda html=html: html_to_pdf(html))
                                anchors.append(elapsed)
                            elapsed, pdf = timed(render)
                            times.append(elapsed)
                    figures["cold"], figures["seconds"] = times[0], min(times[1:])
                    figures["worker_mb"] = memory.peak
                    with override_settings(STATEMENT_RENDER_PROCESSES=1):
                        figures["single"] = min(timed(render)[0] for _ in range(RUNS))
                    figures["size"] = len(pdf)
                    figures["pages"] = len(PdfReader(BytesIO(pdf)).pages)
                    checks[language] = missing_glyphs(pdf)
                    if anchor:
                        figures["anchor"] = min(anchors)
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
        note = (
            f"{f['pages']} pages, {f['size'] / 1024:.0f} KB; on {f['processes']} processes (cold "
            f"{f['cold']:.2f} s; worker peak RSS {f['worker_mb']:.0f} MB), in one {f['single']:.2f} s; "
            f"{glyphs}"
        )
        if anchor:
            ratio = f["seconds"] / f["anchor"]
            single = f["single"] / f["anchor"]
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
                    f"{ratio:.2f}x anchor (in one process {single:.2f}x; floor 0.6x, aim 0.35x); "
                    f"{note}; {verdict}",
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
