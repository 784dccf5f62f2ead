"""Large ledgers: all or nothing over 100,000 rows, and flat memory over 1,000,000 (SPEC §6)."""

import tracemalloc
from datetime import date
from decimal import Decimal

import pytest

from inventory.ledgers import (
    LedgerFileError,
    RowError,
    StockRow,
    iter_ledger_rows,
    read_ledger,
    validate_ledger,
)

ITEMS = 7919
HEADER = (
    "business_date,warehouse,seller,item_id,length_mm,height_mm,width_mm,"
    "units_per_carton,volume_mm3,total_volume_m3,sales_qty,stock_qty\n"
)


def write_stock_ledger(path, rows: int, *, last_line: str | None = None) -> tuple[int, Decimal]:
    """A month of a seller's stock, item after item; returns (Σ stock_qty, Σ total_volume_m3)."""
    stock_total = mm3_total = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for i in range(rows - (last_line is not None)):
            day, item = divmod(i, ITEMS)
            length, height, width = 100 + item % 700, 50 + item % 300, 80 + item % 500
            stock = (item * 7 + day) % 400
            mm3 = length * height * width * stock
            volume = f"{mm3 // 10**9}.{mm3 % 10**9:09d}"
            out.write(f"2016-06-{day % 30 + 1:02d},心怡香港海外备货仓,123旗舰店,{9_000_000 + item},")
            out.write(f"{length},{height},{width},1,{length * height * width},{volume},{item % 5},{stock}\n")
            stock_total += stock
            mm3_total += mm3
        if last_line is not None:
            out.write(last_line + "\n")
    return stock_total, Decimal(mm3_total) / 10**9


def test_a_100000_row_ledger_is_read_whole_with_exact_totals(tmp_path):
    path = tmp_path / "stock.csv"
    stock_total, volume_total = write_stock_ledger(path, 100_000)

    rows = read_ledger(path, "stock")

    assert len(rows) == 100_000
    assert (rows[0].row_number, rows[-1].row_number) == (2, 100_001)
    assert sum(r.stock_qty for r in rows) == stock_total
    assert sum(r.daily_volume_m3 for r in rows) == volume_total
    assert not any(r.volume_mismatch for r in rows)
    day, item = divmod(99_999, ITEMS)
    stock, mm3 = (item * 7 + day) % 400, (100 + item % 700) * (50 + item % 300) * (80 + item % 500)
    assert rows[-1] == StockRow(
        date(2016, 6, day % 30 + 1),
        "心怡香港海外备货仓",
        "123旗舰店",
        str(9_000_000 + item),
        Decimal(100 + item % 700),
        Decimal(50 + item % 300),
        Decimal(80 + item % 500),
        1,
        Decimal(mm3),
        Decimal(mm3 * stock) / 10**9,
        item % 5,
        stock,
        None,
        100_001,
    )


def test_one_bad_last_row_in_100000_makes_read_ledger_refuse_the_whole_file(tmp_path):
    path = tmp_path / "stock.csv"
    write_stock_ledger(
        path, 100_000, last_line="2016-06-30,心怡香港海外备货仓,123旗舰店,9000001,1,1,1,1,1,,0,-1"
    )

    with pytest.raises(LedgerFileError) as caught:
        read_ledger(path, "stock")

    assert caught.value.errors == [RowError(100_001, "stock_qty", 'must be 0 or more (got "-1")')]
    assert str(caught.value) == (
        '1 bad row, nothing was read; first: row 100001, stock_qty: must be 0 or more (got "-1")'
    )
    report = validate_ledger(path, "stock")
    assert (report.row_count, report.bad_row_count, report.error_count) == (100_000, 1, 1)


def test_a_bad_value_after_the_same_good_value_was_cached_is_still_caught(tmp_path):
    path = tmp_path / "stock.csv"
    write_stock_ledger(
        path, 10_000, last_line="2016-06-31,心怡香港海外备货仓,123旗舰店,9000001,100,50,80,1,,,0,0"
    )

    assert [str(e) for e in validate_ledger(path, "stock").errors] == [
        'row 10001, business_date: is not a real calendar date (got "2016-06-31")'
    ]


@pytest.mark.slow
def test_streaming_a_million_rows_keeps_memory_flat(tmp_path):
    path = tmp_path / "stock.csv"
    stock_total, _ = write_stock_ledger(path, 1_000_000)

    tracemalloc.start()
    try:
        count = stock = 0
        for _, row in iter_ledger_rows(path, "stock"):
            count += 1
            stock += row.stock_qty
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (count, stock) == (1_000_000, stock_total)
    assert peak < 50 * 1024 * 1024, f"peak traced memory {peak / 1024 / 1024:.1f} MB"
