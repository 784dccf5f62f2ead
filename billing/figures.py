"""A seller's billing figures, computed on a worker when warehouse rows arrive and read by the pages
(issue 12): the month-to-date preview (the close's engine over the rows stored so far this month, storing no
invoice) and the stored volume per day over the last 90 days.

``request_refresh`` marks the figures "being computed" and queues ``refresh_seller_figures_task`` after
commit; ``refresh_figures`` computes and stores them (the task calls it); the pages only read
``SellerFigures`` (``figures_of``), so a request does bounded work whatever the rows stored.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from billing.close import price_month
from billing.models import SellerFigures
from inventory.ledgers.store_facts import month_facts
from inventory.models import LedgerFile, StockLedgerRow
from portal.models import Seller
from tariffs.models import Contract
from tariffs.rules import Period, RuleError
from tariffs.selectors import NoVersionInForce, contracts_in_force

VOLUME_DAYS = 90
KEYS = (SellerFigures.Key.MONTH_TO_DATE, SellerFigures.Key.STORED_VOLUME)


def month_to_date(seller: Seller, *, today: date) -> dict[str, Any]:
    """The engine over each contract's rows stored so far in ``today``'s month: sections, lines, totals."""
    period = Period(today.year, today.month)
    contracts = (
        Contract.objects.filter(contracts_in_force(period), seller=seller)
        .select_related("rate_card", "service_line__warehouse")
        .order_by("service_line__warehouse__code", "service_line__code")
    )
    previews = []
    for contract in contracts:
        line = contract.service_line
        entry: dict[str, Any] = {
            "warehouse": line.warehouse.code,
            "service_line": line.code,
            "service_line_name": line.name,
            "rate_card": contract.rate_card.code,
            "currency": contract.rate_card.currency,
        }
        try:
            facts = month_facts(seller=seller, warehouse=line.warehouse, period=period, service_line=line)
            version, _, computation = price_month(contract, period, facts)
        except (RuleError, NoVersionInForce) as exc:
            text = getattr(exc, "text", None)
            entry["problem"] = str(exc)
            entry["problem_text"] = text.as_dict() if text is not None else None
            previews.append(entry)
            continue
        entry["version"] = version.version
        entry.update(computation.as_dict())
        for shown, line_ in zip(entry["lines"], computation.lines, strict=True):
            for name in ("description_text", "formula_text"):
                text = getattr(line_, name, None)
                shown[name] = text.as_dict() if text is not None else None
        previews.append(entry)
    return {"period": str(period), "as_of": today.isoformat(), "contracts": previews}


def stored_volume(seller: Seller, *, today: date, days: int = VOLUME_DAYS) -> dict[str, Any]:
    """Σ daily volume (m³) per day of the warehouses' stock rows in force, the last ``days`` days."""
    first = today - timedelta(days=days - 1)
    per_day = dict(
        StockLedgerRow.objects.filter(
            seller=seller,
            source=LedgerFile.Source.WAREHOUSE,
            is_current=True,
            business_date__gte=first,
            business_date__lte=today,
        )
        .order_by()
        .values_list("business_date")
        .annotate(volume=Sum("daily_volume_m3"))
    )
    labels, volumes = [], []
    for offset in range(days):
        day = first + timedelta(days=offset)
        labels.append(day.isoformat())
        volume = per_day.get(day)
        volumes.append(None if volume is None else f"{volume.quantize(Decimal('0.001')):f}")
    return {"first": first.isoformat(), "last": today.isoformat(), "labels": labels, "volumes": volumes}


def refresh_figures(seller: Seller, *, today: date | None = None) -> list[SellerFigures]:
    """Compute and store both figures of ``seller`` (the task's work)."""
    today = today or timezone.localdate()
    stored = []
    for key, compute in (
        (SellerFigures.Key.MONTH_TO_DATE, month_to_date),
        (SellerFigures.Key.STORED_VOLUME, stored_volume),
    ):
        figures, _ = SellerFigures.objects.get_or_create(seller=seller, key=key)
        try:
            figures.data = compute(seller, today=today)
            figures.status, figures.error = SellerFigures.Status.FRESH, ""
        except Exception as exc:  # noqa: BLE001 - shown to ops on the figures row, never to the page as a 500
            figures.status, figures.error = SellerFigures.Status.FAILED, f"{type(exc).__name__}: {exc}"
        figures.computed_at = timezone.now()
        figures.save()
        stored.append(figures)
    return stored


def request_refresh(seller_ids, *, now=None) -> None:
    """Mark the sellers' figures "being computed" and queue their refresh after commit."""
    from billing.tasks import refresh_seller_figures_task

    now = now or timezone.now()
    for seller_id in sorted(set(seller_ids)):
        for key in KEYS:
            figures, created = SellerFigures.objects.get_or_create(
                seller_id=seller_id, key=key, defaults={"requested_at": now}
            )
            if not created:
                SellerFigures.objects.filter(pk=figures.pk).update(
                    status=SellerFigures.Status.QUEUED, requested_at=now
                )
        transaction.on_commit(lambda seller_id=seller_id: refresh_seller_figures_task.delay(seller_id))


def figures_of(seller: Seller) -> dict[str, SellerFigures]:
    """The stored figures of ``seller`` by key; queues a first computation when there are none yet."""
    found = {figures.key: figures for figures in SellerFigures.objects.filter(seller=seller)}
    today = timezone.localdate()
    preview = found.get(SellerFigures.Key.MONTH_TO_DATE)
    outdated = (
        preview is not None
        and preview.status != SellerFigures.Status.QUEUED
        and preview.data.get("period") != str(Period(today.year, today.month))
    )
    if len(found) < len(KEYS) or outdated:  # none yet, or computed in an earlier month
        request_refresh([seller.pk])
        found = {figures.key: figures for figures in SellerFigures.objects.filter(seller=seller)}
    return found
