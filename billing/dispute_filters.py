"""django-filter filter set of the seller's dispute list: state and the invoice's month."""

import django_filters
from django.utils.translation import gettext_lazy as _

from billing.filters import MonthFilter
from billing.models import Dispute


class DisputeFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=Dispute.State.choices, empty_label=_("Any state")
    )
    month = MonthFilter(label=_("Month"), field_name="invoice__period")

    class Meta:
        model = Dispute
        fields = ["state", "month"]
