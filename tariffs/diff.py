"""Side-by-side comparison of two rate card versions, rule by rule and parameter by parameter."""

from dataclasses import dataclass, field
from typing import Any

from tariffs.models import RateCardVersion


@dataclass(frozen=True)
class ParamChange:
    path: str
    old: Any
    new: Any


@dataclass
class RuleDiff:
    charge_code: str
    status: str  # "added", "removed", "changed", "same"
    old_kind: str | None = None
    new_kind: str | None = None
    old_description: str = ""
    new_description: str = ""
    changes: list[ParamChange] = field(default_factory=list)


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested params as ``{"tiers[0].max_kg": "5000", ...}`` so that two versions compare key by key."""
    if isinstance(value, dict):
        items: dict[str, Any] = {}
        for key, sub in value.items():
            items.update(flatten(sub, f"{prefix}.{key}" if prefix else str(key)))
        return items
    if isinstance(value, list):
        items = {}
        for index, sub in enumerate(value):
            items.update(flatten(sub, f"{prefix}[{index}]"))
        return items
    return {prefix: value}


def diff_versions(old: RateCardVersion, new: RateCardVersion) -> list[RuleDiff]:
    old_rules = {rule.charge_code: rule for rule in old.rules.all()}
    new_rules = {rule.charge_code: rule for rule in new.rules.all()}
    result: list[RuleDiff] = []
    for code in list(old_rules) + [code for code in new_rules if code not in old_rules]:
        a, b = old_rules.get(code), new_rules.get(code)
        if a is None or b is None:
            result.append(
                RuleDiff(
                    code,
                    "removed" if b is None else "added",
                    old_kind=a and a.kind,
                    new_kind=b and b.kind,
                    old_description=a.description if a else "",
                    new_description=b.description if b else "",
                )
            )
            continue
        flat_a, flat_b = flatten(a.params), flatten(b.params)
        changes = [
            ParamChange(path, flat_a.get(path), flat_b.get(path))
            for path in sorted(set(flat_a) | set(flat_b))
            if flat_a.get(path) != flat_b.get(path)
        ]
        if a.kind != b.kind:
            changes.insert(0, ParamChange("kind", a.kind, b.kind))
        if (a.section or "") != (b.section or ""):
            changes.insert(0, ParamChange("section", a.section, b.section))
        result.append(
            RuleDiff(
                code, "changed" if changes else "same", a.kind, b.kind, a.description, b.description, changes
            )
        )
    return result
