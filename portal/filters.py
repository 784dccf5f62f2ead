"""django-filter filter sets of the account pages."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import SellerUser


class MemberFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    role = django_filters.ChoiceFilter(
        label=_("Role"), choices=SellerUser.Role.choices, empty_label=_("Any role")
    )
    active = django_filters.BooleanFilter(label=_("Can log in"), field_name="user__is_active")

    class Meta:
        model = SellerUser
        fields = ["q", "role", "active"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(user__email__icontains=value)
            | Q(user__first_name__icontains=value)
            | Q(user__last_name__icontains=value)
        )
