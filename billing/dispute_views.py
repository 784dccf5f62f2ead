"""Seller pages of disputes (SPEC §10, §13): the list with filters, a dispute with its thread, the proposal
beside the invoiced line and the outcome; open a dispute on a line of an issued invoice, reply with evidence,
withdraw. Views parse a form and call ``billing.disputes``; every query is scoped by ``portal.tenancy``."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from billing import disputes, selectors
from billing.dispute_filters import DisputeFilter
from billing.dispute_forms import DisputeForm, ReplyForm
from billing.dispute_tables import DisputeTable, state_badge
from billing.exports import plain_number, text_of
from billing.models import Dispute, DisputeAttachment, Invoice
from billing.services import BillingError
from portal.paging import SafeRequestConfig
from portal.tenancy import SellerObjectMixin, SellerViewMixin, scope
from portal.uploads import download_name
from tariffs.rules import format_amount


def seller_disputes(seller):
    return scope(Dispute.objects.all(), seller).select_related("invoice", "line")


class DisputeListView(SellerViewMixin, TemplateView):
    template_name = "billing/dispute_list.html"

    def get_context_data(self, **kwargs):
        dispute_filter = DisputeFilter(self.request.GET, queryset=seller_disputes(self.seller))
        queryset = dispute_filter.qs if dispute_filter.is_valid() else Dispute.objects.none()
        table = DisputeTable(queryset)
        SafeRequestConfig(self.request, paginate={"per_page": 25}).configure(table)
        return super().get_context_data(filter=dispute_filter, table=table, **kwargs)


class DisputeMixin(SellerObjectMixin):
    scoped_model = Dispute

    def get_dispute(self) -> Dispute:
        return self.get_scoped_object(pk=self.kwargs["pk"])


class DisputeDetailView(DisputeMixin, TemplateView):
    template_name = "billing/dispute_detail.html"

    def get_context_data(self, **kwargs):
        dispute = self.get_dispute()
        invoice = dispute.invoice
        currency = invoice.currency

        def money(amount):
            return None if amount is None else f"{format_amount(amount, currency)} {currency}"

        line = dispute.line
        kwargs.pop("pk", None)
        return super().get_context_data(
            dispute=dispute,
            invoice=invoice,
            line=line,
            line_description=text_of(line.description_text, line.description) if line else "",
            line_formula=text_of(line.formula_text, line.formula) if line else "",
            line_quantity=plain_number(line.quantity) if line else "",
            state=state_badge(dispute),
            money={
                "line": money(
                    dispute.line_amount if dispute.line_amount is not None else (line and line.amount)
                ),
                "proposed_line": money(dispute.proposed_line_amount),
                "original_total": money(dispute.original_total),
                "proposed_total": money(dispute.proposed_total),
                "difference": money(dispute.difference),
                "credited": money(dispute.credit_note.total if dispute.credit_note else None),
                "claimed_amount": money(dispute.claimed_amount),
            },
            figures=[
                (label, value)
                for label, value in (
                    (_("Item, order number or reference"), dispute.reference),
                    (_("Quantity you believe is right"), plain_number(dispute.claimed_quantity)),
                    (_("Weight you believe is right (kg)"), plain_number(dispute.claimed_weight_kg)),
                    (_("From day"), dispute.claimed_day_from),
                    (_("To day"), dispute.claimed_day_to),
                    (_("Amount you believe is right"), money(dispute.claimed_amount)),
                )
                if value not in (None, "")
            ],
            thread=dispute.messages.select_related("author").prefetch_related("attachments"),
            reply_form=ReplyForm(),
            can_reply=dispute.state not in (Dispute.State.CLOSED, Dispute.State.WITHDRAWN),
            can_withdraw=dispute.is_active and dispute.origin == Dispute.Origin.SELLER,
            pending=getattr(dispute, "pending_adjustment", None) if dispute.decision else None,
            **kwargs,
        )


class DisputeReplyView(DisputeMixin, View):
    """A message in the thread, with evidence (a suspended seller still takes part in its disputes)."""

    allowed_when_suspended = True

    def post(self, request, pk):
        dispute = self.get_dispute()
        form = ReplyForm(request.POST, request.FILES)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect("disputes:dispute-detail", pk=dispute.pk)
        try:
            disputes.reply_to_dispute(
                dispute=dispute,
                by=request.user,
                body=form.cleaned_data["body"],
                from_seller=True,
                files=form.cleaned_data["files"],
            )
        except BillingError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Your message was sent."))
        return redirect("disputes:dispute-detail", pk=dispute.pk)


class DisputeWithdrawView(DisputeMixin, View):
    def post(self, request, pk):
        dispute = self.get_dispute()
        if dispute.origin != Dispute.Origin.SELLER:
            messages.error(
                request, _("A dispute the system opened cannot be withdrawn; reply to it instead.")
            )
            return redirect("disputes:dispute-detail", pk=dispute.pk)
        try:
            disputes.withdraw_dispute(dispute=dispute, by=request.user)
        except BillingError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The dispute is withdrawn."))
        return redirect("disputes:dispute-detail", pk=dispute.pk)


class DisputeOpenView(SellerObjectMixin, TemplateView):
    """The "dispute this line" form, then the service (window, one open dispute a line, figures, files)."""

    scoped_model = Invoice
    template_name = "billing/dispute_form.html"
    form_page = True

    def get_line(self):
        self.invoice = selectors.seller_invoice(self.seller, self.kwargs["pk"])
        return selectors.invoice_line(self.invoice, self.kwargs["position"])

    def refused(self):
        """A draft has nothing to dispute yet; a closed window or an open dispute is said on the invoice."""
        if not self.invoice.is_issued:
            messages.info(self.request, _("Only a line of an issued invoice can be disputed."))
            return redirect("billing:invoice-detail", pk=self.invoice.pk)
        try:
            disputes.check_window(self.invoice, disputes.timezone.localdate())
        except BillingError as exc:
            messages.error(self.request, " ".join(exc.messages))
            return redirect("billing:invoice-detail", pk=self.invoice.pk)
        return None

    def get(self, request, pk, position):
        line = self.get_line()
        return self.refused() or self.render_to_response(self.context(line, DisputeForm()))

    def post(self, request, pk, position):
        line = self.get_line()
        refused = self.refused()
        if refused:
            return refused
        form = DisputeForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                dispute = disputes.open_dispute(
                    line=line,
                    by=request.user,
                    reason=data["reason"],
                    text=data["text"],
                    figures=disputes.Figures(
                        reference=data["reference"].strip(),
                        quantity=data["quantity"],
                        weight_kg=data["weight_kg"],
                        day_from=data["day_from"],
                        day_to=data["day_to"],
                        amount=data["amount"],
                    ),
                    files=data["files"],
                )
            except BillingError as exc:
                form.add_error(None, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    _("Dispute D-%(id)s is open: the invoice is being recomputed with your figures.")
                    % {"id": dispute.pk},
                )
                return redirect("disputes:dispute-detail", pk=dispute.pk)
        return self.render_to_response(self.context(line, form), status=200)

    def context(self, line, form):
        return self.get_context_data(
            invoice=self.invoice,
            line=line,
            form=form,
            line_description=text_of(line.description_text, line.description),
            line_formula=text_of(line.formula_text, line.formula),
            amount=format_amount(line.amount, self.invoice.currency),
            window_closes=disputes.window_closes(self.invoice),
            open_dispute=Dispute.objects.filter(line=line, state__in=Dispute.ACTIVE_STATES).first(),
        )


class DisputeAttachmentView(SellerObjectMixin, View):
    """An evidence file of the seller's own dispute (served as it was checked: its detected type)."""

    scoped_model = DisputeAttachment

    def get(self, request, pk):
        attachment = self.get_scoped_object(pk=pk)
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404("The file is gone.") from exc
        return FileResponse(
            handle,
            content_type=attachment.mime_type,
            filename=download_name(attachment.file.name),
            as_attachment=True,
        )


def dispute_url(dispute: Dispute) -> str:
    return reverse("disputes:dispute-detail", kwargs={"pk": dispute.pk})
