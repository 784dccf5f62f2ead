"""A long statement's pages (issue 13): the detail on pages of its own, cut where the layout estimates
(each estimated page is one page of the PDF, in every language, wrapped rows included); rendered in parts on
several processes it is the same statement page for page, numbered "Page X of Y" of the whole; a part that
took more pages than estimated is numbered from the pages it took; a real worker renders in parts."""

import re
import subprocess

import pytest
from django.test.utils import override_settings

from billing.models import StatementFile
from billing.statements import layout, render_document_pdf, request_statement
from billing.statements.files import document_context
from tests.billing.statement_documents import statement_invoice, statement_world
from tests.billing.test_statements import pdf_fonts, pdf_pages
from tests.conftest import wait_for

PAGE_OF = {
    "en": "Page {page} of {pages}",
    "vi": "Trang {page} / {pages}",
    "zh-hans": "第 {page} 页，共 {pages} 页",
}


def flat(text: str) -> str:
    return " ".join(text.split())


def positions(page: str) -> list[int]:
    """The detail lines on a page, by their order number (SO201606xxxxx)."""
    return sorted({int(number) - 20160600000 for number in re.findall(r"SO(2016060\d{4})", page)})


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "vi"])
def test_each_estimated_page_is_one_page_of_the_pdf(language, tmp_path):
    """Vietnamese descriptions of customs lines wrap on two lines; Chinese ones do not."""
    seller, contract = statement_world(language=language)
    invoice = statement_invoice(contract, lines=400)
    _, context = document_context(invoice, language)
    estimated = [
        [
            row["line"].position
            for seg in page.segments
            for row in seg.rows
            if row["kind"] == "line" and "SO2016" in row["line"].description
        ]
        for page in context["detail_pages"]
    ]

    with override_settings(STATEMENT_RENDER_PROCESSES=1):
        pages = pdf_pages(render_document_pdf(invoice, language), tmp_path)

    assert len(pages) == 1 + len(estimated)  # the first page, then the estimated pages, none overflowing
    assert positions(pages[0]) == []  # the first page holds the summary only
    for page, lines in zip(pages[1:], estimated, strict=True):
        assert positions(page) == lines
    full = [page.lines for page in context["detail_pages"][1:5]]  # parcels: one line each in Chinese
    assert min(full) >= (51 if language == "zh-hans" else 40)  # the pages are full


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "vi"])
def test_a_statement_rendered_in_parts_is_the_statement_rendered_whole(language, tmp_path):
    seller, contract = statement_world(language=language)
    invoice = statement_invoice(contract, lines=400)

    with override_settings(STATEMENT_RENDER_PROCESSES=1):
        whole = render_document_pdf(invoice, language)
    with override_settings(STATEMENT_RENDER_PROCESSES=2, STATEMENT_PARALLEL_MIN_PAGES=2):
        merged = render_document_pdf(invoice, language)

    whole_pages, merged_pages = pdf_pages(whole, tmp_path), pdf_pages(merged, tmp_path)
    assert merged_pages == whole_pages
    count = len(merged_pages)
    for number, page in enumerate(merged_pages, start=1):
        assert PAGE_OF[language].format(page=number, pages=count) in flat(page)
    # two documents merged: each carries its own subset of the regular and the bold face
    assert len(_fonts_listing(merged, tmp_path).splitlines()[2:]) == 4
    assert len(_fonts_listing(whole, tmp_path).splitlines()[2:]) == 2
    assert pdf_fonts(merged, tmp_path) == pdf_fonts(whole, tmp_path)


def _fonts_listing(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "merged.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout


@pytest.mark.django_db
def test_parts_that_take_more_pages_than_estimated_are_numbered_from_the_pages_they_took(
    tmp_path, monkeypatch
):
    """Rows estimated at half their height: each estimated page overflows onto a second one. The parts are
    rendered again with the counts they took, so "Page X of Y" still counts the whole."""
    seller, contract = statement_world(language="en")
    invoice = statement_invoice(contract, lines=200)
    with override_settings(STATEMENT_RENDER_PROCESSES=1):
        lines = sorted(
            p for page in pdf_pages(render_document_pdf(invoice, "en"), tmp_path) for p in positions(page)
        )
    real = layout.row_height
    monkeypatch.setattr(layout, "row_height", lambda row, *, qualified: real(row, qualified=qualified) / 2)

    with override_settings(STATEMENT_RENDER_PROCESSES=2, STATEMENT_PARALLEL_MIN_PAGES=2):
        pages = pdf_pages(render_document_pdf(invoice, "en"), tmp_path)

    count = len(pages)
    assert count > 1 + len(document_context(invoice, "en")[1]["detail_pages"])
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {count}" in flat(page)
    assert sorted(p for page in pages for p in positions(page)) == lines  # every line, once


@pytest.fixture
def statements_in_parts(monkeypatch):
    """A worker started after this renders a statement of two pages of detail or more in parts."""
    monkeypatch.setenv("STATEMENT_PARALLEL_MIN_PAGES", "2")
    monkeypatch.setenv("STATEMENT_RENDER_PROCESSES", "2")


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_renders_a_long_statement_in_parts(
    statements_in_parts, celery_worker_process, tmp_path
):
    seller, contract = statement_world(language="zh-hans", seller_code="parts-seller")
    invoice = statement_invoice(contract, lines=150)

    stored = request_statement(invoice, "zh-hans")

    ready = wait_for(lambda: StatementFile.objects.filter(pk=stored.pk, status="ready").first(), timeout=90)
    with ready.file.open("rb") as handle:
        pdf = handle.read()
    pages = pdf_pages(pdf, tmp_path)
    assert ready.pages == len(pages) >= 4
    for number, page in enumerate(pages, start=1):
        assert f"第 {number} 页，共 {len(pages)} 页" in flat(page)
    assert len(_fonts_listing(pdf, tmp_path).splitlines()[2:]) == 4  # merged from two documents
