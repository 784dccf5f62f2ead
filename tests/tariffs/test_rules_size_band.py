"""size_band: Japanese last mile by the sum of three sides and a weight limit per band (spec 7.10)."""

from decimal import Decimal

import pytest

from tariffs.preset_data import get_preset
from tariffs.rules import Parcel, RuleContext, RuleError, bill_size_band

PARAMS = next(rule.params for rule in get_preset("linkstar-jp-sample").rules if rule.kind == "size_band")
CTX = RuleContext("last_mile", "JPY")


def parcel(carrier, kg, sides_mm, order_no="J1", ref=None):
    third = Decimal(sides_mm) / 3
    return Parcel(
        order_no=order_no,
        weight_kg=Decimal(kg),
        carrier=carrier,
        length_mm=third,
        width_mm=third,
        height_mm=third,
        ref=ref,
    )


def band_of(carrier, kg, sides_mm):
    [line] = bill_size_band([parcel(carrier, kg, sides_mm)], PARAMS, CTX)
    return line.inputs["size_cm"], line.amount


@pytest.mark.parametrize(
    ("carrier", "kg", "sides_mm", "band"),
    [
        ("yamato", "1.5", "600", 60),  # exactly 60 cm is the 60 band
        ("yamato", "1.5", "601", 80),
        ("yamato", "2", "300", 60),
        ("yamato", "2.1", "300", 80),  # too heavy for 60: the band that holds the weight
        ("yamato", "25", "1600", 160),
        ("sagawa", "30", "1000", 160),
    ],
)
def test_band_by_size_and_weight(carrier, kg, sides_mm, band):
    assert band_of(carrier, kg, sides_mm)[0] == band


def test_prices_come_from_the_carriers_band():
    assert band_of("yamato", "1", "500") == (60, Decimal(940))
    assert band_of("sagawa", "1", "500") == (60, Decimal(880))


@pytest.mark.parametrize(("carrier", "kg", "sides_mm"), [("yamato", "1", "1601"), ("yamato", "25.5", "500")])
def test_out_of_range_is_refused(carrier, kg, sides_mm):
    with pytest.raises(RuleError, match="yamato takes up to 160 cm"):
        bill_size_band([parcel(carrier, kg, sides_mm)], PARAMS, CTX)


def test_unknown_or_missing_carrier_is_refused():
    with pytest.raises(RuleError, match="'fedex'"):
        bill_size_band([parcel("fedex", "1", "500")], PARAMS, CTX)
    with pytest.raises(RuleError, match="carrier is required"):
        bill_size_band([parcel(None, "1", "500")], PARAMS, CTX)


def test_parcels_of_a_band_share_a_line():
    parcels = [parcel("yamato", "1", "500", "A", 1), parcel("yamato", "1.5", "550", "B", 2)]
    [line] = bill_size_band(parcels, PARAMS, CTX)
    assert (line.quantity, line.amount, line.source_refs) == (Decimal(2), Decimal(1880), (1, 2))
    assert line.formula == "2 × 940 = 1880"
