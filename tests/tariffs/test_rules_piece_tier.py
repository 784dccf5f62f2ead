"""piece_tier: count and inspect per unit by the receiving line's units; accessories cheaper (spec 7.7)."""

from decimal import Decimal

import pytest

from tariffs.preset_data import get_preset
from tariffs.rules import ReceivingService, RuleContext, RuleError, bill_piece_tier


def params_of(service, currency="VND", code="vn-general"):
    card = get_preset(code, currency)
    return next(
        rule.params for rule in card.rules if rule.kind == "piece_tier" and rule.params["service"] == service
    )


def bill(service, rows, currency="VND"):
    return bill_piece_tier(rows, params_of(service, currency), RuleContext(service, currency))


def row(service, units, value="25", ref=None):
    return ReceivingService(service=service, units=units, unit_value_cny=Decimal(value), ref=ref)


@pytest.mark.parametrize(
    ("units", "price"),
    [
        (1, 2800),
        (2, 2800),
        (3, 2000),
        (10, 2000),
        (11, 1200),
        (100, 1200),
        (101, 800),
        (500, 800),
        (501, 600),
    ],
)
def test_count_tier_edges(units, price):
    [line] = bill("count", [row("count", units)])
    assert line.unit_price == Decimal(price)
    assert line.amount == Decimal(units * price)


@pytest.mark.parametrize(
    ("units", "price"),
    [(2, 2000), (3, 1500), (11, 1000), (101, 1000), (501, 700)],
)
def test_inspection_accessory_tiers(units, price):
    [line] = bill("inspect", [row("inspect", units, value="9.99")])
    assert line.amount == Decimal(units * price)


def test_accessory_means_under_ten_yuan():
    assert bill("count", [row("count", 50, value="9.99")])[0].unit_price == Decimal(400)
    assert bill("count", [row("count", 50, value="10")])[0].unit_price == Decimal(1200)


def test_tier_is_per_receiving_line_not_per_month():
    lines = bill("count", [row("count", 2, ref=1), row("count", 2, ref=2)])
    assert [(line.quantity, line.amount, line.source_refs) for line in lines] == [
        (Decimal(4), Decimal(11200), (1, 2))
    ]


def test_lines_of_different_prices_stay_apart():
    lines = bill("count", [row("count", 50), row("count", 50, value="5"), row("count", 600)])
    assert sorted(line.amount for line in lines) == sorted([Decimal(60000), Decimal(20000), Decimal(360000)])


def test_cny_prices():
    assert bill("inspect", [row("inspect", 1)], "CNY")[0].amount == Decimal("2.13")
    assert bill("count", [row("count", 501, value="1")], "CNY")[0].amount == Decimal("45.09")  # 501 × 0.09


def test_bad_rows_are_refused():
    with pytest.raises(RuleError, match="units"):
        bill("count", [row("count", 0)])
    with pytest.raises(RuleError, match="unit_value_cny"):
        bill("count", [ReceivingService(service="count", units=3)])
    with pytest.raises(RuleError, match="'inspect'"):
        bill("count", [row("inspect", 3)])
