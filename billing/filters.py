"""django-filter filter set of the seller's invoice list: month, status and payment status."""

import re
from datetime import date

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import Invoice


class MonthField(forms.CharField):
    """``YYYY-MM`` (an ``<input type="month">``) as the month's first day; anything else is a form error."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        match = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
        try:
            if match is None:
                raise ValueError
            return date(int(match[1]), int(match[2]), 1)
        except ValueError:
            raise forms.ValidationError(_("Give a month as YYYY-MM."), code="invalid") from None


class MonthFilter(django_filters.Filter):
    field_class = MonthField


class InvoiceFilter(django_filters.FilterSet):
    month = MonthFilter(label=_("Month"), field_name="period")
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Invoice.Status.choices, empty_label=_("Drafts and issued")
    )
    payment = django_filters.ChoiceFilter(
        label=_("Payment"),
        field_name="payment_status",
        choices=Invoice.Payment.choices,
        empty_label=_("Any payment status"),
        method="by_payment",
    )

    class Meta:
        model = Invoice
        fields = ["month", "status", "payment"]

    def by_payment(self, queryset, name, value):
        """A payment status belongs to issued invoices: a draft is neither paid nor unpaid."""
        return queryset.filter(status=Invoice.Status.ISSUED, payment_status=value)
