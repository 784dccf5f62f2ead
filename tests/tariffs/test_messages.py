"""Words in the reader's language (issue 12): every rule kind's lines carry message ids whose templates render
with their params in English (exactly the English strings), Chinese, Japanese and Vietnamese."""

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from tariffs.engine import MonthFacts, RuleSpec, UnbilledRowsError, compute_invoice
from tariffs.messages import CATALOG, render, render_text
from tariffs.rules import (
    KINDS,
    CustomsDeclaration,
    InboundWeight,
    Parcel,
    Period,
    ReceivingService,
    RuleContext,
    RuleError,
    ServiceUse,
    StockDay,
    Text,
    bill_rule,
)
from tests.message_translations import LANGUAGES, TRANSLATIONS, translated  # noqa: F401

D = Decimal
MARCH = Period(2025, 3)
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def tiers(*bounds):
    return [{"max_kg": b, "prices": {"regular": "1.2", "partner": "0.9"}} for b in bounds]


STOCK = [
    StockDay(date(2025, 3, day), item, stock, sales, D(volume), ref=f"{item}-{day}")
    for item, stock, sales, volume in (("A", 100, 1, "0.5"), ("B", 20, 4, "0.1"))
    for day in (1, 2)
]
CRATE = {
    "service": "crate",
    "codes": [{"code": "S1", "max_m3": "0.01", "shared": "10", "private": "20", "wood_kg": "2"}],
    "increment": {"step_m3": "0.01", "shared": "5", "private": None, "wood_kg": "1"},
}
TIERED = {"fixed_per_package": {"regular": "2", "partner": "1"}, "tiers": tiers("100", "5000", None)}
PARCELS = [
    Parcel("P1", D("2.3"), 1, units=1, carrier="yamato", length_mm=D(200), width_mm=D(150), height_mm=D(100)),
    Parcel("P2", D("0.5"), 6, units=3, carrier="yamato", length_mm=D(300), width_mm=D(200), height_mm=D(250)),
    Parcel("P3", D("0.4"), 6, units=1, carrier="yamato", length_mm=D(100), width_mm=D(100), height_mm=D(100)),
]
WEIGHT_STEP = {"first_kg": "1", "first_price": "13", "step_kg": "1", "step_price": "3", "sku_price": "0.5"}

# (kind, params, facts, currency, customer class): together every line and formula shape of every rule kind.
CASES = [
    ("weight_step", {**WEIGHT_STEP, "sku_free": 4}, PARCELS, "CNY", "regular"),
    ("weight_step", {**WEIGHT_STEP, "sku_free": 4, "lines": "grouped"}, PARCELS, "CNY", "regular"),
    ("storage_daily_volume", {"price_per_cbm_day": "3"}, STOCK, "CNY", "regular"),
    ("storage_turnover", {"price_per_cbm_day": "9.8", "free_days": "1"}, STOCK, "CNY", "regular"),
    (
        "storage_turnover",
        {"price_per_cbm_day": "9.8", "free_days": "1", "per_item": True},
        STOCK,
        "CNY",
        "regular",
    ),
    ("storage_monthly_volume", {"price_per_cbm_month": "5000"}, STOCK, "JPY", "regular"),
    (
        "per_unit",
        {
            "prices": {"labeling": {"price": "0.5", "description": "Extra labels and barcodes"}},
            "at_cost": {"destruction": {}, "lab_test": {"section": "services"}},
        },
        [
            ServiceUse("labeling", D(40)),
            ServiceUse("destruction", D(1), D("12.5")),
            *(ServiceUse("lab_test", D(1), D(n)) for n in range(1, 15)),
        ],
        "CNY",
        "regular",
    ),
    (
        "cross_border_tax",
        {},
        [CustomsDeclaration("T1", D(100), D(0), D("0.1"), D("0.13"))],
        "CNY",
        "regular",
    ),
    (
        "cross_border_tax",
        {"tariff_factor": "1"},
        [CustomsDeclaration("T2", D(100), D("0.1"), D("0.1"), D("0.13"))],
        "CNY",
        "regular",
    ),
    ("tiered_per_kg", TIERED, [InboundWeight("ecom", 3, D(50))], "CNY", "partner"),
    ("tiered_per_kg", {**TIERED, "line": "ecom"}, [InboundWeight("ecom", 3, D(200))], "CNY", "regular"),
    ("tiered_per_kg", TIERED, [InboundWeight("ecom", 9, D(6000))], "CNY", "regular"),
    (
        "tiered_per_kg",
        {"fixed_per_package": {"regular": "2"}, "tiers": [{"max_kg": None, "prices": {"regular": "1"}}]},
        [InboundWeight("ecom", 1, D(5))],
        "CNY",
        "regular",
    ),
    (
        "piece_tier",
        {
            "service": "count",
            "tiers": [
                {"max_units": 2, "price": "1", "accessory_price": "0.5"},
                {"max_units": None, "price": "0.8", "accessory_price": "0.3"},
            ],
        },
        [ReceivingService("count", units=1, unit_value_cny=D(20)), ReceivingService("count", 5, D(5))],
        "CNY",
        "regular",
    ),
    (
        "size_code",
        CRATE,
        [
            ReceivingService("crate_shared", volume_m3=D("0.005"), freight_rate_per_kg=D(3)),
            ReceivingService("crate_shared", volume_m3=D("0.006"), freight_rate_per_kg=D(3)),
            ReceivingService("crate_private", volume_m3=D("0.008"), freight_rate_per_kg=D(3)),
            ReceivingService("crate_shared", volume_m3=D("0.025"), freight_rate_per_kg=D(3)),
        ],
        "CNY",
        "regular",
    ),
    (
        "size_code",
        {"service": "wrap", "codes": [{"code": "S1", "max_m3": "0.01", "shared": "10", "private": "20"}]},
        [
            ReceivingService("wrap_shared", volume_m3=D("0.005")),
            ReceivingService("wrap_private", volume_m3=D("0.005")),
        ],
        "CNY",
        "regular",
    ),
    (
        "per_kg",
        {"service": "split", "price_per_kg": "0.5", "description": "E-commerce split"},
        [ReceivingService("split", weight_kg=D("12.5"))],
        "CNY",
        "regular",
    ),
    ("chargeable_weight", {"price_per_kg": "20"}, PARCELS[:1], "CNY", "regular"),
    (
        "size_band",
        {
            "carriers": {
                "yamato": [
                    {"size_cm": 60, "max_kg": "2", "price": "800"},
                    {"size_cm": 80, "max_kg": "5", "price": "1000"},
                ]
            }
        },
        PARCELS,
        "JPY",
        "regular",
    ),
    ("order_handling", {"per_order": "200", "per_extra_unit": "50"}, PARCELS, "JPY", "regular"),
]


def all_lines():
    result = []
    for kind, params, facts, currency, customer_class in CASES:
        ctx = RuleContext(kind, currency, customer_class=customer_class, period=MARCH)
        result += [(kind, line) for line in bill_rule(kind, facts, params, ctx)]
    fees = [line for kind, line in result if kind == "per_kg"]
    ctx = RuleContext("minimum", "CNY", period=MARCH)
    result += [
        ("minimum_monthly", line) for line in bill_rule("minimum_monthly", fees, {"minimum": "1000"}, ctx)
    ]
    return result


LINES = all_lines()


def test_the_cases_cover_every_rule_kind_and_every_line_and_formula_id_of_the_catalog():
    assert {kind for kind, _ in LINES} == set(KINDS)
    used = {line.description_text.id for _, line in LINES} | {line.formula_text.id for _, line in LINES}
    catalog = {key for key in CATALOG if key.startswith(("line.", "formula."))}
    assert used == catalog
    assert len(catalog) == 42


@pytest.mark.parametrize(("kind", "line"), LINES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(LINES)])
def test_a_line_renders_in_english_exactly_as_the_engine_wrote_it(kind, line):
    with translation.override("en"):
        assert render_text(line.description_text, "FALLBACK") == line.description
        assert render_text(line.formula_text, "FALLBACK") == line.formula
        stored = line.as_dict(detail=True)  # what an invoice line keeps: {"id", "params"}, JSON-safe
        assert render_text(json.loads(json.dumps(stored["description_text"])), "FALLBACK") == line.description
        assert render_text(json.loads(json.dumps(stored["formula_text"])), "FALLBACK") == line.formula


@pytest.mark.parametrize("language", ["zh-hans", "ja", "vi"])
@pytest.mark.usefixtures("translated")
def test_every_line_renders_in_each_language_without_falling_back(language):
    with translation.override(language):
        for _, line in LINES:
            for text in (line.description_text, line.formula_text):
                rendered = render_text(text, "FALLBACK")
                assert rendered != "FALLBACK" and "{" not in rendered, (text, rendered)


@pytest.mark.usefixtures("translated")
def test_chinese_japanese_and_vietnamese_differ_from_english_for_a_parcel():
    parcel = next(line for kind, line in LINES if line.description_text.id == "line.weight_step.parcel")
    assert parcel.description == "Parcel P1: 2.3 kg, 1 SKU kind"
    expected = {
        "en": "Parcel P1: 2.3 kg, 1 SKU kind",
        "zh-hans": "包裹 P1：2.3 公斤，1 种 SKU",
        "ja": "荷物 P1：2.3 kg、1 SKU種類",
        "vi": "Kiện hàng P1: 2.3 kg, 1 loại SKU",
    }
    for language, text in expected.items():
        with translation.override(language):
            assert render_text(parcel.description_text) == text


@pytest.mark.usefixtures("translated")
def test_counted_nouns_follow_the_english_plural_and_nested_messages_render():
    order = next(line for kind, line in LINES if kind == "order_handling")
    assert order.description == "Order handling: 3 orders, 2 extra units"
    with translation.override("zh-hans"):
        assert render_text(order.description_text) == "订单操作费：3 单，超出 2 件"
    storage = next(line for kind, line in LINES if line.description_text.id == "line.storage_daily_volume")
    with translation.override("ja"):
        assert render_text(storage.description_text) == "保管料 2025-03：1.2 m³・日"
    with translation.override("en"):
        assert render("count.parcel", {"count": 1}) == "1 parcel"
        assert render("count.parcel", {"count": 2}) == "2 parcels"


def test_unknown_ids_and_missing_params_fall_back_to_the_english_text():
    assert render("line.no_such_message", {"x": 1}, "English as stored") == "English as stored"
    assert render(None, None, "stored") == "stored"
    assert render("line.cross_border_tax", {}, "stored") == "stored"  # {order_no} missing
    assert render_text(None, "stored") == "stored"
    assert (
        render_text({"id": "line.cross_border_tax", "params": {"order_no": Text("nope")}}, "stored")
        == "stored"
    )
    assert (
        render_text(Text("line.cross_border_tax", {"order_no": "T9"}))
        == "Cross-border e-commerce tax, order T9"
    )


def test_the_translations_cover_every_catalog_template_with_the_same_placeholders():
    for message_id, template in CATALOG.items():
        if isinstance(template, str):  # a shape without words: the same in every language
            assert not re.sub(r"\{\w+\}", "", template).strip(" =×+−()/,.;0max"), message_id
            continue
        with translation.override("en"):
            msgid = str(template) or template.format(count=1).replace("1", "{count}", 1)  # a counted noun
        assert msgid in TRANSLATIONS, message_id
        entry = TRANSLATIONS[msgid]
        for column in LANGUAGES:
            assert set(PLACEHOLDER.findall(entry[column])) == set(PLACEHOLDER.findall(msgid)), (
                message_id,
                column,
            )


@pytest.mark.usefixtures("translated")
def test_a_refusal_carries_a_message_beside_its_english_text():
    ctx = RuleContext("vas", "CNY", period=MARCH)
    with pytest.raises(RuleError) as refused:
        bill_rule(
            "per_unit",
            [ServiceUse("gift_wrap", D(1), reference="R7")],
            {"prices": {"labeling": {"price": "1"}}},
            ctx,
        )
    assert (
        str(refused.value)
        == "reference R7: unknown service code 'gift_wrap' (this rate card knows: labeling)"
    )
    assert refused.value.text.id == "error.unknown_service_code"
    with translation.override("zh-hans"):
        assert (
            render_text(refused.value.text) == "单号 R7：未知的服务代码“gift_wrap”（本报价表包含：labeling）"
        )
    with pytest.raises(RuleError) as refused:
        bill_rule("storage_daily_volume", STOCK, {"price_per_cbm_day": "3"}, RuleContext("storage", "CNY"))
    assert refused.value.text == Text("error.period_required", {"kind": "storage_daily_volume"})


@pytest.mark.usefixtures("translated")
def test_unbilled_rows_name_their_ledger_in_the_readers_language():
    facts = MonthFacts(MARCH, {"stock": STOCK})
    rules = [RuleSpec("weight_step", "fee", {**WEIGHT_STEP, "sku_free": 4})]
    with pytest.raises(UnbilledRowsError) as refused:
        compute_invoice(facts, rules, currency="CNY")
    assert str(refused.value).startswith("the rate card has no rule for the stock ledger")
    with translation.override("vi"):
        assert render_text(refused.value.text) == (
            "bảng giá không có quy tắc cho sổ tồn kho và không ghi là không tính phí (4 dòng)"
        )


def test_the_seeded_compliance_requirements_have_message_ids():
    import importlib

    from inventory.catalog.compliance import REQUIREMENT_IDS

    seeded = importlib.import_module("inventory.migrations.0003_destination_rules").RULES
    assert {rule[-1] for rule in seeded} == set(REQUIREMENT_IDS)
    assert set(REQUIREMENT_IDS.values()) == {key for key in CATALOG if key.startswith("compliance.")}


@pytest.mark.usefixtures("translated")
def test_a_missing_requirement_reads_in_the_sellers_language_and_an_ops_one_as_written():
    from inventory.catalog.compliance import Missing

    pse = Missing("JP", "valid PSE certificate (electrical product)")
    assert pse.text == Text("compliance.pse")
    with translation.override("ja"):
        assert pse.label == "有効な PSE 適合証明（電気用品）"
    with translation.override("en"):
        assert pse.label == "valid PSE certificate (electrical product)"
    own = Missing("US", "a label in Spanish")
    assert own.text is None
    with translation.override("vi"):
        assert own.label == "a label in Spanish"


@pytest.mark.usefixtures("translated")
def test_the_template_filters_render_a_line_a_stored_dict_and_fall_back():
    from django.template import Context, Template

    parcel = next(line for kind, line in LINES if line.description_text.id == "line.weight_step.parcel")
    page = Template(
        "{% load messages %}{{ line|line_description }}|{{ line|line_formula }}|"
        "{{ stored|render_text:'old text' }}|{{ missing|render_text:'old text' }}"
    )
    context = Context({"line": parcel, "stored": parcel.description_text.as_dict(), "missing": None})
    with translation.override("zh-hans"):
        rendered = page.render(context)
    assert rendered == f"包裹 P1：2.3 公斤，1 种 SKU|{parcel.formula}|包裹 P1：2.3 公斤，1 种 SKU|old text"
