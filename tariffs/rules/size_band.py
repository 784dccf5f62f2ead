"""`size_band`: Japanese last mile by sum of three sides and a weight limit per band and carrier (7.10)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .chargeable_weight import parcel_dimensions_cm
from .errors import RuleError
from .facts import Parcel, describe, describe_text, refs_of
from .lines import ChargeLine, RuleContext
from .money import fmt_number, plural
from .params import ParamReader, check_fact_decimal, coerce_params
from .text import Text, counted


@dataclass(frozen=True)
class SizeBand:
    """A band up to `size_cm` (sum of three sides, inclusive) and `max_kg`, at `price` a parcel."""

    size_cm: int
    max_kg: Decimal
    price: Decimal


@dataclass(frozen=True)
class SizeBandParams:
    """Each carrier's bands (60, 80, 100, 120, 140, 160 size ...), smallest first."""

    carriers: Mapping[str, tuple[SizeBand, ...]]

    @classmethod
    def from_params(cls, raw: Mapping[str, Any]) -> SizeBandParams:
        reader = ParamReader(raw)
        carriers_reader = reader.mapping("carriers")
        assert carriers_reader is not None
        if not carriers_reader.raw:
            raise RuleError("carriers: give at least one carrier", field="carriers")
        carriers: dict[str, tuple[SizeBand, ...]] = {}
        for carrier in carriers_reader.raw:
            bands = []
            previous = 0
            for band_reader in carriers_reader.items(str(carrier)):
                band = SizeBand(
                    size_cm=band_reader.integer("size_cm", ge=1),
                    max_kg=band_reader.decimal("max_kg", gt=0),
                    price=band_reader.decimal("price", ge=0),
                )
                band_reader.done()
                if band.size_cm <= previous:
                    name = band_reader.name("size_cm")
                    raise RuleError(f"{name}: bands must rise, each larger than the one before", field=name)
                previous = band.size_cm
                bands.append(band)
            carriers[str(carrier)] = tuple(bands)
        carriers_reader.done()
        reader.done()
        return cls(carriers=carriers)


def size_band_for(carrier: str, sides_cm: Decimal, weight_kg: Decimal, params: SizeBandParams) -> SizeBand:
    """The smallest band of the carrier that holds both the size and the weight; refused when none does."""
    try:
        bands: Sequence[SizeBand] = params.carriers[carrier]
    except KeyError:
        known = ", ".join(sorted(params.carriers))
        raise RuleError(
            f"unknown carrier {carrier!r} (this rate card has: {known})",
            field="carrier",
            text=Text("error.unknown_carrier", {"carrier": carrier, "known": known}),
        ) from None
    for band in bands:
        if sides_cm <= band.size_cm and weight_kg <= band.max_kg:
            return band
    largest = bands[-1]
    raise RuleError(
        f"{carrier} takes up to {largest.size_cm} cm (sum of three sides) and "
        f"{fmt_number(largest.max_kg)} kg; "
        f"this parcel is {fmt_number(sides_cm)} cm and {fmt_number(weight_kg)} kg",
        field="size",
        text=Text(
            "error.parcel_too_large",
            {
                "carrier": carrier,
                "max_cm": largest.size_cm,
                "max_kg": fmt_number(largest.max_kg),
                "size_cm": fmt_number(sides_cm),
                "weight_kg": fmt_number(weight_kg),
            },
        ),
    )


def bill_size_band(
    parcels: Iterable[Parcel], params: SizeBandParams | Mapping[str, Any], ctx: RuleContext
) -> list[ChargeLine]:
    """Each parcel priced by its carrier's band; parcels of the same carrier and band share a line."""
    params = coerce_params(SizeBandParams, params)
    groups: dict[tuple[str, int], tuple[SizeBand, list[Parcel]]] = {}
    for parcel in parcels:
        where = describe(parcel)
        if not parcel.carrier:
            raise RuleError(
                f"{where}: carrier is required for last-mile pricing",
                field="carrier",
                text=Text("error.carrier_required", {"where": describe_text(parcel)}),
            )
        weight = check_fact_decimal(parcel.weight_kg, "weight_kg", where, gt=0)
        sides = sum(parcel_dimensions_cm(parcel), Decimal(0))
        try:
            band = size_band_for(parcel.carrier, sides, weight, params)
        except RuleError as error:
            text = (
                None
                if error.text is None
                else Text("error.at", {"where": describe_text(parcel), "error": error.text})
            )
            raise RuleError(f"{where}: {error.message}", field=error.field, text=text) from None
        groups.setdefault((parcel.carrier, band.size_cm), (band, []))[1].append(parcel)
    lines = []
    for key in sorted(groups):
        band, members = groups[key]
        count = len(members)
        lines.append(
            ChargeLine.from_exact(
                code=ctx.charge_code,
                section=ctx.section_or("fulfilment"),
                description=f"Last mile {key[0]}, size {band.size_cm} (≤ {fmt_number(band.max_kg)} kg): "
                f"{plural(count, 'parcel')}",
                quantity=Decimal(count),
                unit="parcel",
                unit_price=band.price,
                exact_amount=count * band.price,
                currency=ctx.currency,
                expression=f"{count} × {fmt_number(band.price)}",
                description_text=Text(
                    "line.size_band",
                    {
                        "carrier": key[0],
                        "size_cm": band.size_cm,
                        "max_kg": fmt_number(band.max_kg),
                        "parcels": counted("parcel", count),
                    },
                ),
                formula_text=Text("formula.size_band", {"count": count, "price": fmt_number(band.price)}),
                inputs={
                    "carrier": key[0],
                    "size_cm": band.size_cm,
                    "max_kg": band.max_kg,
                    "order_nos": [parcel.order_no for parcel in members],
                },
                source_refs=refs_of(members),
            )
        )
    return lines
