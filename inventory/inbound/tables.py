"""django-tables2 tables and django-filter filters of the inbound order pages."""

import django_filters
import django_tables2 as tables
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from inventory.models import InboundOrder


class OrderTable(tables.Table):
    number = tables.Column(linkify=("inventory:order-detail", {"pk": tables.A("pk")}))
    warehouse = tables.Column(accessor="warehouse__code", verbose_name=_("Warehouse"))
    state = tables.TemplateColumn(template_name="inventory/_order_state.html", verbose_name=_("State"))
    cartons = tables.Column(verbose_name=_("Cartons"), accessor="carton_count")
    units = tables.Column(verbose_name=_("Units"), accessor="unit_count")
    eta = tables.DateColumn(verbose_name=_("ETA"), format="SHORT_DATE_FORMAT")
    created_at = tables.DateTimeColumn(verbose_name=_("Created"), format="SHORT_DATE_FORMAT")

    class Meta:
        model = InboundOrder
        fields = (
            "number",
            "warehouse",
            "state",
            "shipping_mode",
            "trade_term",
            "cartons",
            "units",
            "eta",
            "created_at",
        )
        order_by = ("-created_at",)
        empty_text = _("No inbound orders yet.")
        attrs = {"class": "table table-sm table-hover align-middle mb-0 text-nowrap"}


class OrderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=InboundOrder.State.choices, empty_label=_("Any state")
    )

    class Meta:
        model = InboundOrder
        fields = ["q", "state", "warehouse"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(number__icontains=value)
            | Q(tracking_number__icontains=value)
            | Q(cartons__lines__sku__code__icontains=value)
        ).distinct()
