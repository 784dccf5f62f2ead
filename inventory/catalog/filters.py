"""The SKU list's filters, with compliance readiness per destination (SPEC §4, §13)."""

from collections.abc import Iterable
from datetime import date

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from inventory.catalog.compliance import DESTINATIONS, Missing, readiness
from inventory.models import DestinationRule, Sku

Readiness = dict[str, list[Missing]]
READY, BLOCKED = "ready", "blocked"
DESTINATION_CHOICES = (
    ("JP", _("Japan")),
    ("EU", _("EU")),
    ("GB", _("United Kingdom")),
    ("US", _("United States")),
)


def catalog_readiness(skus: QuerySet, *, rules: list[DestinationRule], today: date) -> dict[int, Readiness]:
    """Readiness of every SKU of ``skus`` (already scoped to a seller), in two queries."""
    return {sku.pk: readiness(sku, rules=rules, today=today) for sku in skus.prefetch_related("certificates")}


def ids_with_status(
    by_sku: dict[int, Readiness], *, status: str, destinations: Iterable[str] = DESTINATIONS
) -> list[int]:
    """SKUs ready for every one of ``destinations`` (status ready), or blocked for any (status blocked)."""
    destinations = tuple(destinations)
    ready_ids = [pk for pk, result in by_sku.items() if not any(result[d] for d in destinations)]
    if status == READY:
        return ready_ids
    ready = set(ready_ids)
    return [pk for pk in by_sku if pk not in ready]


class SkuFilter(django_filters.FilterSet):
    """Search, category, and readiness for one destination (or all four when none is chosen).

    Readiness is computed (``catalog_readiness``: two queries) only when the status filter is used,
    and only over the SKUs the other filters kept.
    """

    q = django_filters.CharFilter(label=_("Search"), method="search")
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=Sku.Category.choices, empty_label=_("Any category")
    )
    destination = django_filters.ChoiceFilter(
        label=_("Destination"),
        choices=DESTINATION_CHOICES,
        empty_label=_("All destinations"),
        method="keep",
    )
    status = django_filters.ChoiceFilter(
        label=_("Compliance"),
        choices=((READY, _("Ready")), (BLOCKED, _("Blocked"))),
        empty_label=_("Any compliance"),
        method="keep",
    )

    class Meta:
        model = Sku
        fields = ["q", "category", "destination", "status"]

    def __init__(self, *args, rules: list[DestinationRule], today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.rules = rules
        self.today = today

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(code__icontains=value)
            | Q(name_zh__icontains=value)
            | Q(name_en__icontains=value)
            | Q(name_ja__icontains=value)
            | Q(barcode__icontains=value)
            | Q(fnsku__icontains=value)
        )

    def keep(self, queryset, name, value):
        return queryset  # destination and status are applied together in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        status = self.form.cleaned_data.get("status")
        if status:
            destination = self.form.cleaned_data.get("destination")
            by_sku = catalog_readiness(queryset, rules=self.rules, today=self.today)
            ids = ids_with_status(
                by_sku, status=status, destinations=[destination] if destination else DESTINATIONS
            )
            queryset = queryset.filter(pk__in=ids)
        return queryset
