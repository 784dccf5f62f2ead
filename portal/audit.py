"""Write the audit trail (``AuditEvent``): every state change of a billing document (and later others) calls
``record`` inside the transaction that makes the change, so an event exists exactly when the change does."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from portal.models import AuditEvent


def record(
    action: str,
    obj: models.Model,
    *,
    by=None,
    task_id: str = "",
    seller=None,
    data: dict[str, Any] | None = None,
    now=None,
) -> AuditEvent:
    """Append one event: ``action`` (e.g. ``invoice.issued``) done to ``obj`` by ``by`` (a user) or a task."""
    made = event(action, obj, by=by, task_id=task_id, seller=seller, data=data, now=now)
    made.save()
    return made


def record_many(events: list[AuditEvent]) -> list[AuditEvent]:
    """Append the events ``event`` made, in one statement (a batch's changes, in the batch's transaction)."""
    return AuditEvent.objects.bulk_create(events) if events else []


def event(
    action: str,
    obj: models.Model,
    *,
    by=None,
    task_id: str = "",
    seller=None,
    data: dict[str, Any] | None = None,
    now=None,
) -> AuditEvent:
    """The event ``record`` appends, not yet saved."""
    seller_id = getattr(obj, "seller_id", None) if seller is None else seller.pk
    return AuditEvent(
        at=now or timezone.now(),
        actor=by if (by is not None and getattr(by, "is_authenticated", False)) else None,
        task_id=task_id or "",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        seller_id=seller_id,
        data=data or {},
    )


def events_of(obj: models.Model):
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
