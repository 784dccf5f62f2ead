"""Reads of rate cards: lookups by code, the version in force, its rules as engine specs."""

from django.db.models import QuerySet

from tariffs.engine import RuleSpec
from tariffs.models import RateCard, RateCardVersion
from tariffs.rules import Period


class RateCardNotFound(LookupError):
    pass


def rate_card_by_code(code: str, currency: str | None = None, queryset: QuerySet | None = None) -> RateCard:
    """The card of that code (and currency when the code exists in several); a clear error otherwise."""
    cards = list((queryset if queryset is not None else RateCard.objects.all()).filter(code=code))
    if currency:
        cards = [card for card in cards if card.currency == currency.upper()]
    if not cards:
        known = ", ".join(sorted(set(RateCard.objects.values_list("code", flat=True))))
        suffix = f" in {currency.upper()}" if currency else ""
        raise RateCardNotFound(f"unknown rate card {code!r}{suffix} (known: {known})")
    if len(cards) > 1:
        currencies = ", ".join(card.currency for card in cards)
        raise RateCardNotFound(f"rate card {code!r} exists in {currencies}: choose one with --currency")
    return cards[0]


def version_in_force(card: RateCard, period: Period) -> RateCardVersion:
    version = card.version_for(period.first_day, period.last_day)
    if version is None:
        raise RateCardNotFound(f"rate card {card} has no version in force in {period}")
    return version


def rule_specs(version: RateCardVersion) -> list[RuleSpec]:
    return [
        RuleSpec(
            kind=rule.kind,
            charge_code=rule.charge_code,
            params=rule.params,
            section=rule.section or None,
            description=rule.description,
        )
        for rule in version.rules.order_by("position", "id")
    ]
