"""Rule kinds by name: bill function, params type, fact type, ledger and sections (spec 7)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from .chargeable_weight import ChargeableWeightParams, bill_chargeable_weight
from .cross_border_tax import CrossBorderTaxParams, bill_cross_border_tax
from .errors import RuleError
from .facts import (
    CustomsDeclaration,
    InboundWeight,
    Parcel,
    ReceivingService,
    ServiceUse,
    StockDay,
    StockItemMonth,
)
from .lines import SECTIONS, ChargeLine, RuleContext, check_section
from .minimum_monthly import MinimumMonthlyParams, bill_minimum_monthly
from .order_handling import OrderHandlingParams, bill_order_handling
from .params import coerce_params, params_to_dict
from .per_kg import PerKgParams, bill_per_kg
from .per_unit import PerUnitParams, bill_per_unit
from .piece_tier import PieceTierParams, bill_piece_tier
from .size_band import SizeBandParams, bill_size_band
from .size_code import SizeCodeParams, bill_size_code
from .storage import (
    StorageDailyVolumeParams,
    StorageMonthlyVolumeParams,
    StorageTurnoverParams,
    bill_storage_daily_volume,
    bill_storage_monthly_volume,
    bill_storage_turnover,
)
from .tiered_per_kg import TieredPerKgParams, bill_tiered_per_kg
from .weight_step import WeightStepParams, bill_weight_step


def accepts_all(params: Any, fact: Any) -> bool:
    return True


@dataclass(frozen=True)
class RuleKind:
    """A rule kind: `bill(facts, params, ctx) -> lines`, its params type, facts and ledger (spec 7)."""

    name: str
    spec: str
    bill: Callable[[Iterable[Any], Any, RuleContext], list[ChargeLine]]
    params_type: type
    fact_type: type | tuple[type, ...]  # what the bill function reads (for isinstance)
    ledger: str | None
    default_section: str
    sections: tuple[str, ...] = SECTIONS
    accepts: Callable[[Any, Any], bool] = accepts_all

    @property
    def param_fields(self) -> tuple[str, ...]:
        """Top-level params field names, for an admin form's help."""
        return tuple(field.name for field in fields(self.params_type))


STOCK_FACTS = (StockDay, StockItemMonth)  # a day's row, or an item's month of rows summed
_ALL_BUT_PASS_THROUGH = ("fulfilment", "storage", "services", "adjustments")

KINDS: dict[str, RuleKind] = {
    kind.name: kind
    for kind in (
        RuleKind(
            "weight_step",
            "7.1",
            bill_weight_step,
            WeightStepParams,
            Parcel,
            "outbound",
            "fulfilment",
            _ALL_BUT_PASS_THROUGH,
        ),
        RuleKind(
            "storage_daily_volume",
            "7.2",
            bill_storage_daily_volume,
            StorageDailyVolumeParams,
            STOCK_FACTS,
            "stock",
            "storage",
            _ALL_BUT_PASS_THROUGH,
        ),
        RuleKind(
            "storage_turnover",
            "7.3",
            bill_storage_turnover,
            StorageTurnoverParams,
            STOCK_FACTS,
            "stock",
            "storage",
            _ALL_BUT_PASS_THROUGH,
        ),
        RuleKind(
            "storage_monthly_volume",
            "8",
            bill_storage_monthly_volume,
            StorageMonthlyVolumeParams,
            STOCK_FACTS,
            "stock",
            "storage",
            _ALL_BUT_PASS_THROUGH,
        ),
        RuleKind(
            "per_unit",
            "7.4",
            bill_per_unit,
            PerUnitParams,
            ServiceUse,
            "vas",
            "services",
            _ALL_BUT_PASS_THROUGH,
        ),
        RuleKind(
            "cross_border_tax",
            "7.5",
            bill_cross_border_tax,
            CrossBorderTaxParams,
            CustomsDeclaration,
            "tax",
            "pass_through",
            ("pass_through",),
        ),
        RuleKind(
            "tiered_per_kg",
            "7.6",
            bill_tiered_per_kg,
            TieredPerKgParams,
            InboundWeight,
            "inbound",
            "fulfilment",
            _ALL_BUT_PASS_THROUGH,
            accepts=lambda params, row: params.line is None or row.line == params.line,
        ),
        RuleKind(
            "piece_tier",
            "7.7",
            bill_piece_tier,
            PieceTierParams,
            ReceivingService,
            "receiving",
            "services",
            _ALL_BUT_PASS_THROUGH,
            accepts=lambda params, row: row.service == params.service,
        ),
        RuleKind(
            "size_code",
            "7.8",
            bill_size_code,
            SizeCodeParams,
            ReceivingService,
            "receiving",
            "services",
            _ALL_BUT_PASS_THROUGH,
            accepts=lambda params, row: (
                row.service in (f"{params.service}_shared", f"{params.service}_private")
            ),
        ),
        RuleKind(
            "per_kg",
            "7.9",
            bill_per_kg,
            PerKgParams,
            ReceivingService,
            "receiving",
            "services",
            _ALL_BUT_PASS_THROUGH,
            accepts=lambda params, row: row.service == params.service,
        ),
        RuleKind(
            "minimum_monthly",
            "7.10",
            bill_minimum_monthly,
            MinimumMonthlyParams,
            ChargeLine,
            None,
            "adjustments",
            ("adjustments",),
        ),
        RuleKind(
            "chargeable_weight",
            "7.10",
            bill_chargeable_weight,
            ChargeableWeightParams,
            Parcel,
            "outbound",
            "fulfilment",
            _ALL_BUT_PASS_THROUGH,
        ),
        RuleKind(
            "size_band",
            "7.10",
            bill_size_band,
            SizeBandParams,
            Parcel,
            "outbound",
            "fulfilment",
            _ALL_BUT_PASS_THROUGH,
        ),
        RuleKind(
            "order_handling",
            "8",
            bill_order_handling,
            OrderHandlingParams,
            Parcel,
            "outbound",
            "fulfilment",
            _ALL_BUT_PASS_THROUGH,
        ),
    )
}


def get_kind(name: str) -> RuleKind:
    """The rule kind called `name`; an unknown kind is refused naming the known ones."""
    try:
        return KINDS[name]
    except KeyError:
        raise RuleError(f"unknown rule kind {name!r} (known: {', '.join(KINDS)})", field="kind") from None


def validate_params(kind: str, params: Mapping[str, Any]) -> Any:
    """The typed params of a rule of `kind`, or a RuleError whose `field` names the bad field."""
    return coerce_params(get_kind(kind).params_type, params)


def normalize_params(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Validated params as a JSON-safe dict (decimals as strings), for a JSON field or an admin form."""
    return params_to_dict(validate_params(kind, params))


def validate_section(kind: str, section: str | None) -> str:
    """The section a `kind` rule bills into: its default when blank; pass-through only for customs taxes."""
    rule_kind = get_kind(kind)
    if not section:
        return rule_kind.default_section
    check_section(section)
    if section not in rule_kind.sections:
        raise RuleError(
            f"section: a {kind} rule bills into {' or '.join(rule_kind.sections)}, not {section}",
            field="section",
        )
    return section


def bill_rule(kind: str, facts: Iterable[Any], params: Any, ctx: RuleContext) -> list[ChargeLine]:
    """Validate the params and section, then bill the facts with the kind's function."""
    rule_kind = get_kind(kind)
    typed = coerce_params(rule_kind.params_type, params)
    section = validate_section(kind, ctx.section)
    if section != ctx.section:
        ctx = RuleContext(
            charge_code=ctx.charge_code,
            currency=ctx.currency,
            section=section,
            customer_class=ctx.customer_class,
            period=ctx.period,
        )
    return rule_kind.bill(facts, typed, ctx)
