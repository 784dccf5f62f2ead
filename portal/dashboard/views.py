"""The seller's dashboard: the account at a glance and what needs doing in inventory."""

from django.utils import timezone
from django.views.generic import TemplateView

from portal.dashboard.selectors import inventory_summary
from portal.models import Invitation
from portal.tenancy import SellerViewMixin


class DashboardView(SellerViewMixin, TemplateView):
    template_name = "portal/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        members = self.seller.members.select_related("user")
        context.update(
            seller=self.seller,
            member_count=members.filter(user__is_active=True).count(),
            pending_invitations=self.seller.invitations.filter(status=Invitation.Status.PENDING).count(),
            **inventory_summary(self.seller, today=timezone.localdate()),
        )
        return context
