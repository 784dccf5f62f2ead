"""Load the SPEC §8 preset rate cards (``tariffs.preset_data``) into the database; codes are stable."""

from datetime import date

from tariffs.preset_data import PRESET_CARDS
from tariffs.rules import normalize_params, validate_section

# Who runs the warehouses behind each preset card.
OPERATORS = {
    "cainiao": {"name": "Cainiao 菜鸟", "legal_name": "菜鸟网络科技有限公司", "country": "CN"},
    "vn-cn-warehouse": {
        "name": "Kho Trung Quốc (VN)",
        "legal_name": "Dịch vụ kho Trung Quốc",
        "country": "VN",
    },
    "linkstar": {"name": "Linkstar Japan", "legal_name": "Linkstar 株式会社 (sample)", "country": "JP"},
}
DEFAULT_VALID_FROM = date(2016, 1, 1)


def operator_code_for(card_code: str) -> str:
    if card_code.startswith("vn-"):
        return "vn-cn-warehouse"
    if card_code.startswith("linkstar"):
        return "linkstar"
    return "cainiao"


def load_presets(apps, schema_editor=None) -> None:
    """Create each preset card with version 1 and its rules, unless that code and currency exist."""
    RateCard = apps.get_model("tariffs", "RateCard")
    # The operator model the rate card points at: inventory's in the state of migration 0002, the base
    # app's (portal) since operators moved there (issue 11).
    Operator = RateCard._meta.get_field("operator").related_model
    RateCardVersion = apps.get_model("tariffs", "RateCardVersion")
    FeeRule = apps.get_model("tariffs", "FeeRule")
    operators = {
        code: Operator.objects.get_or_create(code=code, defaults=fields)[0]
        for code, fields in OPERATORS.items()
    }
    for preset in PRESET_CARDS:
        if RateCard.objects.filter(code=preset.code, currency=preset.currency).exists():
            continue
        card = RateCard.objects.create(
            code=preset.code,
            currency=preset.currency,
            name=preset.name,
            operator=operators[operator_code_for(preset.code)],
            customer_classes=list(preset.customer_classes),
            service_tax_rate=preset.service_tax_rate,
            is_sample=preset.is_sample,
            notes=preset.notes,
            **({"names": dict(preset.names)} if has_field(RateCard, "names") else {}),
        )
        version = RateCardVersion.objects.create(
            rate_card=card,
            version=preset.version,
            valid_from=preset.valid_from or DEFAULT_VALID_FROM,
            valid_to=preset.valid_to,
            notes="Preset of SPEC §8",
            **(
                {"not_billed_kinds": list(preset.not_billed_kinds)}
                if has_not_billed_kinds(RateCardVersion)
                else {}
            ),
        )
        FeeRule.objects.bulk_create(
            FeeRule(
                version=version,
                position=position,
                kind=rule.kind,
                charge_code=rule.charge_code,
                section=validate_section(rule.kind, rule.section),
                description=rule.description,
                params=normalize_params(rule.kind, rule.params),
            )
            for position, rule in enumerate(preset.rules)
        )


def has_field(model, name: str) -> bool:
    """Earlier migrations run with the model as it was then (``names`` arrives in 0005)."""
    return any(f.name == name for f in model._meta.get_fields())


def set_card_names(apps, schema_editor=None) -> None:
    """Give the preset cards their names in Chinese, Japanese and Vietnamese, unless ops have set some."""
    RateCard = apps.get_model("tariffs", "RateCard")
    for preset in PRESET_CARDS:
        for card in RateCard.objects.filter(code=preset.code, currency=preset.currency):
            if not card.names:
                card.names = dict(preset.names)
                card.save(update_fields=["names"])


def has_not_billed_kinds(version_model) -> bool:
    """Migration 0002 runs with the model before ``not_billed_kinds`` existed (0003 adds and sets it)."""
    return any(f.name == "not_billed_kinds" for f in version_model._meta.get_fields())


def set_not_billed_kinds(apps, schema_editor=None) -> None:
    """Give the preset versions their list of ledger kinds not billed (``tmall-import``: stock)."""
    RateCardVersion = apps.get_model("tariffs", "RateCardVersion")
    for preset in PRESET_CARDS:
        if preset.not_billed_kinds:
            versions = RateCardVersion.objects.filter(
                rate_card__code=preset.code,
                rate_card__currency=preset.currency,
                version=preset.version,
                frozen_at__isnull=True,
            )
            for version in versions:
                if not version.not_billed_kinds:
                    version.not_billed_kinds = list(preset.not_billed_kinds)
                    version.save(update_fields=["not_billed_kinds"])
