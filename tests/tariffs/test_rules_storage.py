"""Storage by CBM-day (spec 7.2), past the free turnover (spec 7.3), and per average CBM-month."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tariffs.rules import (
    Period,
    RuleContext,
    RuleError,
    StockDay,
    bill_storage_daily_volume,
    bill_storage_monthly_volume,
    bill_storage_turnover,
    daily_volume_m3,
)

OVERSEAS = {"price_per_cbm_day": "9.80", "free_days": "60"}
JUNE_2016 = Period(2016, 6)


def ctx(period=JUNE_2016, currency="CNY"):
    return RuleContext(charge_code="storage", currency=currency, period=period)


def month_of(period, *, stock, sales, volume, item="SKU-1", days=None):
    return [
        StockDay(
            business_date=period.first_day + timedelta(days=offset),
            item_id=item,
            stock_qty=stock,
            sales_qty=sales,
            volume_m3=Decimal(volume),
        )
        for offset in range(period.days if days is None else days)
    ]


def test_seed_worked_ledger_bills_thirty_days():
    days = month_of(JUNE_2016, stock=82, sales=0, volume="1.1726")
    [line] = bill_storage_turnover(days, OVERSEAS, ctx())
    assert line.amount == Decimal("344.74")
    assert line.inputs["billable_days"] == Decimal(30)
    assert line.inputs["turnover_days"] == Decimal("Infinity")
    assert line.formula.endswith("30 × 9.8 × 1.1726 = 344.74")
    assert line.section == "storage"


def test_daily_volume_fee_is_price_times_cbm_days():
    days = month_of(JUNE_2016, stock=82, sales=0, volume="1.1726")
    [line] = bill_storage_daily_volume(days, {"price_per_cbm_day": "3.00"}, ctx())
    assert line.quantity == Decimal("35.1780")
    assert line.amount == Decimal("105.53")
    assert line.formula == "3 × 35.178 = 105.53"


def test_turnover_of_seventy_days_bills_ten_days():
    days = month_of(JUNE_2016, stock=70, sales=1, volume="1")
    [line] = bill_storage_turnover(days, OVERSEAS, ctx())
    assert line.inputs["turnover_days"] == Decimal(70)
    assert line.inputs["billable_days"] == Decimal(10)
    assert line.amount == Decimal("98.00")


def test_billable_days_are_not_rounded():
    days = month_of(JUNE_2016, stock=151, sales=2, volume="1")
    [line] = bill_storage_turnover(days, OVERSEAS, ctx())
    assert line.inputs["billable_days"] == Decimal("15.5")
    assert line.amount == Decimal("151.90")


def test_turnover_within_the_free_days_bills_nothing():
    days = month_of(JUNE_2016, stock=60, sales=1, volume="5")
    [line] = bill_storage_turnover(days, OVERSEAS, ctx())
    assert line.inputs["billable_days"] == Decimal(0)
    assert line.amount == Decimal("0.00")


@pytest.mark.parametrize(
    ("period", "days_in_month", "expected"),
    [
        (Period(2023, 2), 28, "274.40"),
        (Period(2024, 2), 29, "284.20"),
        (Period(2024, 4), 30, "294.00"),
        (Period(2024, 1), 31, "303.80"),
        (Period(2023, 12), 31, "303.80"),
    ],
)
def test_no_sales_bills_every_day_of_the_month(period, days_in_month, expected):
    assert period.days == days_in_month
    [line] = bill_storage_turnover(month_of(period, stock=5, sales=0, volume="1"), OVERSEAS, ctx(period))
    assert line.inputs["billable_days"] == Decimal(days_in_month)
    assert line.amount == Decimal(expected)


def test_average_volume_divides_by_the_days_of_the_month_not_the_rows():
    days = month_of(JUNE_2016, stock=10, sales=0, volume="1", days=10)
    [line] = bill_storage_turnover(days, OVERSEAS, ctx())
    assert line.inputs["avg_volume_m3"] == Decimal(10) / 30
    assert line.amount == Decimal("98.00")  # 30 × 9.8 × 10/30


def test_whole_seller_turnover_versus_per_item():
    fast = month_of(JUNE_2016, stock=100, sales=10, volume="1", item="A")
    slow = month_of(JUNE_2016, stock=50, sales=0, volume="2", item="B")
    [whole] = bill_storage_turnover(fast + slow, OVERSEAS, ctx())
    assert whole.inputs["turnover_days"] == Decimal(15)
    assert whole.amount == Decimal("0.00")
    per_item = bill_storage_turnover(fast + slow, {**OVERSEAS, "per_item": True}, ctx())
    assert [(line.inputs["item_id"], line.amount) for line in per_item] == [
        ("A", Decimal("0.00")),
        ("B", Decimal("588.00")),
    ]


def test_monthly_volume_price_uses_the_average_volume():
    days = month_of(JUNE_2016, stock=10, sales=3, volume="1.5")
    [line] = bill_storage_monthly_volume(days, {"price_per_cbm_month": "5000"}, ctx(currency="JPY"))
    assert line.quantity == Decimal("1.5")
    assert line.amount == Decimal(7500)
    assert line.unit == "cbm_month"


def test_no_stock_rows_no_line():
    assert bill_storage_turnover([], OVERSEAS, ctx()) == []
    assert bill_storage_daily_volume([], {"price_per_cbm_day": "3"}, ctx()) == []


def test_rows_outside_the_period_or_duplicated_are_refused():
    july = StockDay(date(2016, 7, 1), "A", 1, 0, Decimal(1))
    with pytest.raises(RuleError, match="outside the period 2016-06"):
        bill_storage_turnover([july], OVERSEAS, ctx())
    june = StockDay(date(2016, 6, 1), "A", 1, 0, Decimal(1))
    with pytest.raises(RuleError, match="same item and day"):
        bill_storage_daily_volume([june, june], {"price_per_cbm_day": "3"}, ctx())


def test_storage_needs_the_period():
    with pytest.raises(RuleError, match="period"):
        bill_storage_turnover([], OVERSEAS, RuleContext(charge_code="storage", currency="CNY"))


def test_daily_volume_from_dimensions_or_the_reported_total():
    by_dimensions = daily_volume_m3(
        length_mm=Decimal(434), width_mm=Decimal(220), height_mm=Decimal(150), stock_qty=82
    )
    assert by_dimensions == Decimal("1.174404")
    assert daily_volume_m3(
        length_mm=Decimal(434),
        width_mm=Decimal(220),
        height_mm=Decimal(150),
        stock_qty=82,
        total_volume_m3=Decimal("1.1726"),
    ) == Decimal("1.1726")
    per_two = daily_volume_m3(
        length_mm=Decimal(1000),
        width_mm=Decimal(1000),
        height_mm=Decimal(1000),
        stock_qty=3,
        units_per_carton=2,
    )
    assert per_two == Decimal("1.5")


def test_period_parse_and_days():
    assert Period.parse("2016-06").days == 30
    assert Period.parse("2024-02").last_day == date(2024, 2, 29)
    assert date(2024, 3, 1) not in Period(2024, 2)
    with pytest.raises(RuleError):
        Period.parse("2016/06")
