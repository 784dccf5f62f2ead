"""per_unit: value-added services at a fixed price, or at cost; customs ones pass through (spec 7.4)."""

from decimal import Decimal

import pytest

from tariffs.preset_data import get_preset
from tariffs.rules import RuleContext, RuleError, ServiceUse, bill_per_unit

VAS = next(rule for rule in get_preset("cainiao-bonded").rules if rule.kind == "per_unit").params
CTX = RuleContext(charge_code="vas", currency="CNY")


def use(code, quantity, amount=None, ref=None):
    return ServiceUse(
        service_code=code,
        quantity=Decimal(quantity),
        amount=None if amount is None else Decimal(amount),
        ref=ref,
    )


@pytest.mark.parametrize(
    ("code", "unit", "expected"),
    [
        ("air_column_bag", "piece", "10.00"),
        ("card_insert", "piece", "5.00"),
        ("repack", "piece", "5.00"),
        ("kitting", "package", "20.00"),
        ("labeling", "piece", "5.00"),
        ("unplanned_receiving", "piece", "5.00"),
    ],
)
def test_fixed_price_services_of_the_bonded_card(code, unit, expected):
    [line] = bill_per_unit([use(code, 10)], VAS, CTX)
    assert line.amount == Decimal(expected)
    assert line.unit == unit
    assert line.section == "services"
    assert line.code == f"vas.{code}"


def test_rows_of_a_code_make_one_line_for_the_month():
    [line] = bill_per_unit([use("kitting", 3, ref=1), use("kitting", 4, ref=2)], VAS, CTX)
    assert line.quantity == Decimal(7)
    assert line.amount == Decimal("14.00")
    assert line.formula == "7 × 2 = 14.00"
    assert line.source_refs == (1, 2)


@pytest.mark.parametrize(
    ("code", "section"),
    [
        ("special_packaging", "services"),
        ("destruction", "services"),
        ("inspection_fee", "pass_through"),
        ("lab_test", "pass_through"),
        ("declaration_amendment", "pass_through"),
    ],
)
def test_at_cost_services_take_the_ledger_amount(code, section):
    [line] = bill_per_unit([use(code, 1, "120.5"), use(code, 2, "30.255")], VAS, CTX)
    assert line.amount == Decimal("150.76")  # 150.755 rounded once
    assert line.section == section
    assert line.unit_price is None


def test_unknown_service_code_is_refused_by_name():
    with pytest.raises(RuleError, match="'gift_wrap'") as error:
        bill_per_unit([use("kitting", 1), use("gift_wrap", 1)], VAS, CTX)
    assert error.value.field == "service_code"


def test_at_cost_row_without_amount_is_refused():
    with pytest.raises(RuleError, match="amount is required"):
        bill_per_unit([use("destruction", 1)], VAS, CTX)


def test_a_code_cannot_be_both_fixed_and_at_cost():
    params = {"prices": {"x": {"price": "1"}}, "at_cost": {"x": {"section": "services"}}}
    with pytest.raises(RuleError) as error:
        bill_per_unit([], params, CTX)
    assert error.value.field == "at_cost.x"


def test_japanese_sample_receiving_per_carton():
    rule = next(rule for rule in get_preset("linkstar-jp-sample").rules if rule.kind == "per_unit")
    [line] = bill_per_unit([use("receiving_carton", 12)], rule.params, RuleContext("receiving", "JPY"))
    assert line.amount == Decimal(3600)
    assert line.unit == "carton"
