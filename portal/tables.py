"""django-tables2 tables of the account pages."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import Invitation, SellerUser


class MemberTable(tables.Table):
    email = tables.Column(
        accessor="user__email",
        verbose_name=_("Email address"),
        linkify=("portal:member-edit", {"pk": tables.A("pk")}),
    )
    name = tables.Column(
        accessor="user__first_name", verbose_name=_("Name"), order_by=("user__first_name", "user__last_name")
    )
    role = tables.Column(verbose_name=_("Role"))
    active = tables.BooleanColumn(accessor="user__is_active", verbose_name=_("Can log in"))
    last_login = tables.DateTimeColumn(
        accessor="user__last_login", verbose_name=_("Last login"), format="SHORT_DATETIME_FORMAT"
    )
    joined_at = tables.DateTimeColumn(verbose_name=_("Joined"), format="SHORT_DATE_FORMAT")

    class Meta:
        model = SellerUser
        fields = ("email", "name", "role", "active", "last_login", "joined_at")
        order_by = ("user__email",)
        empty_text = _("No users yet.")
        attrs = {"class": "table table-sm table-hover align-middle mb-0 text-nowrap"}

    def render_name(self, record):
        user = record.user
        return " ".join(part for part in (user.last_name, user.first_name) if part) or "—"


class InvitationTable(tables.Table):
    revoke = tables.TemplateColumn(
        template_name="portal/_invitation_revoke.html", verbose_name="", orderable=False
    )

    class Meta:
        model = Invitation
        fields = ("email", "role", "status", "created_at", "expires_at")
        order_by = ("-created_at",)
        empty_text = _("No invitations yet.")
        attrs = {"class": "table table-sm table-hover align-middle mb-0 text-nowrap"}
