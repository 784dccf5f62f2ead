"""Destination compliance (SPEC §4): which requirements a SKU misses before it may ship into a destination.

The rules are ``DestinationRule`` rows (seeded from the SPEC table, extended by ops), not code branches.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext

from inventory.models import DestinationRule, Sku
from tariffs.messages import render_text
from tariffs.rules import Text

DESTINATIONS = ("JP", "EU", "GB", "US")
FLAGS = ("has_battery", "is_liquid", "is_powder", "is_electrical", "is_fragile")


# The requirements seeded from SPEC §4 (migration 0003) and their message ids (issue 12); a requirement ops
# add later has no id and reads as written (through gettext, should the catalog know it).
REQUIREMENT_IDS = {
    "valid PSE certificate (electrical product)": "compliance.pse",
    "valid MSDS (battery, liquid or powder)": "compliance.msds",
    "Japanese product name": "compliance.name_ja",
    "valid CE certificate": "compliance.ce",
    "valid UKCA or CE certificate": "compliance.ukca_ce",
    "FDA registration number (food or cosmetics)": "compliance.fda",
    "HS code": "compliance.hs_code",
    "declared value above 0": "compliance.declared_value",
    "net weight": "compliance.net_weight",
    "item dimensions": "compliance.dimensions",
}


@dataclass(frozen=True)
class Missing:
    destination: str
    requirement: str  # in English, as the rule states it: the fallback

    @property
    def text(self) -> Text | None:
        """The requirement as a message id (``compliance.pse`` ...), None for one ops wrote themselves."""
        message_id = REQUIREMENT_IDS.get(self.requirement)
        return None if message_id is None else Text(message_id)

    @property
    def label(self) -> str:
        """The requirement in the active language."""
        return render_text(self.text, gettext(self.requirement))


def field_present(sku: Sku, field: str) -> bool:
    if field == "dimensions":
        return all((sku.length_mm, sku.width_mm, sku.height_mm))
    value = getattr(sku, field, None)
    if field in ("declared_value", "net_weight_g"):
        return value is not None and value > 0
    return bool(value)


def rule_applies(rule: DestinationRule, sku: Sku) -> bool:
    if not rule.applies_when:
        return True
    return any(getattr(sku, flag) if flag in FLAGS else sku.category == flag for flag in rule.applies_when)


def rule_met(rule: DestinationRule, sku: Sku, certificates: Iterable, today: date) -> bool:
    if rule.field:
        return field_present(sku, rule.field)
    return any(c.kind in rule.certificates and c.is_valid_on(today) for c in certificates)


def active_rules() -> list[DestinationRule]:
    return list(DestinationRule.objects.filter(active=True))


def missing_for(
    sku: Sku, destination: str, *, rules: list[DestinationRule], today: date, certificates: list | None = None
) -> list[Missing]:
    """What ``sku`` lacks for ``destination`` (rules of that destination and of ANY), in rule order."""
    if certificates is None:
        certificates = list(sku.certificates.all())  # prefetched by callers that check many SKUs
    return [
        Missing(destination, rule.requirement)
        for rule in rules
        if rule.destination in (destination, "ANY")
        and rule_applies(rule, sku)
        and not rule_met(rule, sku, certificates, today)
    ]


def readiness(
    sku: Sku, *, rules: list[DestinationRule], today: date, destinations: Iterable[str] = DESTINATIONS
) -> dict[str, list[Missing]]:
    """Per destination, what is missing ([] means ready)."""
    certificates = list(sku.certificates.all())
    return {
        destination: missing_for(sku, destination, rules=rules, today=today, certificates=certificates)
        for destination in destinations
    }
