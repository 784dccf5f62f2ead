"""The seller's dashboard: the account at a glance, what needs doing in inventory, and this month's fees so
far and stored volume (computed by a worker when rows arrive: the page only reads them); the month-to-date
preview."""

import json
from decimal import Decimal

from django.utils import timezone
from django.views.generic import TemplateView

from billing.disputes import open_disputes_count
from billing.figures import figures_of
from billing.models import SellerFigures
from billing.orders import billed_for_order, billed_total
from inventory.models import InboundOrder
from portal.dashboard.selectors import inventory_summary
from portal.models import Invitation
from portal.tenancy import SellerObjectMixin, SellerViewMixin
from tariffs.messages import render
from tariffs.models import Section
from tariffs.rules.lines import SECTIONS

SECTION_LABELS = dict(Section.choices)


def _figures_context(seller) -> dict:
    figures = figures_of(seller)
    preview = figures.get(SellerFigures.Key.MONTH_TO_DATE)
    volume = figures.get(SellerFigures.Key.STORED_VOLUME)
    contracts = preview.data.get("contracts", []) if preview else []
    fees_chart = {
        "sections": list(SECTIONS),
        "labels": [str(SECTION_LABELS.get(section, section)) for section in SECTIONS],
        "series": [
            {
                "label": f"{entry['warehouse']} / {entry['service_line']} ({entry['currency']})",
                "currency": entry["currency"],
                "data": [entry["sections"][section] for section in SECTIONS],
            }
            for entry in contracts
            if "sections" in entry
        ],
    }
    volume_chart = volume.data if volume and volume.data else {"labels": [], "volumes": []}
    return {
        "preview": preview,
        "preview_contracts": contracts,
        "volume_figures": volume,
        "fees_chart_json": json.dumps(fees_chart),
        "has_fees": any(Decimal(value) for series in fees_chart["series"] for value in series["data"]),
        "volume_chart_json": json.dumps(volume_chart),
        "has_volume": any(v is not None for v in volume_chart.get("volumes", [])),
    }


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
            **_figures_context(self.seller),
            open_disputes=open_disputes_count(self.seller),
        )
        return context


class MonthToDateView(SellerViewMixin, TemplateView):
    """The same engine as the close over the rows stored so far this month, clearly a preview (no invoice)."""

    template_name = "billing/month_to_date.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_figures_context(self.seller))
        for entry in context["preview_contracts"]:
            for line in entry.get("lines", []):
                line["section_label"] = SECTION_LABELS.get(line["section"], line["section"])
                text = line.get("description_text") or {}
                line["shown_description"] = render(text.get("id"), text.get("params"), line["description"])
                text = line.get("formula_text") or {}
                line["shown_formula"] = render(text.get("id"), text.get("params"), line["formula"])
            problem = entry.get("problem_text") or {}
            if "problem" in entry:
                entry["shown_problem"] = render(problem.get("id"), problem.get("params"), entry["problem"])
        return context


class OrderBilledView(SellerObjectMixin, TemplateView):
    scoped_model = InboundOrder
    template_name = "billing/_order_billed.html"

    def get_context_data(self, **kwargs):
        order = self.get_scoped_object(pk=self.kwargs["pk"])
        lines = billed_for_order(order)
        shown = []
        for billed in lines:
            line = billed.line
            text = line.description_text or {}
            shown.append(
                {
                    "billed": billed,
                    "invoice": line.invoice,
                    "description": render(text.get("id"), text.get("params"), line.description),
                }
            )
        return super().get_context_data(order=order, lines=shown, totals=billed_total(lines), **kwargs)
