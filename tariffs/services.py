"""Rate card and contract writes (SPEC §3, §7, §9): new versions, freezing, one contract at a time.

Both month rules are checked here under a row lock, so two ops editing at once cannot both win:
versions of a card never overlap (the card's row is locked), contracts of a seller on a service line
never overlap (the service line's row is locked). On PostgreSQL exclusion constraints back both.
"""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from tariffs.models import Contract, FeeRule, RateCard, RateCardVersion

CONTRACT_FIELDS = ("rate_card", "customer_class", "starts_on", "ends_on", "payment_terms_days")


def first_of_next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def save_version(*, version: RateCardVersion) -> RateCardVersion:
    """Validate and save a version (month rules, no overlap, frozen stays frozen) under the card's lock."""
    with transaction.atomic():
        RateCard.objects.select_for_update().get(pk=version.rate_card_id)
        version.full_clean()
        version.save()
    return version


def duplicate_version(
    *, version: RateCardVersion, created_by=None, valid_from: date | None = None, today: date | None = None
) -> RateCardVersion:
    """Copy a version and its rules as the card's next version, in force from ``valid_from`` (a first of
    a month; default: the first of next month). The version in force before it is closed the day before,
    and a version starting later is refused (versions never overlap, SPEC §9)."""
    today = today or timezone.localdate()
    valid_from = valid_from or first_of_next_month(today)
    with transaction.atomic():
        card = version.rate_card
        RateCard.objects.select_for_update().get(pk=card.pk)  # one new number at a time
        if valid_from.day != 1:
            raise ValidationError(
                {
                    "valid_from": _("A version takes effect on the first day of a month, not %(day)s.")
                    % {"day": valid_from}
                }
            )
        later = card.versions.filter(valid_from__gte=valid_from).order_by("valid_from").first()
        if later is not None:
            raise ValidationError(
                {
                    "valid_from": _(
                        "Version %(other)s already takes effect on %(day)s: a new version must start after "
                        "the last one."
                    )
                    % {"other": later.version, "day": later.valid_from}
                }
            )
        previous = card.version_for(valid_from, valid_from)
        if previous is not None:
            if previous.is_frozen and valid_from < today.replace(day=1):
                raise ValidationError(
                    {
                        "valid_from": _(
                            "Version %(other)s is frozen and may have priced months before this one: a "
                            "new version starts this month or later."
                        )
                        % {"other": previous.version}
                    }
                )
            previous.valid_to = valid_from - timedelta(days=1)
            previous.save(update_fields=["valid_to"])
        number = (card.versions.aggregate(n=Max("version"))["n"] or 0) + 1
        new = RateCardVersion(
            rate_card=card,
            version=number,
            valid_from=valid_from,
            not_billed_kinds=list(version.not_billed_kinds or []),
            created_by=created_by,
            notes=f"Copied from version {version.version}",
        )
        new.full_clean()
        new.save()
        FeeRule.objects.bulk_create(
            FeeRule(
                version=new,
                position=rule.position,
                kind=rule.kind,
                charge_code=rule.charge_code,
                section=rule.section,
                description=rule.description,
                params=rule.params,
            )
            for rule in version.rules.all()
        )
    return new


def freeze_version(*, version: RateCardVersion, now=None) -> None:
    """Mark a version as used by an issued invoice: its rules can no longer change."""
    if version.frozen_at is None:
        RateCardVersion.objects.filter(pk=version.pk, frozen_at__isnull=True).update(
            frozen_at=now or timezone.now()
        )
        version.refresh_from_db(fields=["frozen_at"])


def copy_rate_card(*, card: RateCard, code: str, name: str | None = None, created_by=None) -> RateCard:
    """A new card (e.g. a seller's negotiated prices) starting from the newest version of ``card``."""
    with transaction.atomic():
        source = card.versions.order_by("-version").first()
        new = RateCard.objects.create(
            code=code,
            currency=card.currency,
            name=name or f"{card.name} ({code})",
            operator=card.operator,
            customer_classes=card.customer_classes,
            service_tax_rate=card.service_tax_rate,
            is_sample=card.is_sample,
            notes=f"Copied from {card}",
        )
        version = RateCardVersion.objects.create(
            rate_card=new,
            version=1,
            valid_from=source.valid_from,
            not_billed_kinds=list(source.not_billed_kinds or []),
            created_by=created_by,
            notes=f"Copied from {source}",
        )
        copy_rules(source=source, target=version)
    return new


def copy_rules(*, source: RateCardVersion, target: RateCardVersion) -> None:
    FeeRule.objects.bulk_create(
        FeeRule(
            version=target,
            position=rule.position,
            kind=rule.kind,
            charge_code=rule.charge_code,
            section=rule.section,
            description=rule.description,
            params=rule.params,
        )
        for rule in source.rules.all()
    )


def _lock_service_line(service_line_id: int) -> None:
    """Serialize contract writes of a service line (works even before its first contract exists)."""
    ServiceLine = Contract._meta.get_field("service_line").related_model
    ServiceLine.objects.select_for_update().filter(pk=service_line_id).first()


def create_contract(*, seller, service_line, rate_card: RateCard, starts_on: date, **fields) -> Contract:
    """A seller's contract on a service line (SPEC §3): from a month's first day, to a month's last day
    or open, never overlapping the seller's other contracts on that line (checked under a row lock)."""
    unknown = set(fields) - set(CONTRACT_FIELDS)
    if unknown:
        raise TypeError(f"unknown contract field(s): {', '.join(sorted(unknown))}")
    with transaction.atomic():
        _lock_service_line(service_line.pk)
        contract = Contract(
            seller=seller, service_line=service_line, rate_card=rate_card, starts_on=starts_on, **fields
        )
        contract.full_clean()
        contract.save()
    return contract


def change_contract(*, contract: Contract, **changes) -> Contract:
    """Change a contract's card, class, dates or payment terms under the same rules and lock."""
    unknown = set(changes) - set(CONTRACT_FIELDS)
    if unknown:
        raise TypeError(f"unknown contract field(s): {', '.join(sorted(unknown))}")
    with transaction.atomic():
        _lock_service_line(contract.service_line_id)
        for name, value in changes.items():
            setattr(contract, name, value)
        contract.full_clean()
        contract.save()
    return contract


def save_contract(*, contract: Contract) -> Contract:
    """Validate and save a contract built elsewhere (the admin form) under the service line's lock."""
    with transaction.atomic():
        _lock_service_line(contract.service_line_id)
        contract.full_clean()
        contract.save()
    return contract
