"""tiered_per_kg: fixed per package + kg at the tier of the month's total, by customer class (spec 7.6)."""

from decimal import Decimal

import pytest

from tariffs.preset_data import get_preset
from tariffs.rules import (
    InboundWeight,
    RuleContext,
    RuleError,
    bill_tiered_per_kg,
    tier_index,
    validate_params,
)


def params_of(code, currency):
    return next(rule for rule in get_preset(code, currency).rules if rule.kind == "tiered_per_kg").params


def bill(code, currency, rows, customer_class="regular", **options):
    params = {**params_of(code, currency), **options.pop("params", {})}
    ctx = RuleContext("warehouse_service", currency, customer_class=customer_class)
    return bill_tiered_per_kg(rows, params, ctx, **options)


def row(kg, packages=0, line="ecommerce", ref=None):
    return InboundWeight(line=line, packages=packages, weight_kg=Decimal(kg), ref=ref)


@pytest.mark.parametrize(
    ("kg", "expected"),
    [
        ("5000", "12750000"),  # 5,000 × 2,550: first tier, bound included
        ("5000.05", "11750118"),  # anything above 5,000 is the second tier: 5,000.05 × 2,350
        ("5000.1", "11750235"),  # 5,000.1 × 2,350
        ("20000", "47000000"),  # 20,000 × 2,350
        ("20000.1", "43000215"),  # 20,000.1 × 2,150
    ],
)
def test_partner_tier_edges_all_units(kg, expected):
    [line] = bill("vn-ecommerce", "VND", [row(kg)], "partner")
    assert line.amount == Decimal(expected)


def test_regular_price_is_flat_across_tiers():
    for kg in ("100", "6000", "25000"):
        [line] = bill("vn-ecommerce", "VND", [row(kg, packages=1)], "regular")
        assert line.amount == 850 + Decimal(kg) * 2750


def test_month_total_from_all_rows_picks_the_tier_for_all_kg():
    rows = [row("3000", 4, ref=1), row("2500", 6, ref=2)]
    [line] = bill("vn-ecommerce", "VND", rows, "partner")
    assert line.amount == Decimal(10 * 850 + 5500 * 2350)
    assert line.formula == "10 × 850 + 5500 × 2350 = 12933500"
    assert line.source_refs == (1, 2)
    assert line.inputs["month_total_kg"] == Decimal(5500)


def test_graduated_option_prices_each_tier_slice():
    [line] = bill("vn-ecommerce", "VND", [row("6000")], "partner", params={"mode": "graduated"})
    assert line.amount == Decimal(5000 * 2550 + 1000 * 2350)
    [line] = bill("vn-ecommerce", "VND", [row("25000")], "partner", params={"mode": "graduated"})
    assert line.amount == Decimal(5000 * 2550 + 15000 * 2350 + 5000 * 2150)


def test_month_total_given_for_a_quote_sets_the_tier():
    [line] = bill("vn-ecommerce", "VND", [row("100", 1)], "partner", month_total_kg=Decimal(6000))
    assert line.amount == Decimal(850 + 100 * 2350)


def test_general_line_fixed_fee_differs_by_class():
    rows = [row("10", 2, line="general")]
    assert bill("vn-general", "VND", rows, "regular")[0].amount == Decimal(2 * 800 + 10 * 2400)
    assert bill("vn-general", "VND", rows, "partner")[0].amount == Decimal(2 * 850 + 10 * 2200)


def test_cny_card():
    [line] = bill("vn-general", "CNY", [row("6000", 10, line="general")], "partner")
    assert line.amount == Decimal("3662.60")  # 10 × 0.26 + 6000 × 0.61
    [line] = bill("vn-lot", "CNY", [row("120.5", 3, line="lot")], "regular")
    assert line.amount == Decimal("18.86")  # 18.855 rounded once, half-up


def test_unknown_class_and_wrong_line_are_refused():
    with pytest.raises(RuleError, match="vip"):
        bill("vn-ecommerce", "VND", [row("1")], "vip")
    with pytest.raises(RuleError, match="'lot'"):
        bill("vn-ecommerce", "VND", [row("1", line="lot")])


def test_tier_index_bounds():
    tiers = validate_params("tiered_per_kg", params_of("vn-lot", "VND")).tiers
    assert [tier_index(Decimal(kg), tiers) for kg in ("0", "5000", "5000.0001", "20000", "20000.001")] == [
        0,
        0,
        1,
        1,
        2,
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tiers": [{"max_kg": "20000", "prices": {"regular": "1"}}]}, "tiers[0].prices"),
        (
            {
                "tiers": [
                    {"max_kg": "5000", "prices": {"regular": "1", "partner": "1"}},
                    {"max_kg": "4000", "prices": {"regular": "1", "partner": "1"}},
                ]
            },
            "tiers[1].max_kg",
        ),
        ({"fixed_per_package": {"gold": "1"}}, "fixed_per_package.gold"),
        ({"mode": "marginal"}, "mode"),
    ],
)
def test_bad_params_name_the_field(change, field):
    with pytest.raises(RuleError) as error:
        validate_params("tiered_per_kg", {**params_of("vn-lot", "VND"), **change})
    assert error.value.field == field
