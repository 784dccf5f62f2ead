"""size_code: crating and bubble wrap by size code; blank private variants, CNY cards refused (spec 7.8)."""

from decimal import Decimal

import pytest

from tariffs.preset_data import get_preset
from tariffs.rules import (
    ReceivingService,
    RuleContext,
    RuleError,
    bill_size_code,
    size_code_for,
    validate_params,
)


def params_of(service, currency="VND"):
    card = get_preset("vn-general", currency)
    return next(
        rule.params for rule in card.rules if rule.kind == "size_code" and rule.params["service"] == service
    )


def bill(service, variant, volume, rate=None, currency="VND", params=None):
    row = ReceivingService(
        service=f"{service}_{variant}",
        volume_m3=Decimal(volume),
        freight_rate_per_kg=None if rate is None else Decimal(rate),
    )
    return bill_size_code([row], params or params_of(service, currency), RuleContext(service, currency))


@pytest.mark.parametrize(
    ("volume", "code", "increments"),
    [
        ("0.001", "S1", 0),
        ("0.01", "S1", 0),
        ("0.0100001", "S2", 0),
        ("0.02", "S2", 0),
        ("0.0200001", "S3", 0),
        ("0.15", "M1", 0),
        ("0.35", "M3", 0),
        ("0.5", "L2", 0),
        ("0.50001", "X", 1),
        ("0.6", "X", 1),
        ("0.60001", "X", 2),
        ("0.72", "X", 3),
    ],
)
def test_size_code_edges(volume, code, increments):
    choice = size_code_for(Decimal(volume), validate_params("size_code", params_of("wrap")))
    assert (choice.code, choice.increments) == (code, increments)


@pytest.mark.parametrize(
    ("service", "variant", "volume", "rate", "expected"),
    [
        ("crate", "shared", "0.005", "2400", "20720"),  # 20,000 + 0.3 × 2,400
        ("crate", "private", "0.2", "2400", "266800"),  # 250,000 + 7 × 2,400
        ("crate", "shared", "0.6", "2400", "445600"),  # 350,000 + 50,000 + (16 + 3) × 2,400
        ("wrap", "shared", "0.01", None, "15000"),
        ("wrap", "private", "0.5", None, "360000"),
        ("wrap", "shared", "0.6", None, "210000"),  # 180,000 + 30,000
        ("wrap", "shared", "0.60001", None, "240000"),  # two started increments
    ],
)
def test_fees(service, variant, volume, rate, expected):
    [line] = bill(service, variant, volume, rate)
    assert line.amount == Decimal(expected)


def test_crate_formula_spells_out_the_increments():
    [line] = bill("crate", "shared", "0.72", "2400")
    assert line.formula == "350000 + 3 × 50000 + (16 + 3 × 3) × 2400 = 560000"


@pytest.mark.parametrize(
    ("service", "volume", "code"),
    [
        ("crate", "0.3", "M3"),
        ("crate", "0.4", "L1"),
        ("crate", "0.5", "L2"),
        ("crate", "0.7", "X"),
        ("wrap", "0.7", "X"),
    ],
)
def test_blank_private_variants_are_refused_naming_code_and_service(service, volume, code):
    with pytest.raises(RuleError) as error:
        bill(service, "private", volume, "2400")
    assert f"{service}_private" in str(error.value)
    assert f"size code {code}" in str(error.value)


@pytest.mark.parametrize("service", ["crate", "wrap"])
def test_cny_card_refuses_vnd_only_surcharges(service):
    with pytest.raises(RuleError, match="VND.*CNY") as error:
        bill(service, "shared", "0.03", "0.73", currency="CNY")
    assert error.value.field == "fx_rate"


def test_a_stated_rate_converts_the_surcharges():
    params = {**params_of("wrap", "CNY"), "fx_rate": "0.00028"}
    [line] = bill("wrap", "shared", "0.03", currency="CNY", params=params)
    assert line.amount == Decimal("11.20")  # 40,000 VND × 0.00028


def test_crating_needs_the_freight_rate():
    with pytest.raises(RuleError, match="freight_rate_per_kg"):
        bill("crate", "shared", "0.03")


def test_same_packages_share_a_line():
    rows = [
        ReceivingService(service="wrap_shared", volume_m3=Decimal("0.03"), ref=1),
        ReceivingService(service="wrap_shared", volume_m3=Decimal("0.035"), ref=2),
        ReceivingService(service="wrap_private", volume_m3=Decimal("0.03"), ref=3),
    ]
    lines = bill_size_code(rows, params_of("wrap"), RuleContext("wrap", "VND"))
    assert [(line.quantity, line.amount, line.source_refs) for line in lines] == [
        (Decimal(1), Decimal(80000), (3,)),
        (Decimal(2), Decimal(80000), (1, 2)),
    ]


def test_bad_rows_are_refused():
    with pytest.raises(RuleError, match="volume_m3"):
        bill("wrap", "shared", "0")
    with pytest.raises(RuleError, match="crate_shared or crate_private"):
        bill_size_code(
            [ReceivingService(service="wrap_shared", volume_m3=Decimal(1))],
            params_of("crate"),
            RuleContext("c", "VND"),
        )


def test_wrap_params_refuse_wood_weight():
    params = params_of("wrap")
    codes = [dict(params["codes"][0], wood_kg="1"), *params["codes"][1:]]
    with pytest.raises(RuleError) as error:
        validate_params("size_code", {**params, "codes": codes})
    assert error.value.field == "codes[0].wood_kg"
