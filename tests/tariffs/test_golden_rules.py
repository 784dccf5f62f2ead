"""Every rule case of ../shared/golden/seed_cases.json, loaded as it is, against the spec 8 presets."""

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tariffs.preset_data import PresetCard, PresetRule, get_preset
from tariffs.rules import (
    CustomsDeclaration,
    InboundWeight,
    Parcel,
    Period,
    ReceivingService,
    RuleContext,
    RuleError,
    StockDay,
    bill_rule,
    round_money,
)

GOLDEN = Path(__file__).resolve().parents[3] / "shared" / "golden"
CASES = json.loads((GOLDEN / "seed_cases.json").read_text(encoding="utf-8"))


def cases(kind):
    return pytest.mark.parametrize("case", CASES[kind], ids=[case["source"] for case in CASES[kind]])


def find_rule(card: PresetCard, kind: str, service: str | None = None) -> PresetRule:
    found = [
        rule
        for rule in card.rules
        if rule.kind == kind and (service is None or rule.params.get("service") == service)
    ]
    assert len(found) == 1, f"{card.code} {card.currency} has {len(found)} {kind} rules for {service}"
    return found[0]


def bill(card, rule, facts, *, customer_class="regular", period=None):
    ctx = RuleContext(
        charge_code=rule.charge_code,
        currency=card.currency,
        section=rule.section,
        customer_class=customer_class,
        period=period,
    )
    return bill_rule(rule.kind, facts, rule.params, ctx)


def only_amount(lines):
    assert len(lines) == 1
    return lines[0].amount


def test_golden_file_has_the_rule_kinds_checked_here():
    assert {"weight_step", "cross_border_tax", "tiered_per_kg", "piece_tier", "size_code"} <= set(CASES)


@cases("weight_step")
def test_weight_step_golden(case):
    card = get_preset(case["rate_card"], "CNY")
    parcel = Parcel(order_no="G1", weight_kg=Decimal(case["weight_kg"]), sku_kinds=case["sku_kinds"], ref=1)
    lines = bill(card, find_rule(card, "weight_step"), [parcel])
    assert only_amount(lines) == Decimal(case["expected"])
    assert lines[0].section == "fulfilment"
    assert lines[0].formula.endswith(f"= {case['expected']}")
    assert lines[0].source_refs == (1,)


@cases("cross_border_tax")
def test_cross_border_tax_golden(case):
    card = get_preset(case["rate_card"], "CNY")
    declaration = CustomsDeclaration(
        order_no="G1",
        dutiable_value=Decimal(case["dutiable_value"]),
        tariff_rate=Decimal(case["tariff_rate"]),
        consumption_tax_rate=Decimal(case["consumption_tax_rate"]),
        vat_rate=Decimal(case["vat_rate"]),
    )
    [line] = bill(card, find_rule(card, "cross_border_tax"), [declaration])
    expected = case["expected"]
    assert line.amount == Decimal(expected["payable"])
    assert line.section == "pass_through"
    assert round_money(line.inputs["consumption_tax"], "CNY") == Decimal(expected["consumption_tax"])
    assert round_money(line.inputs["vat"], "CNY") == Decimal(expected["vat"])


@cases("tiered_per_kg")
def test_tiered_per_kg_golden(case):
    card = get_preset(case["rate_card"], case["currency"])
    assert Decimal(case["month_total_kg"]) == Decimal(case["weight_kg"]), "one row is the whole month"
    rule = find_rule(card, "tiered_per_kg")
    row = InboundWeight(
        line=rule.params["line"], packages=case["packages"], weight_kg=Decimal(case["weight_kg"])
    )
    lines = bill(card, rule, [row], customer_class=case["customer_class"])
    assert only_amount(lines) == Decimal(case["expected"])


@cases("piece_tier")
def test_piece_tier_golden(case):
    card = get_preset(case["rate_card"], case["currency"])
    row = ReceivingService(
        service=case["service"], units=case["units"], unit_value_cny=Decimal(case["unit_value_cny"])
    )
    lines = bill(card, find_rule(card, "piece_tier", case["service"]), [row])
    assert only_amount(lines) == Decimal(case["expected"])


@cases("size_code")
def test_size_code_golden(case):
    card = get_preset(case["rate_card"], case["currency"])
    rule = find_rule(card, "size_code", case["service"].partition("_")[0])
    rate = case.get("freight_rate_per_kg")
    row = ReceivingService(
        service=case["service"],
        volume_m3=Decimal(case["volume_m3"]),
        freight_rate_per_kg=None if rate is None else Decimal(rate),
    )
    if case["expected"] == "error":
        with pytest.raises(RuleError, match=r"crate_private.*M3"):
            bill(card, rule, [row])
    else:
        assert only_amount(bill(card, rule, [row])) == Decimal(case["expected"])


def seed_stock_ledger():
    """The seed's worked ledger built by hand: June 2016, 30 daily rows, 82 units, no sales, 1.1726 m³."""
    june = date(2016, 6, 1)
    return [
        StockDay(
            business_date=june + timedelta(days=offset),
            item_id="50000001",
            stock_qty=82,
            sales_qty=0,
            volume_m3=Decimal("1.1726"),
            ref=offset + 2,
        )
        for offset in range(30)
    ]


def test_storage_turnover_golden_from_hand_built_facts():
    case = CASES["storage_turnover"][0]
    card = get_preset(case["rate_card"], "CNY")
    [line] = bill(
        card, find_rule(card, "storage_turnover"), seed_stock_ledger(), period=Period.parse(case["period"])
    )
    assert line.amount == Decimal(case["expected"]["fee"])
    assert line.inputs["billable_days"] == Decimal(case["expected"]["billable_days"])
    assert line.inputs["avg_volume_m3"] == Decimal(case["expected"]["avg_volume_m3"])
    assert "30 × 9.8 × 1.1726 = 344.74" in line.formula
    assert len(line.source_refs) == 30


def test_storage_daily_volume_golden_from_hand_built_facts():
    case = CASES["storage_daily_volume"][0]
    card = get_preset(case["rate_card"], "CNY")
    [line] = bill(
        card,
        find_rule(card, "storage_daily_volume"),
        seed_stock_ledger(),
        period=Period.parse(case["period"]),
    )
    assert line.quantity == Decimal(case["expected"]["cbm_days"])
    assert line.amount == Decimal(case["expected"]["fee"])
