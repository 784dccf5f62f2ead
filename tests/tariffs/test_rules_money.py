"""Money: minor units, half-up rounding once, no floats (spec 2)."""

from decimal import Decimal

import pytest

from tariffs.rules import MINOR_UNITS, Money, RuleError, format_amount, minor_units, round_money
from tariffs.rules.money import fmt_number, to_decimal


def test_minor_units_are_the_specs():
    assert MINOR_UNITS == {"CNY": 2, "JPY": 0, "VND": 0, "USD": 2}
    assert minor_units("JPY") == 0


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("18.855", "CNY", "18.86"),
        ("344.7444", "CNY", "344.74"),
        ("105.534", "CNY", "105.53"),
        ("0.005", "USD", "0.01"),
        ("2.5", "VND", "3"),
        ("3.5", "JPY", "4"),
        ("1.4999", "JPY", "1"),
        ("11750117.5", "VND", "11750118"),
    ],
)
def test_round_money_is_half_up_to_the_minor_unit(amount, currency, expected):
    rounded = round_money(Decimal(amount), currency)
    assert rounded == Decimal(expected)
    assert str(rounded) == expected


def test_round_money_refuses_floats_and_unknown_currencies():
    with pytest.raises(TypeError):
        round_money(0.1, "CNY")
    with pytest.raises(RuleError, match="EUR"):
        round_money(Decimal(1), "EUR")
    with pytest.raises(RuleError):
        round_money(Decimal("Infinity"), "CNY")


def test_to_decimal_refuses_float_and_names_the_field():
    with pytest.raises(RuleError) as error:
        to_decimal(0.7, field="discount")
    assert error.value.field == "discount"
    assert to_decimal("2,750", field="price") == Decimal(2750)
    assert to_decimal(3, field="price") == Decimal(3)
    with pytest.raises(RuleError, match="price"):
        to_decimal("abc", field="price")


def test_format_amount_and_money_show_the_minor_unit():
    assert format_amount(Decimal(22), "CNY") == "22.00"
    assert format_amount(Decimal("14108500"), "VND") == "14108500"
    assert str(Money(Decimal("1234.5"), "JPY")) == "JPY 1235"
    assert Money(Decimal("0.10"), "CNY") + Money(Decimal("0.205"), "CNY") == Money(Decimal("0.31"), "CNY")
    with pytest.raises(RuleError):
        Money(Decimal(1), "CNY") + Money(Decimal(1), "JPY")


def test_formula_numbers_drop_trailing_zeros_and_mark_cut_digits():
    assert fmt_number(Decimal("13.00")) == "13"
    assert fmt_number(Decimal("1E+2")) == "100"
    assert fmt_number(Decimal(300) / 7) == "42.8571…"
    assert fmt_number(Decimal("1.1726")) == "1.1726"
    assert fmt_number(Decimal("Infinity")) == "∞"
