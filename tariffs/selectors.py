"""Reads of rate cards and contracts: lookups by code, the version in force, the contract and version
that price a seller's month on a service line, rules as engine specs (SPEC §3, §9)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from tariffs.engine import RuleSpec
from tariffs.models import Contract, FeeRule, RateCard, RateCardVersion
from tariffs.rules import KINDS, Period, get_kind


class RateCardNotFound(LookupError):
    pass


class NoContractInForce(LookupError):
    """The seller has no contract on that service line (or warehouse) in that month."""


class NoVersionInForce(RateCardNotFound):
    """The contract's rate card has no version in force in that month."""


@dataclass(frozen=True)
class Pricing:
    """What prices a seller's month on a service line: exactly one contract and one version."""

    contract: Contract
    version: RateCardVersion
    customer_class: str
    currency: str

    @property
    def rate_card(self) -> RateCard:
        return self.contract.rate_card


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
    """The version of ``card`` in force in ``period`` (versions start on a 1st and never overlap)."""
    version = card.version_for(period.first_day, period.last_day)
    if version is None:
        raise NoVersionInForce(f"rate card {card} has no version in force in {period}")
    return version


def contracts_in_force(period: Period) -> Q:
    """Contracts running in the month (they start on a 1st and end on a month's last day)."""
    return Q(starts_on__lte=period.first_day) & (Q(ends_on__isnull=True) | Q(ends_on__gte=period.last_day))


def pricing_for(*, seller, period: Period, service_line=None, warehouse=None) -> Pricing:
    """The contract and rate card version that price ``seller``'s ``period`` on ``service_line``.

    With ``warehouse`` instead, the seller's contract in force on that warehouse's lines (the first line
    by code when it has several). Raises ``NoContractInForce`` or ``NoVersionInForce`` with a clear text.
    """
    if (service_line is None) == (warehouse is None):
        raise TypeError("give exactly one of service_line and warehouse")
    contracts = Contract.objects.filter(contracts_in_force(period), seller=seller).select_related(
        "rate_card", "service_line__warehouse"
    )
    if service_line is not None:
        contracts, place = contracts.filter(service_line=service_line), service_line
    else:
        contracts, place = contracts.filter(service_line__warehouse=warehouse), warehouse
    contract = contracts.order_by("service_line__code", "starts_on").first()
    if contract is None:
        raise NoContractInForce(f"{seller.code} has no contract on {place} in {period}")
    version = version_in_force(contract.rate_card, period)
    return Pricing(
        contract=contract,
        version=version,
        customer_class=contract.customer_class,
        currency=contract.rate_card.currency,
    )


def rule_specs(version: RateCardVersion) -> list[RuleSpec]:
    return [
        RuleSpec(
            kind=rule.kind,
            charge_code=rule.charge_code,
            params=rule.params,
            section=rule.section or None,
            description=rule.description,
            key=rule.pk,
        )
        for rule in version.rules.order_by("position", "id")
    ]


def priced_service_codes(warehouse, *, seller=None) -> set[str]:
    """The VAS service codes some rate card prices at ``warehouse``: the codes (fixed price or at cost) of
    the VAS-ledger rules in any version of a card contracted on one of the warehouse's service lines.
    With ``seller``, only that seller's contracts count (a seller's own upload learns nothing of others')."""
    vas_kinds = [kind for kind in KINDS if get_kind(kind).ledger == "vas"]
    contracts = {"version__rate_card__contracts__service_line__warehouse": warehouse}
    if seller is not None:
        contracts["version__rate_card__contracts__seller"] = seller
    params = FeeRule.objects.filter(kind__in=vas_kinds, **contracts).values_list("params", flat=True)
    codes: set[str] = set()
    for raw in params:
        for section in ("prices", "at_cost"):
            codes.update(str(code) for code in (raw or {}).get(section) or {})
    return codes
