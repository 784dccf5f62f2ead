"""minimum_monthly: the shortfall under a monthly floor is an adjustments line of its own (spec 7.10)."""

from decimal import Decimal

import pytest

from tariffs.rules import ChargeLine, RuleContext, RuleError, bill_minimum_monthly

CTX = RuleContext("minimum", "CNY")


def line(amount, section, currency="CNY"):
    return ChargeLine(
        code="c",
        section=section,
        description="d",
        quantity=Decimal(1),
        unit="u",
        unit_price=None,
        amount=Decimal(amount),
        currency=currency,
        formula="",
        source_refs=(1,),
    )


def test_shortfall_counts_service_fees_not_customs_taxes():
    lines = [line("200.50", "fulfilment"), line("120.00", "storage"), line("100.00", "pass_through")]
    [shortfall] = bill_minimum_monthly(lines, {"minimum": "500"}, CTX)
    assert shortfall.amount == Decimal("179.50")
    assert shortfall.section == "adjustments"
    assert shortfall.formula == "max(0, 500 − 320.50) = 179.50"
    assert shortfall.source_refs == ()


def test_no_line_when_fees_reach_the_minimum():
    assert bill_minimum_monthly([line("500.00", "services")], {"minimum": "500"}, CTX) == []


def test_counted_sections_option():
    lines = [line("100.00", "fulfilment"), line("100.00", "storage")]
    [shortfall] = bill_minimum_monthly(lines, {"minimum": "500", "counted_sections": ["storage"]}, CTX)
    assert shortfall.amount == Decimal("400.00")


def test_other_currency_lines_are_refused():
    with pytest.raises(RuleError, match="JPY"):
        bill_minimum_monthly([line("100", "services", "JPY")], {"minimum": "500"}, CTX)
