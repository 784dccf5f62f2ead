"""Ledger readers on XLSX files and on untrusted uploads: type by content, zip bombs (SPEC §6, STYLE)."""

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from inventory.ledgers import LedgerFileError, RowError, StockRow, open_ledger, read_ledger, validate_ledger

HEADER = [
    "业务日期(day)",
    "仓库名称",
    "卖家nick",
    "后端货品id",
    "长",
    "高",
    "宽",
    "体积",
    "sku总体积（立方）",
    "销售出库件数",
    "总库存件数",
]
JUNE_1 = datetime(2016, 6, 1)  # noqa: DTZ001 - spreadsheet cells carry no time zone
GOOD = [JUNE_1, "心怡香港海外备货仓", "123旗舰店", 50000001, 434, 150, 220, 14322000, 1.1726, 0, 82]


def workbook_bytes(*rows, second_sheet=None, active=0) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if second_sheet is not None:
        other = book.create_sheet("Other")
        for row in second_sheet:
            other.append(row)
        book.active = active
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite_member(data: bytes, name: str, change) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            content = source.read(item.filename)
            target.writestr(item.filename, change(content) if item.filename == name else content)
    return out.getvalue()


def test_xlsx_first_sheet_gives_the_same_rows_as_the_golden_csv():
    data = workbook_bytes(HEADER, GOOD, [*GOOD[:-1], 83])

    with open_ledger(data, "stock") as stream:
        rows = [row for _, row in stream]
        assert (stream.file_format, stream.encoding) == ("xlsx", None)

    assert rows[0] == StockRow(
        date(2016, 6, 1),
        "心怡香港海外备货仓",
        "123旗舰店",
        "50000001",
        Decimal(434),
        Decimal(150),
        Decimal(220),
        1,
        Decimal(14322000),
        Decimal("1.1726"),
        0,
        82,
        None,
        2,
    )
    assert (rows[1].stock_qty, rows[1].row_number) == (83, 3)


def test_xlsx_float_cells_become_the_decimal_they_show():
    header = [
        "business_date",
        "warehouse",
        "seller",
        "item_id",
        "length_mm",
        "height_mm",
        "width_mm",
        "total_volume_m3",
        "sales_qty",
        "stock_qty",
    ]
    data = workbook_bytes(
        header,
        ["20160601", "W", "S", "A", 434.5, 150, 220, 1e-05, 0, 82.0],
        [20160602, "W", "S", 1234567890123, 2.675, 150, 220, 1.1726, 0, 1],
    )

    first, second = read_ledger(data, "stock")

    assert (first.length_mm, first.total_volume_m3, first.stock_qty) == (
        Decimal("434.5"),
        Decimal("0.00001"),
        82,
    )
    assert (second.business_date, second.item_id) == (date(2016, 6, 2), "1234567890123")
    assert (second.length_mm, second.total_volume_m3) == (Decimal("2.675"), Decimal("1.1726"))
    assert second.length_mm != Decimal(2.675)  # not the binary float's expansion


def test_only_the_first_sheet_is_read_even_when_another_is_active():
    data = workbook_bytes(HEADER, GOOD, second_sheet=[["junk"], ["more junk"]], active=1)

    assert [r.stock_qty for r in read_ledger(data, "stock")] == [82]


def test_xlsx_row_numbers_are_sheet_rows_and_blank_rows_are_skipped():
    data = workbook_bytes([], HEADER, GOOD, [], [None, None], [*GOOD[:-1], -1])

    results = validate_ledger(data, "stock")

    assert (results.row_count, [str(e) for e in results.errors]) == (
        2,
        ['row 6, stock_qty: must be 0 or more (got "-1")'],
    )


def test_xlsx_formula_without_a_cached_value_is_a_bad_row():
    data = workbook_bytes(HEADER, GOOD, [*GOOD[:-1], "=80+2"])

    with pytest.raises(LedgerFileError) as caught:
        read_ledger(data, "stock")

    assert caught.value.errors == [
        RowError(3, "stock_qty", "is a formula without a saved value (open the file in Excel and save it)")
    ]


def test_xlsx_formula_with_a_cached_value_gives_that_value():
    data = workbook_bytes(HEADER, GOOD, [*GOOD[:-1], "=80+2"])
    data = rewrite_member(data, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(b"<v />", b"<v>82</v>"))

    assert [r.stock_qty for r in read_ledger(data, "stock")] == [82, 82]


def test_xlsx_odd_cells_are_bad_rows_with_their_shown_value():
    data = workbook_bytes(
        HEADER, [JUNE_1.replace(hour=12, minute=30), *GOOD[1:5], True, *GOOD[6:10], "#DIV/0!"]
    )

    assert [str(e) for e in validate_ledger(data, "stock").errors] == [
        'row 2, business_date: must be a date written YYYYMMDD or YYYY-MM-DD (got "2016-06-01 12:30:00")',
        'row 2, height_mm: must be a number (got "TRUE")',
        'row 2, stock_qty: must be a number (got "#DIV/0!")',
    ]


def test_xlsx_header_only_and_empty_sheet_are_file_errors():
    with pytest.raises(LedgerFileError, match=r"^the file has a header \(row 1\) but no data rows$"):
        read_ledger(workbook_bytes(HEADER), "stock")
    with pytest.raises(LedgerFileError, match="no header row"):
        read_ledger(workbook_bytes(), "stock")


def test_xlsx_missing_column_is_a_file_error():
    with pytest.raises(LedgerFileError, match="^missing required column: stock_qty"):
        read_ledger(workbook_bytes(HEADER[:-1], GOOD[:-1]), "stock")


# --- type by content, not by name --------------------------------------------------------------------


def test_type_comes_from_the_content_not_the_file_name(tmp_path):
    xlsx_named_csv = tmp_path / "ledger.csv"
    xlsx_named_csv.write_bytes(workbook_bytes(HEADER, GOOD))
    csv_named_xlsx = tmp_path / "ledger.xlsx"
    csv_named_xlsx.write_bytes(",".join(HEADER).encode() + b"\n20160601,W,S,A,1,1,1,,,0,1\n")

    with open_ledger(xlsx_named_csv, "stock") as stream:
        assert stream.file_format == "xlsx"
    with open_ledger(csv_named_xlsx, "stock") as stream:
        assert stream.file_format == "csv"
    assert len(read_ledger(xlsx_named_csv, "stock")) == len(read_ledger(csv_named_xlsx, "stock")) == 1


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ledger.csv", "business_date\n")

    with pytest.raises(
        LedgerFileError, match=r"a ZIP archive but not an XLSX workbook \(no xl/workbook.xml\)"
    ):
        read_ledger(buffer.getvalue(), "stock")


def test_a_damaged_xlsx_is_refused():
    data = workbook_bytes(HEADER, GOOD)

    with pytest.raises(LedgerFileError, match="looks like XLSX .* but is damaged"):
        read_ledger(data[: len(data) // 2], "stock")


def test_a_workbook_with_broken_sheet_xml_is_refused():
    data = rewrite_member(workbook_bytes(HEADER, GOOD), "xl/worksheets/sheet1.xml", lambda xml: xml[:-40])

    with pytest.raises(LedgerFileError, match="the XLSX sheet cannot be read"):
        read_ledger(data, "stock")


def test_an_old_xls_file_is_refused_with_advice():
    with pytest.raises(LedgerFileError, match=r"old Excel \.xls files are not accepted"):
        read_ledger(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "stock")


def zip_bomb(size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            block = b"0" * (1024 * 1024)
            for _ in range(size // len(block)):
                member.write(block)
    return buffer.getvalue()


def test_a_zip_bomb_disguised_as_xlsx_is_refused_by_its_compression_ratio(tmp_path):
    bomb = tmp_path / "ledger.xlsx"
    bomb.write_bytes(zip_bomb(32 * 1024 * 1024))
    assert bomb.stat().st_size < 100_000

    with pytest.raises(
        LedgerFileError, match=r"sheet1.xml is compressed [\d,]+ to 1, more than 100 to 1: refused"
    ):
        read_ledger(bomb, "stock")


def test_an_xlsx_expanding_past_the_cap_is_refused_before_openpyxl_opens_it():
    with pytest.raises(LedgerFileError) as caught:
        read_ledger(zip_bomb(4 * 1024 * 1024), "stock", max_uncompressed_bytes=1024 * 1024)

    assert str(caught.value) == "the XLSX file would expand to 4.0 MB, more than the limit of 1.0 MB"


def test_an_xlsx_over_the_file_size_limit_is_refused():
    data = workbook_bytes(HEADER, GOOD)

    with pytest.raises(
        LedgerFileError, match=f"the file is {len(data):,} bytes, more than the limit of 1,000 bytes"
    ):
        read_ledger(data, "stock", max_bytes=1000)
