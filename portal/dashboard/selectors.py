"""Reads for the dashboard, scoped to one seller."""

from datetime import timedelta

from django.db.models import Count

from inventory.catalog.compliance import DESTINATIONS, active_rules, readiness
from inventory.models import Certificate, InboundOrder, Sku
from portal.tenancy import scope

OPEN_STATES = [s for s in InboundOrder.State.values if s not in ("completed", "cancelled")]


def inventory_summary(seller, *, today) -> dict:
    """Open inbound orders by state, SKUs blocked per destination, certificates expiring within 30 days."""
    orders = scope(InboundOrder.objects.all(), seller).filter(state__in=OPEN_STATES)
    by_state = dict(orders.values_list("state").annotate(n=Count("id")))
    rules = active_rules()
    skus = scope(Sku.objects.prefetch_related("certificates"), seller)
    blocked = dict.fromkeys(DESTINATIONS, 0)
    sku_count = 0
    for sku in skus:
        sku_count += 1
        for destination, missing in readiness(sku, rules=rules, today=today).items():
            blocked[destination] += bool(missing)
    expiring = (
        scope(Certificate.objects.select_related("sku"), seller)
        .filter(expires_on__gte=today, expires_on__lte=today + timedelta(days=30))
        .order_by("expires_on")
    )
    return {
        "open_orders": [
            (InboundOrder.State(state).label, state, by_state[state])
            for state in OPEN_STATES
            if state in by_state
        ],
        "open_order_count": sum(by_state.values()),
        "sku_count": sku_count,
        "blocked_by_destination": blocked,
        "expiring_certificates": list(expiring[:10]),
    }
