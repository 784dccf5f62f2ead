"""Charge lines, section sums and service tax once per rate on the taxable subtotal (spec 2, 7.5, 7.10, 9)."""

import json
from decimal import Decimal

import pytest

from tariffs.rules import ChargeLine, RuleContext, RuleError, invoice_totals, section_totals


def line(amount, section="services", currency="JPY", code="x"):
    return ChargeLine(
        code=code,
        section=section,
        description="d",
        quantity=Decimal(1),
        unit="piece",
        unit_price=None,
        amount=Decimal(amount),
        currency=currency,
        formula=f"{amount} = {amount}",
    )


def test_from_exact_rounds_once_and_writes_the_formula_with_the_amount():
    made = ChargeLine.from_exact(
        code="warehouse_service",
        section="fulfilment",
        description="Lot line",
        quantity=Decimal("120.5"),
        unit="kg",
        unit_price=None,
        exact_amount=Decimal("18.855"),
        currency="CNY",
        expression="3 × 0.26 + 120.5 × 0.15",
        source_refs=[7, 8],
    )
    assert made.amount == Decimal("18.86")
    assert made.formula == "3 × 0.26 + 120.5 × 0.15 = 18.86"
    assert made.source_refs == (7, 8)


def test_charge_line_refuses_unknown_sections_and_unrounded_amounts():
    with pytest.raises(RuleError, match="section"):
        line("5", section="misc")
    with pytest.raises(RuleError, match="minor unit"):
        line("5.5", currency="JPY")
    assert line("5.5", currency="CNY").amount == Decimal("5.50")


def test_service_tax_is_computed_once_on_the_taxable_subtotal():
    lines = [line("5"), line("5", section="storage"), line("5", section="fulfilment")]
    totals = invoice_totals(lines, currency="JPY", service_tax_rate=Decimal("0.10"))
    assert totals.subtotal == Decimal(15)
    assert totals.service_tax == Decimal(2)  # 1.5 rounded once; per line it would be 3 × 1
    assert totals.total == Decimal(17)


def test_pass_through_is_in_the_total_but_never_carries_service_tax():
    lines = [line("1000", section="services"), line("470", section="pass_through")]
    totals = invoice_totals(lines, currency="JPY", service_tax_rate=Decimal("0.10"))
    assert totals.sections["pass_through"] == Decimal(470)
    assert totals.subtotal == Decimal(1470)
    assert totals.taxable_subtotal == Decimal(1000)
    assert totals.service_tax == Decimal(100)
    assert totals.total == Decimal(1570)


def test_adjustments_reduce_the_taxable_subtotal():
    lines = [line("1000"), line("-200", section="adjustments")]
    totals = invoice_totals(lines, currency="JPY", service_tax_rate=Decimal("0.10"))
    assert totals.taxable_subtotal == Decimal(800)
    assert totals.service_tax == Decimal(80)


def test_service_tax_once_per_rate():
    lines = [line("105", code="a"), line("105", code="a"), line("55", code="b")]
    rates = {"a": Decimal("0.10"), "b": Decimal("0.08")}
    totals = invoice_totals(lines, currency="JPY", rate_of=lambda item: rates[item.code])
    breakdown = {item.rate: (item.taxable, item.tax) for item in totals.tax_breakdown}
    assert breakdown == {
        Decimal("0.10"): (Decimal(210), Decimal(21)),
        Decimal("0.08"): (Decimal(55), Decimal(4)),
    }
    assert totals.service_tax == Decimal(25)


def test_cards_without_service_tax_have_no_tax_line():
    totals = invoice_totals([line("22.00", currency="CNY")], currency="CNY")
    assert totals.service_tax == Decimal("0.00")
    assert totals.tax_breakdown == ()
    assert totals.total == Decimal("22.00")


def test_section_totals_list_every_section_and_refuse_mixed_currencies():
    assert section_totals([], "CNY") == {
        "fulfilment": Decimal("0.00"),
        "storage": Decimal("0.00"),
        "services": Decimal("0.00"),
        "pass_through": Decimal("0.00"),
        "adjustments": Decimal("0.00"),
    }
    with pytest.raises(RuleError, match="CNY"):
        section_totals([line("1", currency="CNY"), line("1", currency="JPY")], "CNY")


def test_as_dict_is_json_safe_with_amounts_in_the_minor_unit():
    made = ChargeLine.from_exact(
        code="c",
        section="services",
        description="d",
        quantity=Decimal("2.50"),
        unit="kg",
        unit_price=Decimal("0.610"),
        exact_amount=Decimal("1.525"),
        currency="CNY",
        expression="2.5 × 0.61",
        inputs={"weight_kg": Decimal("2.50")},
        source_refs=["row-1"],
    )
    data = made.as_dict(detail=True)
    assert data["amount"] == "1.53"
    assert data["quantity"] == "2.5"
    assert data["unit_price"] == "0.61"
    assert data["inputs"] == {"weight_kg": "2.5"}
    json.dumps(data)


def test_rule_context_checks_currency_and_section():
    with pytest.raises(RuleError, match="currency"):
        RuleContext(charge_code="x", currency="XXX")
    with pytest.raises(RuleError, match="section"):
        RuleContext(charge_code="x", currency="CNY", section="other")
