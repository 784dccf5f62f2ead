"""Ledger readers on CSV files: the golden Cainiao ledger, headers, values, encodings (SPEC §6)."""

import io
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from inventory.ledgers import (
    SCHEMAS,
    LedgerFileError,
    RowError,
    StockRow,
    header_key,
    iter_ledger_rows,
    open_ledger,
    read_ledger,
    validate_ledger,
)

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parents[3] / "shared" / "golden"
GOLDEN_FILES = {
    "utf-8": GOLDEN / "cainiao_overseas_2016-06_utf8.csv",
    "utf-8-sig": GOLDEN / "cainiao_overseas_2016-06_utf8bom.csv",
    "gb18030": GOLDEN / "cainiao_overseas_2016-06_gbk.csv",
}
STOCK_HEADER = (
    "business_date,warehouse,seller,item_id,length_mm,height_mm,width_mm,"
    "units_per_carton,volume_mm3,total_volume_m3,sales_qty,stock_qty"
)
GOOD_STOCK_LINE = "20160601,HK1,seller-1,SKU-1,434,150,220,1,14322000,1.1726,0,82"


def stock_csv(*lines: str, header: str = STOCK_HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


def errors_of(data: bytes, kind: str = "stock") -> list[str]:
    return [str(e) for e in validate_ledger(data, kind).errors]


# --- the golden ledger ------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", GOLDEN_FILES)
def test_golden_cainiao_ledger_reads_in_each_encoding_as_it_is(encoding):
    report = validate_ledger(GOLDEN_FILES[encoding], "stock")
    rows = read_ledger(GOLDEN_FILES[encoding], "stock")

    assert (report.ok, report.file_format, report.encoding, report.row_count) == (True, "csv", encoding, 30)
    assert [r.business_date for r in rows] == [date(2016, 6, 1) + timedelta(days=i) for i in range(30)]
    assert {(r.warehouse, r.seller, r.item_id) for r in rows} == {
        ("心怡香港海外备货仓", "123旗舰店", "50000001")
    }
    assert {(r.stock_qty, r.sales_qty, r.total_volume_m3, r.daily_volume_m3) for r in rows} == {
        (82, 0, Decimal("1.1726"), Decimal("1.1726"))
    }
    assert sum(r.daily_volume_m3 for r in rows) == Decimal("35.178")
    assert [r.row_number for r in rows] == list(range(2, 32))


def test_golden_ledger_gives_identical_rows_in_all_three_encodings():
    utf8, bom, gbk = (read_ledger(path, "stock") for path in GOLDEN_FILES.values())

    assert utf8 == bom == gbk


def test_golden_row_has_exact_decimal_fields_and_no_volume_flag():
    row = read_ledger(GOLDEN_FILES["gb18030"], "stock")[0]

    assert row == StockRow(
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
    assert type(row.total_volume_m3) is Decimal and type(row.stock_qty) is int
    assert row.computed_volume_m3 == Decimal("1.174404")
    assert row.volume_mismatch is False


# --- headers ----------------------------------------------------------------------------------------


def test_english_headers_match_in_any_case_order_and_spacing_and_extra_columns_are_ignored():
    header = " Stock_Qty ,NOTE,SELLER,Business Date,warehouse,ITEM_ID,Length_MM,height-mm,width_mm,Sales_Qty"
    data = stock_csv("82,hello,s1,2016-06-01,HK1,A-1,434,150,220,0", header=header)

    (row,) = read_ledger(data, "stock")

    assert row == StockRow(
        date(2016, 6, 1),
        "HK1",
        "s1",
        "A-1",
        Decimal(434),
        Decimal(150),
        Decimal(220),
        1,
        None,
        None,
        0,
        82,
        None,
        2,
    )


def test_chinese_headers_match_with_ascii_brackets_and_a_stray_bom():
    header = (
        "\ufeff业务日期(day),仓库名称,卖家NICK,后端货品id,长,高,宽,箱规,sku总体积(立方),"
        + "销售出库件数,总库存件数"
    )
    (row,) = read_ledger(stock_csv("20160601,HK1,s1,A-1,100,100,100,2,0.5,1,10", header=header), "stock")

    assert (row.units_per_carton, row.total_volume_m3, row.stock_qty) == (2, Decimal("0.5"), 10)


def test_missing_required_columns_are_a_file_error_naming_each_column():
    data = stock_csv("20160601,HK1,s1,A-1,1,1,1", header="business_date,warehouse,seller,item_id,长,高,宽")

    with pytest.raises(LedgerFileError) as caught:
        open_ledger(data, "stock")

    assert str(caught.value) == "missing required columns: sales_qty (销售出库件数), stock_qty (总库存件数)"
    assert caught.value.errors == [
        RowError(1, "sales_qty", "required column is missing"),
        RowError(1, "stock_qty", "required column is missing"),
    ]


def test_a_column_given_twice_in_english_and_chinese_is_a_file_error():
    data = stock_csv(GOOD_STOCK_LINE + ",82", header=STOCK_HEADER + ",总库存件数")

    with pytest.raises(LedgerFileError, match='the columns "stock_qty" and "总库存件数" both give stock_qty'):
        read_ledger(data, "stock")


def test_semicolon_separated_file_gets_a_hint_about_commas():
    data = STOCK_HEADER.replace(",", ";").encode() + b"\n" + GOOD_STOCK_LINE.replace(",", ";").encode()

    with pytest.raises(LedgerFileError, match="the file must be separated by commas"):
        read_ledger(data, "stock")


def test_header_keys_are_unique_within_every_schema():
    for schema in SCHEMAS.values():
        keys = [header_key(n) for c in schema.columns for n in (c.name, *c.aliases)]
        assert len(keys) == len(set(keys)), schema.kind


# --- values -----------------------------------------------------------------------------------------


def test_optional_columns_take_their_defaults_and_volume_comes_from_dimensions():
    header = "business_date,warehouse,seller,item_id,length_mm,height_mm,width_mm,sales_qty,stock_qty"
    (row,) = read_ledger(stock_csv("2016-06-01,HK1,s1,A-1,400,300,250,1,6", header=header), "stock")

    assert (row.units_per_carton, row.volume_mm3, row.total_volume_m3) == (1, None, None)
    assert row.daily_volume_m3 == Decimal("0.18")  # 400 × 250 × 300 / 1 / 10^9 × 6
    assert row.volume_mismatch is False


def test_blank_optional_cells_take_defaults_and_units_per_carton_divides_the_volume():
    (row,) = read_ledger(stock_csv("20160601,HK1,s1,A-1,400,300,250,,,,0,6"), "stock")
    (per_carton,) = read_ledger(stock_csv("20160601,HK1,s1,A-1,400,300,250,4,,,0,6"), "stock")

    assert (row.units_per_carton, row.volume_mm3, row.total_volume_m3) == (1, None, None)
    assert per_carton.daily_volume_m3 == Decimal("0.045")


@pytest.mark.parametrize(
    ("reported", "flagged"),
    [("0.18", False), ("0.1818", False), ("0.1782", False), ("0.1819", True), ("0.1781", True), ("0", True)],
)
def test_volume_mismatch_flags_a_reported_volume_more_than_one_percent_off(reported, flagged):
    (row,) = read_ledger(stock_csv(f"20160601,HK1,s1,A-1,400,300,250,1,,{reported},0,6"), "stock")

    assert row.volume_mismatch is flagged
    assert row.daily_volume_m3 == Decimal(reported)


def test_plain_decimals_and_whole_numbers_written_with_decimals_are_accepted():
    (row,) = read_ledger(stock_csv("20160601, HK1 ,s1,A-1,+434.50,.5,7.,2.0,0,0.00010,0,82.000"), "stock")

    assert (row.warehouse, row.length_mm, row.height_mm) == ("HK1", Decimal("434.50"), Decimal("0.5"))
    assert row.width_mm == Decimal(7)
    assert (row.units_per_carton, row.total_volume_m3, row.stock_qty) == (2, Decimal("0.00010"), 82)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "2016/06/01,HK1,s1,A,1,1,1,1,,,0,1",
            'row 2, business_date: must be a date written YYYYMMDD or YYYY-MM-DD (got "2016/06/01")',
        ),
        (
            "20160231,HK1,s1,A,1,1,1,1,,,0,1",
            'row 2, business_date: is not a real calendar date (got "20160231")',
        ),
        (
            "2016-0601,HK1,s1,A,1,1,1,1,,,0,1",
            'row 2, business_date: must be a date written YYYYMMDD or YYYY-MM-DD (got "2016-0601")',
        ),
        ("20160601,HK1,s1,A,abc,1,1,1,,,0,1", 'row 2, length_mm: must be a number (got "abc")'),
        ("20160601,HK1,s1,A,1e3,1,1,1,,,0,1", 'row 2, length_mm: must be a number (got "1e3")'),
        ("20160601,HK1,s1,A,NaN,1,1,1,,,0,1", 'row 2, length_mm: must be a number (got "NaN")'),
        ("20160601,HK1,s1,A,1.2.3,1,1,1,,,0,1", 'row 2, length_mm: must be a number (got "1.2.3")'),
        ("20160601,HK1,s1,A,0,1,1,1,,,0,1", 'row 2, length_mm: must be greater than 0 (got "0")'),
        ("20160601,HK1,s1,A,1,1,1,0,,,0,1", 'row 2, units_per_carton: must be at least 1 (got "0")'),
        ("20160601,HK1,s1,A,1,1,1,1.5,,,0,1", 'row 2, units_per_carton: must be a whole number (got "1.5")'),
        ("20160601,HK1,s1,A,1,1,1,1,,-0.1,0,1", 'row 2, total_volume_m3: must be 0 or more (got "-0.1")'),
        ("20160601,HK1,s1,A,1,1,1,1,,,-1,1", 'row 2, sales_qty: must be 0 or more (got "-1")'),
        ("20160601,HK1,s1,A,1,1,1,1,,,0,", "row 2, stock_qty: is required (the cell is empty)"),
        ("20160601,HK1, ,A,1,1,1,1,,,0,1", "row 2, seller: is required (the cell is empty)"),
        ("20160601,HK1,s1,A,1,1,1,1,,,0,８２", 'row 2, stock_qty: must be a number (got "８２")'),
    ],
)
def test_a_bad_cell_is_reported_with_row_column_and_reason(line, message):
    assert errors_of(stock_csv(line)) == [message]


def test_thousands_separators_are_refused_with_a_reason():
    data = stock_csv('20160601,HK1,s1,A,"1,434",1,1,1,,,0,1')

    assert errors_of(data) == [
        "row 2, length_mm: must be a plain number, without thousands separators or decimal commas "
        '(got "1,434")'
    ]


def test_every_bad_cell_of_a_row_is_reported_in_column_order():
    data = stock_csv(GOOD_STOCK_LINE, "2016-13-01,HK1,,A,-5,1,1,1,,,x,-1")

    assert errors_of(data) == [
        'row 3, business_date: is not a real calendar date (got "2016-13-01")',
        "row 3, seller: is required (the cell is empty)",
        'row 3, length_mm: must be greater than 0 (got "-5")',
        'row 3, sales_qty: must be a number (got "x")',
        'row 3, stock_qty: must be 0 or more (got "-1")',
    ]


def test_short_rows_leave_missing_cells_empty():
    assert errors_of(stock_csv("20160601,HK1,s1,A,1,1,1")) == [
        "row 2, sales_qty: is required (the cell is empty)",
        "row 2, stock_qty: is required (the cell is empty)",
    ]


def test_row_numbers_count_records_as_a_spreadsheet_shows_them():
    data = stock_csv(
        GOOD_STOCK_LINE,
        "",
        '20160602,"HK1\nsecond line",s1,A,1,1,1,1,,,0,1',
        ",,,,",
        "20160603,HK1,s1,A,1,1,1,1,,,0,-1",
    )

    results = list(iter_ledger_rows(data, "stock"))

    assert [n for n, _ in results] == [2, 4, 6]
    assert results[1][1].warehouse == "HK1\nsecond line"
    assert results[2][1] == [RowError(6, "stock_qty", 'must be 0 or more (got "-1")')]


def test_quoted_cells_with_commas_and_quotes_are_read_like_excel_writes_them():
    data = stock_csv('20160601,"HK, ""main""",s1,"A-1",1,1,1,1,,,0,1')

    (row,) = read_ledger(data, "stock")

    assert (row.warehouse, row.item_id) == ('HK, "main"', "A-1")


def test_crlf_line_endings_are_read():
    data = stock_csv(GOOD_STOCK_LINE, GOOD_STOCK_LINE).replace(b"\n", b"\r\n")

    assert [r.row_number for r in read_ledger(data, "stock")] == [2, 3]


# --- API --------------------------------------------------------------------------------------------


def test_iter_ledger_rows_yields_rows_and_error_lists_lazily():
    data = stock_csv(GOOD_STOCK_LINE, "20160601,HK1,s1,A,1,1,1,1,,,0,-3", GOOD_STOCK_LINE)

    rows = iter_ledger_rows(data, "stock")
    first = next(rows)

    assert first[0] == 2 and isinstance(first[1], StockRow)
    assert next(rows) == (3, [RowError(3, "stock_qty", 'must be 0 or more (got "-3")')])
    assert next(rows)[0] == 4
    assert next(rows, None) is None


def test_open_ledger_tells_format_encoding_header_row_and_columns():
    data = b"\n\n" + stock_csv(
        GOOD_STOCK_LINE,
        header="stock_qty,business_date,warehouse,seller,item_id,length_mm,height_mm,width_mm,sales_qty,junk",
    )

    with open_ledger(data, "stock") as stream:
        assert (stream.file_format, stream.encoding, stream.header_row) == ("csv", "utf-8", 3)
        assert stream.columns == {
            "stock_qty": 0,
            "business_date": 1,
            "warehouse": 2,
            "seller": 3,
            "item_id": 4,
            "length_mm": 5,
            "height_mm": 6,
            "width_mm": 7,
            "sales_qty": 8,
        }


def test_read_ledger_is_all_or_nothing_with_every_error():
    data = stock_csv(GOOD_STOCK_LINE, "20160601,HK1,s1,A,1,1,1,1,,,-1,-1", GOOD_STOCK_LINE, "bad")

    with pytest.raises(LedgerFileError) as caught:
        read_ledger(data, "stock")

    assert [str(e) for e in caught.value.errors] == [
        'row 3, sales_qty: must be 0 or more (got "-1")',
        'row 3, stock_qty: must be 0 or more (got "-1")',
        'row 5, business_date: must be a date written YYYYMMDD or YYYY-MM-DD (got "bad")',
        "row 5, warehouse: is required (the cell is empty)",
        "row 5, seller: is required (the cell is empty)",
        "row 5, item_id: is required (the cell is empty)",
        "row 5, length_mm: is required (the cell is empty)",
        "row 5, height_mm: is required (the cell is empty)",
        "row 5, width_mm: is required (the cell is empty)",
        "row 5, sales_qty: is required (the cell is empty)",
        "row 5, stock_qty: is required (the cell is empty)",
    ]
    assert str(caught.value).startswith("2 bad rows, nothing was read; first: row 3, sales_qty:")


def test_validate_ledger_caps_the_error_list_but_counts_them_all():
    data = stock_csv(*(f"20160601,HK1,s1,A,1,1,1,1,,,0,-{i}" for i in range(1, 8)), GOOD_STOCK_LINE)

    report = validate_ledger(data, "stock", max_errors=3)

    assert (report.row_count, report.bad_row_count, report.error_count) == (8, 7, 7)
    assert [e.row for e in report.errors] == [2, 3, 4]
    assert report.errors_truncated and not report.ok


def test_validate_ledger_reports_a_file_error_instead_of_raising():
    report = validate_ledger(b"", "stock")

    assert (report.ok, report.file_error, report.row_count) == (False, "the file is empty", 0)
    assert report.errors == [RowError(None, None, "the file is empty")]


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown ledger kind 'stocks'"):
        read_ledger(stock_csv(GOOD_STOCK_LINE), "stocks")


def test_readers_accept_a_path_a_binary_file_object_and_bytes(tmp_path):
    path = tmp_path / "ledger.txt"
    path.write_bytes(stock_csv(GOOD_STOCK_LINE))

    with path.open("rb") as handle:
        from_handle = read_ledger(handle, "stock")
        assert not handle.closed

    assert read_ledger(path, "stock") == read_ledger(str(path), "stock") == from_handle
    assert from_handle == read_ledger(path.read_bytes(), "stock")


def test_a_text_mode_file_object_is_refused():
    with pytest.raises(TypeError, match="binary mode"):
        read_ledger(io.StringIO(STOCK_HEADER), "stock")


# --- file-level problems ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\r\n,,,\n", "the file has no header row and no data (it is empty)"),
        (STOCK_HEADER.encode(), "the file has a header (row 1) but no data rows"),
        (STOCK_HEADER.encode() + b"\n\n,,,,\n", "the file has a header (row 1) but no data rows"),
    ],
)
def test_empty_files_and_header_only_files_are_file_errors(data, message):
    with pytest.raises(LedgerFileError) as caught:
        read_ledger(data, "stock")

    assert str(caught.value) == message


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(stock_csv(GOOD_STOCK_LINE))
    size = path.stat().st_size

    with pytest.raises(LedgerFileError) as caught:
        open_ledger(path, "stock", max_bytes=100)

    assert str(caught.value) == f"the file is {size} bytes, more than the limit of 100 bytes"
    assert len(read_ledger(path, "stock", max_bytes=size)) == 1


def test_a_non_seekable_stream_over_the_size_limit_is_refused():
    class Pipe(io.RawIOBase):
        def __init__(self, data):
            self._data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buffer):
            return self._data.readinto(buffer)

    data = stock_csv(GOOD_STOCK_LINE)

    with pytest.raises(LedgerFileError, match="more than the limit of 50 bytes"):
        read_ledger(Pipe(data), "stock", max_bytes=50)
    assert len(read_ledger(Pipe(data), "stock")) == 1


def test_an_upload_wrapper_that_is_not_an_io_stream_is_copied_and_its_declared_size_checked_first():
    class Upload:  # shaped like a web framework's uploaded file: read/seek and a declared size
        def __init__(self, data):
            self._data, self.size, self.reads = io.BytesIO(data), len(data), 0

        def read(self, size=-1):
            self.reads += 1
            return self._data.read(size)

        def seek(self, offset, whence=0):
            return self._data.seek(offset, whence)

    data = stock_csv(GOOD_STOCK_LINE)
    too_big = Upload(data)

    with pytest.raises(
        LedgerFileError, match=f"the file is {len(data)} bytes, more than the limit of 50 bytes"
    ):
        read_ledger(too_big, "stock", max_bytes=50)
    assert too_big.reads == 0
    assert [r.stock_qty for r in read_ledger(Upload(data), "stock")] == [82]


def test_random_bytes_are_an_unreadable_encoding():
    noise = bytes(range(0x80, 0x100)) * 8

    with pytest.raises(
        LedgerFileError, match="unreadable encoding: the file is neither UTF-8 nor GBK/GB18030"
    ):
        read_ledger(noise, "stock")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-32"])
def test_utf16_and_utf32_text_is_refused_with_a_clear_reason(codec):
    data = stock_csv(GOOD_STOCK_LINE).decode().encode(codec)

    with pytest.raises(LedgerFileError, match="UTF-16|NUL bytes"):
        read_ledger(data, "stock")


def test_a_gbk_file_whose_first_megabytes_are_ascii_is_still_read_as_gbk():
    ascii_rows = [f"20160601,HK1,seller-{i},A-{i},1,1,1,1,,,0,1" for i in range(50_000)]
    data = stock_csv(*ascii_rows, "20160601,心怡香港海外备货仓,123旗舰店,A,1,1,1,1,,,0,1")
    gbk = data.decode().encode("gbk")
    assert len(gbk) > 2 * 1024 * 1024

    with open_ledger(gbk, "stock") as stream:
        last = list(stream)[-1]
        assert stream.encoding == "gb18030"

    assert last[1].warehouse == "心怡香港海外备货仓"


def test_a_utf8_file_with_gbk_bytes_late_is_refused_before_any_row():
    utf8_rows = [f"20160601,心怡香港海外备货仓,卖家{i},A,1,1,1,1,,,0,1" for i in range(30_000)]
    data = stock_csv(*utf8_rows) + "20160601,香港仓,s1,A,1,1,1,1,,,0,1\n".encode("gbk")

    with pytest.raises(LedgerFileError, match=r"mixes text encodings: it is UTF-8 up to line 30002"):
        iter_ledger_rows(data, "stock")


def test_the_package_needs_no_django_orm_or_settings():
    """The readers use ``portal.uploads`` (the caps of every untrusted file, issue 10), whose package
    imports Django's settings module lazily; they never need the ORM or configured settings."""
    code = (
        "import os, sys; os.environ.pop('DJANGO_SETTINGS_MODULE', None); import inventory.ledgers as l; "
        "rows = l.read_ledger(b'business_date,warehouse,seller,item_id,length_mm,height_mm,width_mm,"
        "units_per_carton,volume_mm3,total_volume_m3,sales_qty,stock_qty\\n20160601,W,S,A,1,1,1,1,,,0,1\\n', "
        "'stock'); "
        "from django.conf import settings; "
        "sys.exit(len(rows) != 1 or 'django.db' in sys.modules or settings.configured)"
    )

    assert subprocess.run([sys.executable, "-c", code], cwd=REPO).returncode == 0
