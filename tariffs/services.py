"""Rate card writes: new versions, freezing (SPEC §7: an issued invoice keeps its version)."""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from tariffs.models import FeeRule, RateCard, RateCardVersion


def duplicate_version(*, version: RateCardVersion, created_by=None, valid_from=None) -> RateCardVersion:
    """Copy a version and its rules as the card's next version, valid from ``valid_from`` (default today)."""
    with transaction.atomic():
        card = version.rate_card
        type(card).objects.select_for_update().get(pk=card.pk)  # one new number at a time
        number = (card.versions.aggregate(n=Max("version"))["n"] or 0) + 1
        new = RateCardVersion.objects.create(
            rate_card=card,
            version=number,
            valid_from=valid_from or timezone.localdate(),
            created_by=created_by,
            notes=f"Copied from version {version.version}",
        )
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
