"""chargeable_weight for freight quotes: max(actual kg, L × W × H cm / divisor) (spec 7.10)."""

from decimal import Decimal

import pytest

from tariffs.rules import Parcel, RuleContext, RuleError, bill_chargeable_weight, chargeable_weight


@pytest.mark.parametrize(
    ("actual", "dims", "divisor", "expected"),
    [
        ("2", ("30", "20", "10"), "6000", "2"),  # volumetric 1 kg
        ("1", ("50", "40", "30"), "6000", "10"),  # volumetric 10 kg
        ("1", ("50", "40", "30"), "5000", "12"),
        ("10", ("50", "40", "30"), "6000", "10"),  # equal
    ],
)
def test_greater_of_actual_and_volumetric(actual, dims, divisor, expected):
    result = chargeable_weight(Decimal(actual), *(Decimal(side) for side in dims), Decimal(divisor))
    assert result == Decimal(expected)


def test_default_divisor_is_six_thousand():
    assert chargeable_weight(Decimal("0.5"), Decimal(60), Decimal(10), Decimal(10)) == Decimal(1)


def test_quote_line_from_ledger_millimetres():
    parcel = Parcel(
        order_no="Q1",
        weight_kg=Decimal(1),
        length_mm=Decimal(500),
        width_mm=Decimal(400),
        height_mm=Decimal(300),
        ref=9,
    )
    [line] = bill_chargeable_weight([parcel], {"price_per_kg": "15"}, RuleContext("freight", "CNY"))
    assert line.quantity == Decimal(10)
    assert line.amount == Decimal("150.00")
    assert line.formula == "max(1, 50 × 40 × 30 / 6000) × 15 = 150.00"


def test_parcel_without_dimensions_is_refused():
    with pytest.raises(RuleError, match="length_mm"):
        bill_chargeable_weight(
            [Parcel(order_no="Q1", weight_kg=Decimal(1))], {"price_per_kg": "15"}, RuleContext("f", "CNY")
        )
