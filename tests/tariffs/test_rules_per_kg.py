"""per_kg: e-commerce split, container unloading and shipping marks at a flat price per kg (spec 7.9)."""

from decimal import Decimal

import pytest

from tariffs.preset_data import get_preset
from tariffs.rules import ReceivingService, RuleContext, RuleError, bill_per_kg


def params_of(service, currency):
    card = get_preset("vn-lot", currency)
    return next(
        rule.params for rule in card.rules if rule.kind == "per_kg" and rule.params["service"] == service
    )


def rows(service, *weights):
    return [ReceivingService(service=service, weight_kg=Decimal(kg), ref=i) for i, kg in enumerate(weights)]


@pytest.mark.parametrize(
    ("service", "currency", "weights", "expected"),
    [
        ("ecommerce_split", "VND", ("12.5",), "25000"),
        ("container_unload", "VND", ("1000.4",), "500200"),
        ("shipping_mark", "VND", ("3.3",), "660"),
        ("ecommerce_split", "CNY", ("12.5",), "7.63"),  # 7.625 half-up
        ("container_unload", "CNY", ("100", "20"), "18.00"),
    ],
)
def test_price_per_kg(service, currency, weights, expected):
    [line] = bill_per_kg(
        rows(service, *weights), params_of(service, currency), RuleContext(service, currency)
    )
    assert line.amount == Decimal(expected)
    assert line.section == "services"


def test_month_is_rounded_once_not_per_row():
    [line] = bill_per_kg(
        rows("shipping_mark", "0.25", "0.25", "0.25"),
        params_of("shipping_mark", "CNY"),
        RuleContext("m", "CNY"),
    )
    assert line.amount == Decimal("0.05")  # 0.75 × 0.06 = 0.045; per row it would be 3 × 0.02
    assert line.source_refs == (0, 1, 2)


def test_missing_weight_and_other_services_are_refused():
    params = params_of("shipping_mark", "VND")
    with pytest.raises(RuleError, match="weight_kg"):
        bill_per_kg([ReceivingService(service="shipping_mark")], params, RuleContext("m", "VND"))
    with pytest.raises(RuleError, match="'count'"):
        bill_per_kg(rows("count", "1"), params, RuleContext("m", "VND"))
