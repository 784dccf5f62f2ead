"""The registry of rule kinds, params validation by field, the spec 8 presets, and no Django in the rules."""

import ast
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tariffs.preset_data import PRESET_CARDS, get_preset
from tariffs.rules import (
    KINDS,
    Parcel,
    RuleContext,
    RuleError,
    bill_rule,
    get_kind,
    normalize_params,
    validate_params,
    validate_section,
)

REPO = Path(__file__).resolve().parents[2]
PURE_FILES = [*sorted((REPO / "tariffs" / "rules").glob("*.py")), REPO / "tariffs" / "preset_data.py"]
ALLOWED_IMPORTS = {"__future__", "collections", "dataclasses", "datetime", "decimal", "math", "typing"}
PURE_PROJECT_MODULES = {"portal.money"}  # the base's money helpers (issue 11): pure too
PURE_FILES.append(REPO / "portal" / "money.py")


def test_every_spec_rule_kind_is_registered():
    spec_kinds = {
        "weight_step",
        "storage_daily_volume",
        "storage_turnover",
        "per_unit",
        "cross_border_tax",
        "tiered_per_kg",
        "piece_tier",
        "size_code",
        "per_kg",
        "minimum_monthly",
        "chargeable_weight",
        "size_band",
    }
    assert spec_kinds <= set(KINDS)
    assert set(KINDS) - spec_kinds == {"storage_monthly_volume", "order_handling"}


def test_unknown_kind_is_refused():
    with pytest.raises(RuleError) as error:
        get_kind("flat_fee")
    assert error.value.field == "kind"


@pytest.mark.parametrize(
    ("kind", "params", "field", "top"),
    [
        ("storage_turnover", {"price_per_cbm_day": "9.8"}, "free_days", "free_days"),
        (
            "storage_turnover",
            {"price_per_cbm_day": "x", "free_days": 60},
            "price_per_cbm_day",
            "price_per_cbm_day",
        ),
        ("per_unit", {"prices": {"a": {"price": "-1"}}}, "prices.a.price", "prices"),
        ("per_unit", {"at_cost": {"a": {"section": "storage"}}}, "at_cost.a.section", "at_cost"),
        ("piece_tier", {"service": "count", "tiers": []}, "tiers", "tiers"),
        (
            "size_band",
            {"carriers": {"yamato": [{"size_cm": 60, "max_kg": "2"}]}},
            "carriers.yamato[0].price",
            "carriers",
        ),
        ("cross_border_tax", {"discount": 0.7}, "discount", "discount"),
        (
            "minimum_monthly",
            {"minimum": "1", "counted_sections": ["tips"]},
            "counted_sections",
            "counted_sections",
        ),
    ],
)
def test_validate_params_names_the_bad_field(kind, params, field, top):
    with pytest.raises(RuleError) as error:
        validate_params(kind, params)
    assert error.value.field == field
    assert error.value.top_field == top


def test_params_must_be_a_mapping():
    with pytest.raises(RuleError, match="mapping"):
        validate_params("weight_step", ["first_kg"])


def test_sections_by_kind():
    assert validate_section("weight_step", None) == "fulfilment"
    assert validate_section("cross_border_tax", "") == "pass_through"
    assert validate_section("minimum_monthly", None) == "adjustments"
    with pytest.raises(RuleError, match="pass_through"):
        validate_section("cross_border_tax", "services")
    with pytest.raises(RuleError):
        validate_section("weight_step", "pass_through")


def test_bill_rule_fills_the_default_section():
    params = {"first_kg": "1", "first_price": "13", "step_kg": "1", "step_price": "13"}
    [line] = bill_rule(
        "weight_step", [Parcel(order_no="A", weight_kg=Decimal(5))], params, RuleContext("d", "CNY")
    )
    assert (line.section, line.amount) == ("fulfilment", Decimal("65.00"))


def test_preset_codes_and_currencies_are_the_specs():
    assert sorted((card.code, card.currency) for card in PRESET_CARDS) == sorted(
        [
            ("cainiao-bonded", "CNY"),
            ("tmall-import", "CNY"),
            ("cainiao-overseas", "CNY"),
            ("vn-ecommerce", "VND"),
            ("vn-ecommerce", "CNY"),
            ("vn-general", "VND"),
            ("vn-general", "CNY"),
            ("vn-lot", "VND"),
            ("vn-lot", "CNY"),
            ("linkstar-jp-sample", "JPY"),
        ]
    )


def test_preset_kinds_per_card():
    def kinds(code, currency=None):
        return sorted(rule.kind for rule in get_preset(code, currency).rules)

    assert kinds("cainiao-bonded") == ["cross_border_tax", "per_unit", "storage_daily_volume", "weight_step"]
    assert kinds("tmall-import") == ["cross_border_tax", "weight_step"]
    assert kinds("cainiao-overseas") == ["cross_border_tax", "storage_turnover", "weight_step"]
    for code in ("vn-ecommerce", "vn-general", "vn-lot"):
        for currency in ("VND", "CNY"):
            assert kinds(code, currency) == sorted(
                [
                    "tiered_per_kg",
                    "piece_tier",
                    "piece_tier",
                    "size_code",
                    "size_code",
                    "per_kg",
                    "per_kg",
                    "per_kg",
                ]
            )
    assert kinds("linkstar-jp-sample") == [
        "order_handling",
        "per_unit",
        "size_band",
        "storage_monthly_volume",
    ]


def test_tax_rates_classes_and_the_sample_flag():
    jp = get_preset("linkstar-jp-sample")
    assert jp.service_tax_rate == Decimal("0.10")
    assert jp.is_sample and "sample" in jp.name.lower()
    assert all("sample" in rule.description for rule in jp.rules)
    assert {card.service_tax_rate for card in PRESET_CARDS if card.currency == "CNY"} == {Decimal(0)}
    assert get_preset("vn-lot", "VND").customer_classes == ("regular", "partner")
    assert [card.is_sample for card in PRESET_CARDS].count(True) == 1


def test_get_preset_needs_the_currency_when_a_code_has_two():
    with pytest.raises(LookupError, match="VND, CNY"):
        get_preset("vn-lot")
    with pytest.raises(LookupError):
        get_preset("nope")


@pytest.mark.parametrize("card", PRESET_CARDS, ids=lambda card: f"{card.code}-{card.currency}")
def test_every_preset_rule_validates_and_survives_json(card):
    for rule in card.rules:
        validate_section(rule.kind, rule.section)
        typed = validate_params(rule.kind, rule.params)
        stored = json.loads(json.dumps(normalize_params(rule.kind, rule.params)))
        assert validate_params(rule.kind, stored) == typed


def test_preset_charge_codes_are_unique_per_card():
    for card in PRESET_CARDS:
        codes = [rule.charge_code for rule in card.rules]
        assert len(codes) == len(set(codes)), card.code


def test_rules_and_presets_import_only_the_allowed_stdlib():
    for path in PURE_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                allowed = name.startswith("tariffs.rules") or name in PURE_PROJECT_MODULES
                assert name.split(".")[0] in ALLOWED_IMPORTS or allowed, (path, name)


def test_importing_the_rules_loads_no_django():
    code = "import sys, tariffs.rules, tariffs.preset_data\nprint([m for m in sys.modules if 'django' in m])"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
