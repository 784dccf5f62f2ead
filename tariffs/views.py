"""Seller pages of the tariff engine: the quote page and the rate card versions (SPEC §13)."""

import json

from django.core.exceptions import ValidationError
from django.views.generic import DetailView, FormView

from portal.tenancy import SellerObjectMixin, SellerViewMixin, scope
from tariffs.admin import diff_context
from tariffs.forms import QuoteForm
from tariffs.models import Contract, RateCard
from tariffs.quote import CardTerms, ParcelInput, StorageInput, fee_curve, quote_parcel, quote_storage
from tariffs.rules import Period, RuleError
from tariffs.selectors import NoContractInForce, RateCardNotFound, pricing_for, rule_specs


class QuoteView(SellerViewMixin, FormView):
    template_name = "tariffs/quote.html"
    form_class = QuoteForm

    def contracts(self):
        """The seller's newest contract of each service line (the month picks the one in force)."""
        contracts = scope(
            Contract.objects.select_related("rate_card", "service_line__warehouse"), self.seller
        ).order_by("service_line_id", "-starts_on")
        newest = {}
        for contract in contracts:
            newest.setdefault(contract.service_line_id, contract)
        return list(newest.values())

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["contracts"] = self.contracts()
        if self.request.method == "GET" and self.request.GET.get("contract"):
            kwargs["data"] = self.request.GET
        return kwargs

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_bound:
            return self.form_valid(form) if form.is_valid() else self.form_invalid(form)
        return self.render_to_response(self.get_context_data(form=form))

    def get_template_names(self):
        return (
            ["tariffs/_quote_result.html"] if self.request.headers.get("HX-Request") else [self.template_name]
        )

    def form_valid(self, form):
        data = form.cleaned_data
        period = Period.parse(data["period"])
        try:
            pricing = pricing_for(
                seller=self.seller, service_line=data["contract"].service_line, period=period
            )
        except (NoContractInForce, RateCardNotFound) as exc:
            form.add_error("period", str(exc))
            return self.form_invalid(form)
        contract, version = pricing.contract, pricing.version
        terms = CardTerms(
            rules=tuple(rule_specs(version)),
            currency=pricing.currency,
            customer_class=pricing.customer_class,
            service_tax_rate=contract.rate_card.service_tax_rate,
        )
        curve = []
        try:
            if data["mode"] == "storage":
                storage = StorageInput(
                    data["avg_volume_m3"], data["avg_stock_units"], data["avg_daily_sales"]
                )
                computation = quote_storage(terms, storage, period)
            else:
                parcel = ParcelInput(
                    data["weight_kg"],
                    data["length_cm"],
                    data["width_cm"],
                    data["height_cm"],
                    data["sku_kinds"],
                    data["units"],
                    data["carrier"] or None,
                )
                computation = quote_parcel(terms, parcel, period)
                curve = fee_curve(terms, parcel, period)
        except (RuleError, ValidationError) as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        chart = {
            "labels": [str(weight) for weight, _ in curve],
            "values": [None if amount is None else str(amount) for _, amount in curve],
            "currency": terms.currency,
        }
        return self.render_to_response(
            self.get_context_data(
                form=form,
                computation=computation,
                contract=contract,
                version=version,
                chart_json=json.dumps(chart),
                has_curve=any(amount is not None for _, amount in curve),
            )
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(contracts=self.contracts(), **kwargs)


class RateCardDetailView(SellerObjectMixin, DetailView):
    """A rate card of the seller's contracts, with its versions side by side."""

    scoped_model = RateCard
    template_name = "tariffs/rate_card.html"
    context_object_name = "card"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**diff_context(self.object, self.request.GET), **kwargs)
