"""cross_border_tax: comprehensive tax per order at full precision, rounded once, pass-through (spec 7.5)."""

from decimal import Decimal

import pytest

from tariffs.rules import (
    CustomsDeclaration,
    RuleContext,
    RuleError,
    bill_cross_border_tax,
    cross_border_tax,
    invoice_totals,
    round_money,
)

PARAMS = {"discount": "0.7", "tariff_factor": "0"}
CTX = RuleContext(charge_code="cross_border_tax", currency="CNY")


def declaration(order_no, value, tariff="0", consumption="0.3", vat="0.17"):
    return CustomsDeclaration(
        order_no=order_no,
        dutiable_value=Decimal(value),
        tariff_rate=Decimal(tariff),
        consumption_tax_rate=Decimal(consumption),
        vat_rate=Decimal(vat),
        ref=order_no,
    )


def test_seed_example_at_full_precision_not_truncated():
    tax = cross_border_tax(Decimal(100), Decimal(0), Decimal("0.3"), Decimal("0.17"))
    assert round_money(tax.consumption_tax, "CNY") == Decimal("42.86")
    assert round_money(tax.vat, "CNY") == Decimal("24.29")
    assert round_money(tax.payable, "CNY") == Decimal("47.00")
    assert tax.tariff == 0


def test_line_formula_shows_the_unrounded_components():
    [line] = bill_cross_border_tax([declaration("LBX1", "100")], PARAMS, CTX)
    assert line.formula == "(42.8571… + 24.2857…) × 0.7 = 47.00"
    assert line.section == "pass_through"
    assert line.source_refs == ("LBX1",)


def test_each_order_is_its_own_line_rounded_once():
    lines = bill_cross_border_tax([declaration("A", "100"), declaration("B", "33.33")], PARAMS, CTX)
    assert [line.inputs["order_no"] for line in lines] == ["A", "B"]
    # B: (14.2842… + 8.0944…) × 0.7 = 15.6651
    assert [line.amount for line in lines] == [Decimal("47.00"), Decimal("15.67")]


def test_tariff_counts_with_its_factor_above_the_limit():
    params = {"discount": "0.7", "tariff_factor": "1"}
    [line] = bill_cross_border_tax(
        [declaration("A", "100", tariff="0.1", consumption="0", vat="0.13")], params, CTX
    )
    assert line.amount == Decimal("20.01")  # 10 × 1 + (0 + 110 × 0.13) × 0.7
    assert line.formula.startswith("10 × 1 + ")


def test_customs_tax_never_carries_service_tax():
    [line] = bill_cross_border_tax([declaration("A", "100")], PARAMS, CTX)
    totals = invoice_totals([line], currency="CNY", service_tax_rate=Decimal("0.10"))
    assert totals.service_tax == Decimal("0.00")
    assert totals.total == Decimal("47.00")


def test_section_other_than_pass_through_is_refused():
    with pytest.raises(RuleError, match="pass_through"):
        bill_cross_border_tax([], PARAMS, RuleContext("tax", "CNY", section="services"))


def test_consumption_tax_rate_of_one_is_refused():
    with pytest.raises(RuleError, match="consumption_tax_rate"):
        bill_cross_border_tax([declaration("A", "100", consumption="1")], PARAMS, CTX)


def test_defaults_are_the_specs():
    [line] = bill_cross_border_tax([declaration("A", "100")], {}, CTX)
    assert line.inputs["discount"] == Decimal("0.7")
    assert line.inputs["tariff_factor"] == Decimal(0)
