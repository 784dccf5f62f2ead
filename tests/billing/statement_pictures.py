"""Renders the pictures of docs/statements/ (run explicitly: pytest tests/billing/statement_pictures.py)."""

import subprocess
from pathlib import Path

import pytest

from billing.statements import render_document_pdf
from tests.billing.statement_documents import (
    credit_note_of,
    statement_invoice,
    statement_operator,
    statement_world,
)

OUT = Path(__file__).resolve().parents[2] / "docs" / "statements"
LINES = 400


def pictures(pdf: bytes, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.pdf"
    path.write_bytes(pdf)
    from pypdf import PdfReader

    pages = len(PdfReader(str(path)).pages)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", path, OUT / f"{name}-page-1"],
        check=True,
    )
    if pages > 1:
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "70",
                "-f",
                str(pages),
                "-l",
                str(pages),
                "-singlefile",
                path,
                OUT / f"{name}-page-last",
            ],
            check=True,
        )
    path.unlink()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en", "ja", "vi"])
def test_pictures(language):
    seller, contract = statement_world(language=language)
    invoice = statement_invoice(contract, lines=LINES)
    pictures(render_document_pdf(invoice, language), f"statement-{language}")


@pytest.mark.django_db
def test_pictures_jp():
    operator = statement_operator(
        code="linkstar-jp",
        country="JP",
        name="Linkstar Japan",
        legal_name="リンクスター・ジャパン株式会社",
        address="東京都江東区青海2-4-24",
    )
    seller, contract = statement_world(
        language="ja", card="linkstar-jp-sample", currency="JPY", operator=operator
    )
    invoice = statement_invoice(contract, lines=14, number="LINKSTAR-JP-2016-000007")
    pictures(render_document_pdf(invoice, "ja"), "qualified-invoice-ja")
    note = credit_note_of(invoice)
    pictures(render_document_pdf(note, "ja"), "credit-note-ja")


@pytest.mark.django_db
def test_pictures_draft():
    seller, contract = statement_world(language="en")
    invoice = statement_invoice(contract, lines=30, issued=False)
    pictures(render_document_pdf(invoice, "en"), "draft-en")
