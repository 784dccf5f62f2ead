"""`export_statements YYYY-MM --out DIR [--seller CODE] [--language ...]` (SPEC §12): each invoice's PDF
statement of the month (drafts marked) and each credit note's PDF into DIR, one path a line."""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from billing.models import StatementFile
from tests.billing.statement_documents import (
    credit_note_of,
    statement_invoice,
    statement_operator,
    statement_world,
)
from tests.billing.test_statements import pdf_pages


def export(*args) -> list[str]:
    out = io.StringIO()
    call_command("export_statements", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.fixture
def month(db):
    operator = statement_operator()
    zh_seller, zh_contract = statement_world(language="zh-hans", operator=operator)
    issued = statement_invoice(zh_contract, lines=4)
    note = credit_note_of(issued)
    _, ja_contract = statement_world(
        language="ja", operator=operator, currency="JPY", card="linkstar-jp-sample"
    )
    draft = statement_invoice(ja_contract, lines=3, issued=False)
    statement_invoice(zh_contract, lines=2, issued=False, period=issued.period.replace(month=7), stock=False)
    return issued, note, draft


def test_writes_every_statement_and_credit_note_of_the_month_in_each_sellers_language(month, tmp_path):
    issued, note, draft = month
    lines = export("2016-06", "--out", str(tmp_path / "out"))
    assert lines == [
        str(tmp_path / "out" / f"statement-draft-{draft.pk}-ja.pdf"),
        str(tmp_path / "out" / "statement-LINKSTAR-2016-000042-zh-hans.pdf"),
        str(tmp_path / "out" / "credit-note-CN-LINKSTAR-2016-0007-zh-hans.pdf"),
    ]
    draft_pages = pdf_pages(Path(lines[0]).read_bytes(), tmp_path)
    assert all("下書き" in page for page in draft_pages)  # the draft is marked on every page
    assert "月结对账单" in pdf_pages(Path(lines[1]).read_bytes(), tmp_path)[0]
    assert "LINKSTAR-2016-000042" in pdf_pages(Path(lines[2]).read_bytes(), tmp_path)[0]
    # the issued documents' files are the stored ones (rendered once)
    assert StatementFile.objects.filter(status="ready").count() == 2


def test_one_seller_in_one_language(month, tmp_path):
    issued, note, draft = month
    lines = export("2016-06", "--out", str(tmp_path), "--seller", "SELLER-ZH-HANS", "--language", "en")
    assert [Path(line).name for line in lines] == [
        "statement-LINKSTAR-2016-000042-en.pdf",
        "credit-note-CN-LINKSTAR-2016-0007-en.pdf",
    ]
    assert "Monthly statement" in pdf_pages(Path(lines[0]).read_bytes(), tmp_path)[0]


def test_a_month_without_invoices_writes_nothing(month, tmp_path):
    assert export("2015-01", "--out", str(tmp_path / "empty")) == []
    assert list((tmp_path / "empty").iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["2016-13", "--out", "{tmp}"], "period:"),
        (["June", "--out", "{tmp}"], "period:"),
        (["2016-06", "--out", "{tmp}", "--seller", "nobody"], "--seller: no seller with the code 'nobody'"),
        (["2016-06", "--out", "{tmp}/file.txt"], "is not a folder"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(db, tmp_path, args, message):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(CommandError, match=message):
        export(*[arg.format(tmp=tmp_path) for arg in args])


def test_the_command_line_exits_1_with_the_error_on_stderr(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "export_statements", "2016-13", "--out", str(tmp_path)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "period:" in result.stderr and result.stdout == ""


def test_a_missing_out_or_a_bad_language_exits_2(tmp_path):
    for args in (["2016-06"], ["2016-06", "--out", str(tmp_path), "--language", "fr"]):
        result = subprocess.run(
            [sys.executable, "manage.py", "export_statements", *args],
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 2, result.stderr
