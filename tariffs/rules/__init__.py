"""Pure fee rules: plain facts and a rule's params in, charge lines out; no Django, no I/O (spec 7)."""

from .chargeable_weight import ChargeableWeightParams, bill_chargeable_weight, chargeable_weight
from .cross_border_tax import CrossBorderTax, CrossBorderTaxParams, bill_cross_border_tax, cross_border_tax
from .errors import RuleError
from .facts import (
    CustomsDeclaration,
    InboundWeight,
    Parcel,
    Period,
    ReceivingService,
    RowSet,
    ServiceUse,
    StockDay,
    StockItemMonth,
    daily_volume_m3,
)
from .lines import (
    CUSTOMER_CLASSES,
    SECTIONS,
    TAXABLE_SECTIONS,
    ChargeLine,
    InvoiceTotals,
    RuleContext,
    TaxAmount,
    invoice_totals,
    section_totals,
)
from .minimum_monthly import MinimumMonthlyParams, bill_minimum_monthly
from .money import CURRENCIES, MINOR_UNITS, Money, format_amount, minor_units, round_money
from .order_handling import OrderHandlingParams, bill_order_handling
from .params import jsonable, params_to_dict
from .per_kg import PerKgParams, bill_per_kg
from .per_unit import PerUnitParams, bill_per_unit
from .piece_tier import PieceTierParams, bill_piece_tier, piece_price
from .registry import (
    KINDS,
    RuleKind,
    bill_rule,
    get_kind,
    normalize_params,
    validate_params,
    validate_section,
)
from .size_band import SizeBandParams, bill_size_band, size_band_for
from .size_code import SizeCodeParams, bill_size_code, size_code_fee, size_code_for
from .storage import (
    StorageDailyVolumeParams,
    StorageMonthlyVolumeParams,
    StorageTurnoverParams,
    bill_storage_daily_volume,
    bill_storage_monthly_volume,
    bill_storage_turnover,
    turnover_figures,
)
from .text import Text, counted
from .tiered_per_kg import TieredPerKgParams, bill_tiered_per_kg, tier_index, tiered_per_kg_fee
from .weight_step import WeightStepParams, bill_weight_step, weight_step_fee

__all__ = [
    "CUSTOMER_CLASSES",
    "CURRENCIES",
    "KINDS",
    "MINOR_UNITS",
    "SECTIONS",
    "TAXABLE_SECTIONS",
    "ChargeLine",
    "ChargeableWeightParams",
    "CrossBorderTax",
    "CrossBorderTaxParams",
    "CustomsDeclaration",
    "InboundWeight",
    "InvoiceTotals",
    "MinimumMonthlyParams",
    "Money",
    "OrderHandlingParams",
    "Parcel",
    "PerKgParams",
    "PerUnitParams",
    "Period",
    "PieceTierParams",
    "ReceivingService",
    "RuleContext",
    "RuleError",
    "RowSet",
    "RuleKind",
    "ServiceUse",
    "SizeBandParams",
    "SizeCodeParams",
    "StockDay",
    "StockItemMonth",
    "StorageDailyVolumeParams",
    "StorageMonthlyVolumeParams",
    "StorageTurnoverParams",
    "TaxAmount",
    "Text",
    "TieredPerKgParams",
    "WeightStepParams",
    "bill_chargeable_weight",
    "bill_cross_border_tax",
    "bill_minimum_monthly",
    "bill_order_handling",
    "bill_per_kg",
    "bill_per_unit",
    "bill_piece_tier",
    "bill_rule",
    "bill_size_band",
    "bill_size_code",
    "bill_storage_daily_volume",
    "bill_storage_monthly_volume",
    "bill_storage_turnover",
    "bill_tiered_per_kg",
    "bill_weight_step",
    "chargeable_weight",
    "counted",
    "cross_border_tax",
    "daily_volume_m3",
    "format_amount",
    "get_kind",
    "invoice_totals",
    "jsonable",
    "minor_units",
    "normalize_params",
    "params_to_dict",
    "piece_price",
    "round_money",
    "section_totals",
    "size_band_for",
    "size_code_fee",
    "size_code_for",
    "tier_index",
    "tiered_per_kg_fee",
    "turnover_figures",
    "validate_params",
    "validate_section",
    "weight_step_fee",
]
