"""The preset rate cards of spec 8 as plain data, loaded by a data migration; codes are stable.

Params follow each rule kind's params type in `tariffs.rules` (validated by `validate_params`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

D = Decimal
NO_TAX = D(0)


@dataclass(frozen=True)
class PresetRule:
    """One rule of a card: kind, charge code, invoice section and params (spec 7)."""

    kind: str
    charge_code: str
    section: str
    params: dict[str, Any]
    description: str = ""


@dataclass(frozen=True)
class PresetCard:
    """One rate card version: a card of another currency with the same code is its own card (spec 8)."""

    code: str
    name: str
    currency: str
    service_tax_rate: Decimal
    customer_classes: tuple[str, ...]
    rules: tuple[PresetRule, ...]
    version: int = 1
    valid_from: date | None = None
    valid_to: date | None = None
    not_billed_kinds: tuple[str, ...] = ()  # ledger kinds the card deliberately does not bill (spec 9)
    is_sample: bool = False
    notes: str = ""
    names: dict[str, str] = field(default_factory=dict)


# Cainiao (spec 7.1-7.5, seed 002) ---------------------------------------------------------------

CAINIAO_VAS = PresetRule(
    kind="per_unit",
    charge_code="vas",
    section="services",
    description="Value-added services (spec 7.4)",
    params={
        "prices": {
            "air_column_bag": {
                "price": D("1.00"),
                "unit": "piece",
                "description": "Air-column bag (10 columns)",
            },
            "card_insert": {
                "price": D("0.50"),
                "unit": "piece",
                "description": "Shopping card / flyer insertion",
            },
            "repack": {"price": D("0.50"), "unit": "piece", "description": "Unpacking and repacking"},
            "kitting": {
                "price": D("2.00"),
                "unit": "package",
                "description": "Bundling several SKUs into one",
            },
            "labeling": {"price": D("0.50"), "unit": "piece", "description": "Extra labels and barcodes"},
            "unplanned_receiving": {
                "price": D("0.50"),
                "unit": "piece",
                "description": "Unplanned receiving (overtime checks, tallying, putaway)",
            },
        },
        "at_cost": {
            "special_packaging": {"section": "services", "description": "Special packaging (at cost)"},
            "destruction": {"section": "services", "description": "Destruction (at cost)"},
            "inspection_fee": {
                "section": "pass_through",
                "description": "Inspection fee (collected for customs)",
            },
            "lab_test": {"section": "pass_through", "description": "Lab test (collected for inspection)"},
            "declaration_amendment": {
                "section": "pass_through",
                "description": "Customs declaration amendment (collected for customs)",
            },
        },
    },
)

CROSS_BORDER_TAX = PresetRule(
    kind="cross_border_tax",
    charge_code="cross_border_tax",
    section="pass_through",
    description="Cross-border e-commerce comprehensive tax (spec 7.5)",
    params={"discount": D("0.7"), "tariff_factor": D(0)},
)


def _delivery(charge_code: str, step_price: str, description: str) -> PresetRule:
    return PresetRule(
        kind="weight_step",
        charge_code=charge_code,
        section="fulfilment",
        description=description,
        params={
            "first_kg": D(1),
            "first_price": D(13),
            "step_kg": D(1),
            "step_price": D(step_price),
            "lines": "grouped",
        },
    )


CAINIAO_BONDED = PresetCard(
    code="cainiao-bonded",
    name="Cainiao bonded warehouse",
    names={"zh-hans": "菜鸟保税", "ja": "菜鳥（Cainiao）保税倉庫", "vi": "Kho ngoại quan Cainiao"},
    currency="CNY",
    service_tax_rate=NO_TAX,
    customer_classes=("regular",),
    rules=(
        PresetRule(
            kind="weight_step",
            charge_code="service_fee",
            section="fulfilment",
            description="Service fee: first 1 kg 13, each further kg 3, 0.5 per SKU kind above 4 (spec 7.1)",
            params={
                "first_kg": D(1),
                "first_price": D(13),
                "step_kg": D(1),
                "step_price": D(3),
                "sku_price": D("0.5"),
                "sku_free": 4,
                "lines": "grouped",
            },
        ),
        PresetRule(
            kind="storage_daily_volume",
            charge_code="storage",
            section="storage",
            description="Storage 3 CNY per CBM per day (spec 7.2)",
            params={"price_per_cbm_day": D("3.00")},
        ),
        CAINIAO_VAS,
        CROSS_BORDER_TAX,
    ),
)

TMALL_IMPORT = PresetCard(
    code="tmall-import",
    name="Tmall import seller logistics",
    names={
        "zh-hans": "天猫进口卖家物流",
        "ja": "天猫（Tmall）輸入セラー物流",
        "vi": "Logistics người bán hàng nhập khẩu Tmall",
    },
    currency="CNY",
    service_tax_rate=NO_TAX,
    customer_classes=("regular",),
    rules=(
        _delivery("delivery_fee", "13", "Delivery fee: first 1 kg 13, each further kg 13 (spec 7.1)"),
        CROSS_BORDER_TAX,
    ),
    not_billed_kinds=("stock",),  # it bills no storage (spec 9)
)

CAINIAO_OVERSEAS = PresetCard(
    code="cainiao-overseas",
    name="Cainiao overseas warehouse",
    names={
        "zh-hans": "菜鸟海外仓配",
        "ja": "菜鳥（Cainiao）海外倉庫・配送",
        "vi": "Kho nước ngoài và giao hàng Cainiao",
    },
    currency="CNY",
    service_tax_rate=NO_TAX,
    customer_classes=("regular",),
    rules=(
        _delivery("delivery_fee", "13", "Delivery fee: first 1 kg 13, each further kg 13 (spec 7.1)"),
        PresetRule(
            kind="storage_turnover",
            charge_code="storage",
            section="storage",
            description="Storage 9.80 CNY per CBM per day past 60 days of turnover (spec 7.3)",
            params={"price_per_cbm_day": D("9.80"), "free_days": D(60), "per_item": False},
        ),
        CROSS_BORDER_TAX,
    ),
)

# Vietnamese China-side warehouse (spec 8 tables, seed 003): each figure as (VND, CNY) -------------

VN_CURRENCIES = ("VND", "CNY")
VN_LINES: dict[str, dict[str, Any]] = {
    "ecommerce": {
        "code": "vn-ecommerce",
        "name": "China warehouse, e-commerce line",
        "local_name": "Line thương mại điện tử",
        "fixed": {"regular": ("850", "0.26"), "partner": ("850", "0.26")},
        "tiers": (
            ("5000", {"regular": ("2750", "0.84"), "partner": ("2550", "0.77")}),
            ("20000", {"regular": ("2750", "0.84"), "partner": ("2350", "0.71")}),
            (None, {"regular": ("2750", "0.84"), "partner": ("2150", "0.65")}),
        ),
    },
    "general": {
        "code": "vn-general",
        "name": "China warehouse, general line",
        "local_name": "Line tổng hợp",
        "fixed": {"regular": ("800", "0.26"), "partner": ("850", "0.26")},
        "tiers": (
            ("5000", {"regular": ("2400", "0.73"), "partner": ("2200", "0.67")}),
            ("20000", {"regular": ("2400", "0.73"), "partner": ("2000", "0.61")}),
            (None, {"regular": ("2400", "0.73"), "partner": ("1800", "0.55")}),
        ),
    },
    "lot": {
        "code": "vn-lot",
        "name": "China warehouse, lot line",
        "local_name": "Line lô",
        "fixed": {"regular": ("850", "0.26"), "partner": ("850", "0.26")},
        "tiers": (
            ("5000", {"regular": ("500", "0.15"), "partner": ("450", "0.14")}),
            ("20000", {"regular": ("500", "0.15"), "partner": ("400", "0.12")}),
            (None, {"regular": ("500", "0.15"), "partner": ("350", "0.11")}),
        ),
    },
}

# units up to (None: above 500): (count, count accessory, inspect, inspect accessory), each (VND, CNY)
VN_PIECE_TIERS = (
    (2, ("2800", "0.85"), ("800", "0.24"), ("7000", "2.13"), ("2000", "0.61")),
    (10, ("2000", "0.61"), ("600", "0.18"), ("5000", "1.52"), ("1500", "0.46")),
    (100, ("1200", "0.36"), ("400", "0.12"), ("3000", "0.91"), ("1000", "0.30")),
    (500, ("800", "0.24"), ("400", "0.12"), ("2000", "0.61"), ("1000", "0.30")),
    (None, ("600", "0.18"), ("280", "0.09"), ("1500", "0.46"), ("700", "0.21")),
)

# VND only (the price list has no CNY column): code, max m³, crate shared, crate private, wood kg,
# wrap shared, wrap private; None where the list leaves the cell blank (not offered).
VN_SIZE_CODES = (
    ("S1", "0.01", "20000", "50000", "0.3", "15000", "30000"),
    ("S2", "0.02", "35000", "85000", "0.6", "20000", "40000"),
    ("S3", "0.04", "70000", "140000", "1.2", "40000", "80000"),
    ("S4", "0.08", "100000", "170000", "2.5", "60000", "120000"),
    ("M1", "0.15", "150000", "220000", "4", "80000", "160000"),
    ("M2", "0.25", "200000", "250000", "7", "110000", "220000"),
    ("M3", "0.35", "250000", None, "10", "130000", "260000"),
    ("L1", "0.45", "300000", None, "13", "160000", "320000"),
    ("L2", "0.5", "350000", None, "16", "180000", "360000"),
)
# X: per started 0.1 m³ above 0.5: crate shared + 50,000 and + 3 kg wood, wrap shared + 30,000.
VN_SIZE_INCREMENT = {"step_m3": "0.1", "crate_shared": "50000", "wood_kg": "3", "wrap_shared": "30000"}

# E-commerce split, container unloading, shipping mark: per kg (VND, CNY)
VN_PER_KG = (
    ("ecommerce_split", "E-commerce split", ("2000", "0.61")),
    ("container_unload", "Container unloading", ("500", "0.15")),
    ("shipping_mark", "Shipping mark", ("200", "0.06")),
)


def _optional(value: str | None) -> Decimal | None:
    return None if value is None else D(value)


def _vn_rules(line: str, currency: str) -> tuple[PresetRule, ...]:
    column = VN_CURRENCIES.index(currency)
    table = VN_LINES[line]
    rules = [
        PresetRule(
            kind="tiered_per_kg",
            charge_code="warehouse_service",
            section="fulfilment",
            description=f"{table['local_name']}: fixed per package + per kg by month volume (spec 7.6)",
            params={
                "line": line,
                "mode": "all_units",
                "fixed_per_package": {cls: D(pair[column]) for cls, pair in table["fixed"].items()},
                "tiers": [
                    {
                        "max_kg": _optional(max_kg),
                        "prices": {cls: D(pair[column]) for cls, pair in prices.items()},
                    }
                    for max_kg, prices in table["tiers"]
                ],
            },
        )
    ]
    for service, first, label in (("count", 1, "Counting"), ("inspect", 3, "Detailed inspection")):
        rules.append(
            PresetRule(
                kind="piece_tier",
                charge_code=service,
                section="services",
                description=f"{label} per unit, by units in the receiving line (spec 7.7)",
                params={
                    "service": service,
                    "accessory_below_cny": D(10),
                    "tiers": [
                        {
                            "max_units": row[0],
                            "price": D(row[first][column]),
                            "accessory_price": D(row[first + 1][column]),
                        }
                        for row in VN_PIECE_TIERS
                    ],
                },
            )
        )
    crate_codes = [
        {"code": c, "max_m3": D(m), "shared": D(s), "private": _optional(p), "wood_kg": D(w)}
        for c, m, s, p, w, _, _ in VN_SIZE_CODES
    ]
    wrap_codes = [
        {"code": c, "max_m3": D(m), "shared": D(s), "private": _optional(p)}
        for c, m, _, _, _, s, p in VN_SIZE_CODES
    ]
    step = D(VN_SIZE_INCREMENT["step_m3"])
    for service, codes, increment, label in (
        (
            "crate",
            crate_codes,
            {
                "code": "X",
                "step_m3": step,
                "shared": D(VN_SIZE_INCREMENT["crate_shared"]),
                "private": None,
                "wood_kg": D(VN_SIZE_INCREMENT["wood_kg"]),
            },
            "Wooden crating: surcharge + added wood kg × freight rate per kg",
        ),
        (
            "wrap",
            wrap_codes,
            {"code": "X", "step_m3": step, "shared": D(VN_SIZE_INCREMENT["wrap_shared"]), "private": None},
            "Bubble wrap: surcharge",
        ),
    ):
        rules.append(
            PresetRule(
                kind="size_code",
                charge_code=service,
                section="services",
                description=f"{label} by size code (spec 7.8); surcharges in VND"
                + ("" if currency == "VND" else ": no CNY column, so this CNY card refuses them"),
                # The price list has no CNY column here and states no rate: a CNY card refuses (fx_rate None).
                params={
                    "service": service,
                    "codes": codes,
                    "increment": increment,
                    "price_currency": "VND",
                    "fx_rate": None,
                },
            )
        )
    for service, label, prices in VN_PER_KG:
        rules.append(
            PresetRule(
                kind="per_kg",
                charge_code=service,
                section="services",
                description=f"{label} per kg (spec 7.9)",
                params={"service": service, "price_per_kg": D(prices[column]), "description": label},
            )
        )
    return tuple(rules)


# The lines' names in Chinese and Japanese (the Vietnamese one is the table's local_name).
VN_LINE_NAMES = {
    "ecommerce": {"zh-hans": "中国仓·电商专线", "ja": "中国倉庫・EC ライン"},
    "general": {"zh-hans": "中国仓·普货专线", "ja": "中国倉庫・一般貨物ライン"},
    "lot": {"zh-hans": "中国仓·整批专线", "ja": "中国倉庫・ロット便ライン"},
}


def _vn_card(line: str, currency: str) -> PresetCard:
    table = VN_LINES[line]
    return PresetCard(
        code=table["code"],
        name=f"{table['name']} ({currency})",
        names={
            "zh-hans": f"{VN_LINE_NAMES[line]['zh-hans']}（{currency}）",
            "ja": f"{VN_LINE_NAMES[line]['ja']}（{currency}）",
            "vi": f"Kho Trung Quốc, {table['local_name']} ({currency})",
        },
        currency=currency,
        service_tax_rate=NO_TAX,
        customer_classes=("regular", "partner"),
        rules=_vn_rules(line, currency),
        notes=""
        if currency == "VND"
        else "Crating and bubble wrap are priced in VND only; this CNY card refuses them.",
    )


# Japanese sample card (spec 8): every figure below is a SAMPLE, not a quoted price --------------

LINKSTAR_JP_SAMPLE = PresetCard(
    code="linkstar-jp-sample",
    name="Linkstar Japan overseas warehouse (SAMPLE figures)",
    names={
        "ja": "Linkstar 日本海外倉庫（サンプル料金）",
        "zh-hans": "Linkstar 日本海外仓（示例价格）",
        "vi": "Kho nước ngoài Linkstar Nhật Bản (giá mẫu)",
    },
    currency="JPY",
    service_tax_rate=D("0.10"),
    customer_classes=("regular",),
    is_sample=True,
    notes="Sample figures for demonstration only; they are not Linkstar's prices. JCT 10 %.",
    rules=(
        PresetRule(
            kind="per_unit",
            charge_code="receiving",
            section="services",
            description="Receiving per carton (sample price)",
            params={
                "prices": {
                    "receiving_carton": {
                        "price": D(300),
                        "unit": "carton",
                        "description": "Receiving per carton (sample)",
                    }
                },
            },
        ),
        PresetRule(
            kind="storage_monthly_volume",
            charge_code="storage",
            section="storage",
            description="Storage per CBM per month on the average stored volume (sample price)",
            params={"price_per_cbm_month": D(5000)},
        ),
        PresetRule(
            kind="order_handling",
            charge_code="order_handling",
            section="fulfilment",
            description="Order handling per order, plus per unit beyond the first (sample prices)",
            params={"per_order": D(250), "per_extra_unit": D(50), "included_units": 1},
        ),
        PresetRule(
            kind="size_band",
            charge_code="last_mile",
            section="fulfilment",
            description="Last mile by size band (sum of three sides) and weight, 2 carriers (sample prices)",
            params={
                "carriers": {
                    "yamato": [
                        {"size_cm": size, "max_kg": D(kg), "price": D(price)}
                        for size, kg, price in (
                            (60, 2, 940),
                            (80, 5, 1200),
                            (100, 10, 1460),
                            (120, 15, 1730),
                            (140, 20, 2000),
                            (160, 25, 2270),
                        )
                    ],
                    "sagawa": [
                        {"size_cm": size, "max_kg": D(kg), "price": D(price)}
                        for size, kg, price in (
                            (60, 2, 880),
                            (80, 5, 1130),
                            (100, 10, 1390),
                            (120, 15, 1650),
                            (140, 20, 1910),
                            (160, 30, 2170),
                        )
                    ],
                },
            },
        ),
    ),
)

PRESET_CARDS: tuple[PresetCard, ...] = (
    CAINIAO_BONDED,
    TMALL_IMPORT,
    CAINIAO_OVERSEAS,
    *(_vn_card(line, currency) for line in VN_LINES for currency in VN_CURRENCIES),
    LINKSTAR_JP_SAMPLE,
)


def get_preset(code: str, currency: str | None = None) -> PresetCard:
    """The preset card of that code (and currency, required when the code exists in several)."""
    matches = [card for card in PRESET_CARDS if card.code == code and currency in (None, card.currency)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise LookupError(f"no preset rate card {code!r}" + (f" in {currency}" if currency else ""))
    currencies = ", ".join(card.currency for card in matches)
    raise LookupError(f"preset rate card {code!r} exists in {currencies}: name the currency")
