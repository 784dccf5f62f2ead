"""Invariants of the rules (spec 2, 7): never negative, rounded once, heavier never cheaper, totals add up."""

from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tariffs.preset_data import PresetCard, get_preset
from tariffs.rules import (
    SECTIONS,
    CustomsDeclaration,
    InboundWeight,
    Parcel,
    Period,
    ReceivingService,
    RuleContext,
    ServiceUse,
    StockDay,
    bill_rule,
    invoice_totals,
    round_money,
)

settings.register_profile("rules", max_examples=150, deadline=None)
settings.load_profile("rules")

WEIGHTS = st.decimals(min_value="0.001", max_value="500", places=3)
KINDS = st.integers(min_value=1, max_value=40)
DELIVERY_CARDS = st.sampled_from(["cainiao-bonded", "tmall-import", "cainiao-overseas"])
VN_CARDS = st.tuples(
    st.sampled_from(["vn-ecommerce", "vn-general", "vn-lot"]),
    st.sampled_from(["VND", "CNY"]),
    st.sampled_from(["regular", "partner"]),
)


def rule_of(card: PresetCard, kind, service=None):
    return next(
        rule
        for rule in card.rules
        if rule.kind == kind and (service is None or rule.params.get("service") == service)
    )


def bill(card, rule, facts, customer_class="regular", period=None):
    ctx = RuleContext(rule.charge_code, card.currency, rule.section, customer_class, period)
    return bill_rule(rule.kind, facts, rule.params, ctx)


def parcel_fee(code, weight, kinds):
    card = get_preset(code)
    [line] = bill(
        card, rule_of(card, "weight_step"), [Parcel(order_no="P", weight_kg=weight, sku_kinds=kinds)]
    )
    return line.amount


@given(DELIVERY_CARDS, WEIGHTS, WEIGHTS, KINDS)
def test_a_heavier_parcel_never_costs_less(code, first, second, kinds):
    light, heavy = sorted((first, second))
    assert parcel_fee(code, light, kinds) <= parcel_fee(code, heavy, kinds)


@given(WEIGHTS, KINDS)
def test_weight_step_amount_is_the_spec_formula_rounded_once(weight, kinds):
    chargeable = int(weight) + (1 if weight % 1 else 0)  # whole kg rounded up, the bonded card's step
    exact = 13 + 3 * max(Decimal(0), chargeable - 1) + Decimal("0.5") * max(0, kinds - 4)
    assert parcel_fee("cainiao-bonded", weight, kinds) == round_money(exact, "CNY")


@given(
    st.decimals(min_value="0", max_value="100000", places=2),
    st.decimals(min_value="0", max_value="0.5", places=3),
    st.decimals(min_value="0", max_value="0.9", places=3),
    st.decimals(min_value="0", max_value="0.3", places=3),
)
def test_cross_border_tax_is_rounded_once_and_never_negative(value, tariff_rate, consumption_rate, vat_rate):
    card = get_preset("cainiao-bonded")
    decl = CustomsDeclaration("O", value, tariff_rate, consumption_rate, vat_rate)
    [line] = bill(card, rule_of(card, "cross_border_tax"), [decl])
    tariff = value * tariff_rate
    consumption = (value + tariff) / (1 - consumption_rate) * consumption_rate
    vat = (value + tariff + consumption) * vat_rate
    assert line.amount == round_money((consumption + vat) * Decimal("0.7"), "CNY")
    assert line.amount >= 0


@given(
    VN_CARDS, st.integers(min_value=0, max_value=500), st.decimals(min_value="0", max_value="40000", places=1)
)
def test_tiered_amount_is_rounded_once_and_never_negative(card_key, packages, weight):
    code, currency, customer_class = card_key
    card = get_preset(code, currency)
    rule = rule_of(card, "tiered_per_kg")
    [line] = bill(card, rule, [InboundWeight(rule.params["line"], packages, weight)], customer_class)
    fixed = rule.params["fixed_per_package"][customer_class]
    tier = next(t for t in rule.params["tiers"] if t["max_kg"] is None or weight <= t["max_kg"])
    assert line.amount == round_money(packages * fixed + weight * tier["prices"][customer_class], currency)
    assert line.amount >= 0


@given(
    VN_CARDS, st.sampled_from(["count", "inspect"]), st.integers(1, 2000), st.decimals("0", "100", places=2)
)
def test_piece_tier_is_units_times_the_tier_price_never_negative(card_key, service, units, value):
    code, currency, _ = card_key
    card = get_preset(code, currency)
    rule = rule_of(card, "piece_tier", service)
    [line] = bill(card, rule, [ReceivingService(service, units=units, unit_value_cny=value)])
    assert line.amount >= 0
    assert line.amount == round_money(line.quantity * line.unit_price, currency)


@given(
    st.sampled_from(["crate", "wrap"]),
    st.decimals("0.0001", "3", places=4),
    st.decimals("0", "5000", places=0),
)
def test_size_code_shared_never_negative_and_bigger_never_cheaper(service, volume, rate):
    card = get_preset("vn-general", "VND")
    rule = rule_of(card, "size_code", service)

    def fee(v):
        row = ReceivingService(f"{service}_shared", volume_m3=v, freight_rate_per_kg=rate)
        return bill(card, rule, [row])[0].amount

    assert fee(volume) >= 0
    assert fee(volume) <= fee(volume + Decimal("0.05"))


@given(
    st.integers(min_value=1, max_value=12),
    st.lists(
        st.tuples(st.integers(0, 500), st.integers(0, 50), st.decimals("0", "20", places=4)),
        min_size=1,
        max_size=31,
    ),
)
def test_turnover_fee_never_negative_never_above_every_day_billed(month, days):
    period = Period(2024, month)
    facts = [
        StockDay(period.first_day + timedelta(days=i), "A", stock, sales, volume)
        for i, (stock, sales, volume) in enumerate(days[: period.days])
    ]
    card = get_preset("cainiao-overseas")
    [line] = bill(card, rule_of(card, "storage_turnover"), facts, period=period)
    assert 0 <= line.inputs["billable_days"] <= period.days
    assert line.amount >= 0
    assert line.amount <= round_money(Decimal("9.8") * sum(f.volume_m3 for f in facts), "CNY")


def mixed_lines(draw_parcels, draw_taxes, draw_counts):
    bonded = get_preset("cainiao-bonded")
    lines = bill(bonded, rule_of(bonded, "weight_step"), draw_parcels)
    lines += bill(bonded, rule_of(bonded, "cross_border_tax"), draw_taxes)
    vas = rule_of(bonded, "per_unit")
    return lines + bill(bonded, vas, draw_counts)


PARCELS = st.lists(st.builds(Parcel, order_no=st.just("P"), weight_kg=WEIGHTS, sku_kinds=KINDS), max_size=8)
TAXES = st.lists(
    st.builds(
        CustomsDeclaration,
        order_no=st.just("T"),
        dutiable_value=st.decimals("0", "5000", places=2),
        tariff_rate=st.just(Decimal(0)),
        consumption_tax_rate=st.decimals("0", "0.5", places=2),
        vat_rate=st.decimals("0", "0.2", places=2),
    ),
    max_size=5,
)


@given(PARCELS, TAXES, st.integers(0, 1000), st.sampled_from(["0", "0.06", "0.1"]))
def test_sections_and_totals_add_up(parcels, taxes, kits, rate):
    lines = mixed_lines(parcels, taxes, [ServiceUse("kitting", Decimal(kits))])
    totals = invoice_totals(lines, currency="CNY", service_tax_rate=Decimal(rate))
    for section in SECTIONS:
        assert totals.sections[section] == sum(
            (line.amount for line in lines if line.section == section), Decimal(0)
        )
    assert totals.subtotal == sum((line.amount for line in lines), Decimal(0))
    assert totals.service_tax == round_money(
        (totals.subtotal - totals.sections["pass_through"]) * Decimal(rate), "CNY"
    )
    assert totals.total == totals.subtotal + totals.service_tax
    assert all(line.amount >= 0 for line in lines)
    for line in lines:
        if line.unit_price is not None:
            assert line.amount == round_money(line.quantity * line.unit_price, "CNY")
