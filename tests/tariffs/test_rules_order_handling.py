"""order_handling: per order plus per unit beyond the included ones (Japanese sample card, spec 8)."""

from decimal import Decimal

import pytest

from tariffs.rules import Parcel, RuleContext, RuleError, bill_order_handling

PARAMS = {"per_order": "250", "per_extra_unit": "50", "included_units": 1}
CTX = RuleContext("order_handling", "JPY")


def test_orders_and_extra_units():
    parcels = [
        Parcel(order_no=str(units), weight_kg=Decimal(1), units=units, ref=units) for units in (1, 2, 5)
    ]
    [line] = bill_order_handling(parcels, PARAMS, CTX)
    assert line.amount == Decimal(1000)  # 3 × 250 + (0 + 1 + 4) × 50
    assert line.formula == "3 × 250 + 5 × 50 = 1000"
    assert line.source_refs == (1, 2, 5)


def test_parcel_without_units_is_refused():
    with pytest.raises(RuleError, match="order no X: units"):
        bill_order_handling([Parcel(order_no="X", weight_kg=Decimal(1))], PARAMS, CTX)
