"""weight_step: first + additional weight by step, SKU-kind surcharge (spec 7.1)."""

from decimal import Decimal

import pytest

from tariffs.rules import Parcel, RuleContext, RuleError, WeightStepParams, bill_weight_step, validate_params

BONDED = {
    "first_kg": "1",
    "first_price": "13",
    "step_kg": "1",
    "step_price": "3",
    "sku_price": "0.5",
    "sku_free": 4,
}
TMALL = {"first_kg": "1", "first_price": "13", "step_kg": "1", "step_price": "13"}
CTX = RuleContext(charge_code="service_fee", currency="CNY")


def fee(params, weight, kinds=1):
    [line] = bill_weight_step([Parcel(order_no="T", weight_kg=Decimal(weight), sku_kinds=kinds)], params, CTX)
    return line


def test_seed_example_1_bills_four_chargeable_kg():
    line = fee(BONDED, "3.5", 2)
    assert line.amount == Decimal("22.00")
    assert line.formula == "13 + 3 × (4 − 1) = 22.00"


def test_seed_example_2_adds_half_a_yuan_per_kind_above_four():
    line = fee(BONDED, "5", 6)
    assert line.amount == Decimal("26.00")
    assert line.formula == "13 + 3 × (5 − 1) + 0.5 × (6 − 4) = 26.00"


@pytest.mark.parametrize(
    ("weight", "expected"),
    [("0.2", "13.00"), ("1", "13.00"), ("1.0001", "16.00"), ("4", "22.00"), ("4.001", "25.00")],
)
def test_weight_boundaries(weight, expected):
    assert fee(BONDED, weight, 2).amount == Decimal(expected)


@pytest.mark.parametrize(("kinds", "expected"), [(1, "22.00"), (4, "22.00"), (5, "22.50"), (9, "24.50")])
def test_sku_surcharge_only_above_four_kinds(kinds, expected):
    assert fee(BONDED, "3.5", kinds).amount == Decimal(expected)


@pytest.mark.parametrize(("weight", "expected"), [("3.5", "52.00"), ("5", "65.00")])
def test_tmall_and_overseas_delivery(weight, expected):
    assert fee(TMALL, weight, 9).amount == Decimal(expected)


def test_half_kilo_steps_divide_the_additional_weight_by_the_step():
    params = {"first_kg": "0.5", "first_price": "10", "step_kg": "0.5", "step_price": "4"}
    line = fee(params, "1.2")
    assert line.amount == Decimal("18.00")  # chargeable 1.5: 10 + 4 × (1.5 − 0.5) / 0.5
    assert line.formula == "10 + 4 × (1.5 − 0.5) / 0.5 = 18.00"


def test_one_line_per_parcel_by_default_with_its_ledger_row():
    parcels = [
        Parcel(order_no="A", weight_kg=Decimal("3.5"), sku_kinds=2, ref="row-2"),
        Parcel(order_no="B", weight_kg=Decimal("5"), sku_kinds=6, ref="row-3"),
    ]
    lines = bill_weight_step(parcels, BONDED, CTX)
    assert [(line.amount, line.source_refs) for line in lines] == [
        (Decimal("22.00"), ("row-2",)),
        (Decimal("26.00"), ("row-3",)),
    ]
    assert all(line.section == "fulfilment" for line in lines)


def test_grouped_lines_share_a_fee():
    parcels = [
        Parcel(order_no="A", weight_kg=Decimal("3.5"), ref=1),
        Parcel(order_no="B", weight_kg=Decimal("3.2"), ref=2),
        Parcel(order_no="C", weight_kg=Decimal("4"), ref=3),
        Parcel(order_no="D", weight_kg=Decimal("0.3"), ref=4),
    ]
    lines = bill_weight_step(parcels, {**BONDED, "lines": "grouped"}, CTX)
    assert [(line.quantity, line.unit_price, line.amount) for line in lines] == [
        (Decimal(1), Decimal(13), Decimal("13.00")),
        (Decimal(3), Decimal(22), Decimal("66.00")),
    ]
    assert lines[1].formula == "3 × (13 + 3 × (4 − 1)) = 66.00"
    assert lines[1].source_refs == (1, 2, 3)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({**TMALL, "first_price": None}, "first_price"),
        ({**TMALL, "step_kg": "0"}, "step_kg"),
        ({**TMALL, "step_price": 3.0}, "step_price"),
        ({**TMALL, "step_price": "-1"}, "step_price"),
        ({**TMALL, "sku_price": "0.5"}, "sku_free"),
        ({**TMALL, "lines": "daily"}, "lines"),
        ({**TMALL, "frist_kg": "1"}, "frist_kg"),
    ],
)
def test_bad_params_name_the_field(params, field):
    with pytest.raises(RuleError) as error:
        validate_params("weight_step", params)
    assert error.value.field == field
    assert field in str(error.value)


def test_params_read_as_decimals():
    params = WeightStepParams.from_params(BONDED)
    assert params.step_price == Decimal(3)
    assert params.sku_free == 4


@pytest.mark.parametrize(("weight", "kinds", "field"), [("0", 1, "weight_kg"), ("1", 0, "sku_kinds")])
def test_bad_parcels_are_refused(weight, kinds, field):
    with pytest.raises(RuleError, match="order no T") as error:
        fee(BONDED, weight, kinds)
    assert error.value.field == field
