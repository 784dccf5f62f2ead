"""Billing in Django admin (SPEC §9, issue 12): ops close months and review drafts with their findings,
write supplementary drafts and issue credit notes; finance issues invoices, records sends and payments. Every
change goes through ``billing.close`` or ``billing.services``; no document is edited by hand (read-only)."""

from __future__ import annotations

from collections import defaultdict

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing import close, sending, services
from billing.models import (
    Allocation,
    CloseRun,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceDelivery,
    InvoiceLine,
    InvoiceSend,
    Payment,
)
from billing.selectors import open_balances
from billing.statements.admin_actions import download_statement_pdf
from portal.models import Operator, Seller
from portal.money import CURRENCIES, round_money
from tariffs.rules import Period, RuleError
from tariffs.rules.lines import SECTIONS


def _period(text: str | None) -> Period | None:
    try:
        return Period.parse(text or "")
    except (RuleError, ValueError):
        return None


class MonthFilter(admin.SimpleListFilter):
    """The billed month (``YYYY-MM``)."""

    title = _("month")
    parameter_name = "month"
    field = "period"

    def lookups(self, request, model_admin):
        months = (
            model_admin.model.objects.order_by(f"-{self.field}").values_list(self.field, flat=True).distinct()
        )
        return [(f"{month:%Y-%m}", f"{month:%Y-%m}") for month in months[:36]]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        period = _period(self.value())
        return queryset.filter(**{self.field: period.first_day}) if period else queryset.none()


class CreditNoteMonthFilter(MonthFilter):
    field = "invoice__period"

    def lookups(self, request, model_admin):
        months = Invoice.objects.filter(credit_notes__isnull=False).order_by("-period")
        months = months.values_list("period", flat=True).distinct()
        return [(f"{month:%Y-%m}", f"{month:%Y-%m}") for month in months[:36]]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Documents are written by services only: no add, change or delete through admin forms."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = readonly_fields = [
        "position",
        "section",
        "code",
        "description",
        "quantity",
        "unit",
        "unit_price",
        "amount",
        "formula",
        "rows_count",
    ]


class AllocationInline(ReadOnlyInline):
    model = Allocation
    fk_name = "invoice"
    fields = readonly_fields = ["payment", "amount", "created_at", "created_by"]


class DeliveryOfInvoiceInline(ReadOnlyInline):
    """Every email of the invoice: to whom, in which language, asked by whom, and its result."""

    model = InvoiceDelivery
    fk_name = "invoice"
    fields = readonly_fields = [
        "email",
        "language",
        "requested",
        "status",
        "retries",
        "last_error",
        "queued_at",
        "sent_at",
        "message_id",
    ]
    verbose_name_plural = _("emails to the billing contacts")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("send__requested_by")

    @admin.display(description=_("requested"))
    def requested(self, obj):
        who = obj.send.requested_by or obj.send.get_trigger_display()
        return f"{obj.send.requested_at:%Y-%m-%d %H:%M} · {who}"


class CreditNoteOfInvoiceInline(ReadOnlyInline):
    model = CreditNote
    fields = readonly_fields = ["number", "status", "total", "reason", "issue_date"]
    show_change_link = True


# --- forms of the actions and views -------------------------------------------------------------------------


class MonthForm(forms.Form):
    """A form with a month typed as YYYY-MM (``cleaned_data["month"]`` is its ``Period``)."""

    month = forms.CharField(label=_("Month (YYYY-MM)"), max_length=7)

    def clean_month(self):
        period = _period(self.cleaned_data["month"])
        if period is None:
            raise forms.ValidationError(_("Give the month as YYYY-MM, e.g. 2026-06."))
        return period


class CloseMonthForm(MonthForm):
    sellers = forms.ModelMultipleChoiceField(
        label=_("Sellers"),
        queryset=Seller.objects.order_by("code"),
        required=False,
        help_text=_("Leave empty for every seller with a contract or warehouse rows in the month."),
    )


class SupplementaryForm(forms.Form):
    section = forms.ChoiceField(label=_("Section"), choices=[(name, name) for name in SECTIONS])
    description = forms.CharField(label=_("Description"), max_length=500)
    amount = forms.DecimalField(label=_("Amount"), max_digits=20, decimal_places=4, min_value=0)


class CreditNoteForm(forms.Form):
    invoice = forms.ModelChoiceField(
        label=_("Invoice"),
        queryset=Invoice.objects.filter(status=Invoice.Status.ISSUED)
        .select_related("seller")
        .order_by("-number"),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    description = forms.CharField(label=_("Line description"), max_length=500)
    amount = forms.DecimalField(label=_("Amount"), max_digits=20, decimal_places=4)


class SendMonthForm(MonthForm):
    operator = forms.ModelChoiceField(
        label=_("Operator"),
        queryset=Operator.objects.order_by("name"),
        required=False,
        help_text=_("Leave empty for every operator."),
    )
    resend = forms.BooleanField(
        label=_("Also invoices sent before"),
        required=False,
        help_text=_("Unticked, only the month's issued invoices not sent yet are emailed."),
    )


class PaymentForm(forms.Form):
    seller = forms.ModelChoiceField(label=_("Seller"), queryset=Seller.objects.order_by("code"))
    currency = forms.ChoiceField(label=_("Currency"), choices=[(code, code) for code in CURRENCIES])
    amount = forms.DecimalField(label=_("Amount"), max_digits=20, decimal_places=4)
    received_on = forms.DateField(label=_("Received on"), help_text=_("YYYY-MM-DD"))
    bank_reference = forms.CharField(label=_("Bank reference"), max_length=100)
    invoices = forms.ModelMultipleChoiceField(
        label=_("Allocate to"),
        queryset=Invoice.objects.filter(status=Invoice.Status.ISSUED)
        .exclude(payment_status=Invoice.Payment.PAID)
        .select_related("seller")
        .order_by("issue_date", "number"),
        required=False,
        help_text=_("Leave empty to allocate to the seller's open invoices, oldest first."),
    )


def _form_page(modeladmin, request, *, title: str, form, objects=(), action: str = "", intro: str = ""):
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "title": title,
        "form": form,
        "objects": objects,
        "action": action,
        "intro": intro,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/billing/form.html", context)


def _error(exc) -> str:
    return exc.messages[0] if getattr(exc, "messages", None) else str(exc)


# --- invoices -----------------------------------------------------------------------------------------------


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = [
        "label",
        "seller",
        "operator",
        "month",
        "kind",
        "status",
        "is_stale",
        "total_amount",
        "currency",
        "payment_status",
        "owed",
        "due_date",
        "delivery_status",
        "findings_total",
    ]
    list_filter = [
        "operator",
        MonthFilter,
        "status",
        "payment_status",
        "delivery_status",
        "is_stale",
        "kind",
    ]
    search_fields = ["number", "seller__code"]
    list_select_related = ["seller", "operator"]
    inlines = [InvoiceLineInline, CreditNoteOfInvoiceInline, AllocationInline, DeliveryOfInvoiceInline]
    actions = ["close_again", "issue", "send_by_email", "supplementary_draft", download_statement_pdf]
    change_form_template = "admin/billing/invoice/change_form.html"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "number",
                    "status",
                    "is_stale",
                    "kind",
                    "original",
                    "seller",
                    "operator",
                    "warehouse",
                    "service_line",
                    "contract",
                    "rate_card_version",
                    "period",
                    "currency",
                    "customer_class",
                ]
            },
        ),
        (
            _("Amounts"),
            {"fields": ["subtotal", "service_tax", "total", "sections", "tax_breakdown", "not_billed"]},
        ),
        (_("Findings and problems"), {"fields": ["findings_list", "findings_total", "close_problems"]}),
        (_("Issue"), {"fields": ["issue_date", "due_date", "issued_at", "issued_by", "computed_at"]}),
        (
            _("Delivery and payment"),
            {
                "fields": [
                    "delivery_status",
                    "sent_count",
                    "last_sent_at",
                    "payment_status",
                    "amount_paid",
                    "amount_credited",
                    "owed",
                ]
            },
        ),
        (_("History"), {"fields": ["history"]}),
    ]
    readonly_fields = ["findings_list", "close_problems", "owed", "history"]

    @admin.display(description=_("month"), ordering="period")
    def month(self, obj):
        return f"{obj.period:%Y-%m}"

    @admin.display(description=_("invoice"), ordering="number")
    def label(self, obj):
        return obj.number or _("draft #%(id)s") % {"id": obj.pk}

    @admin.display(description=_("total"), ordering="total")
    def total_amount(self, obj):
        return round_money(obj.total, obj.currency)

    @admin.display(description=_("owed"))
    def owed(self, obj):
        return round_money(obj.balance, obj.currency) if obj.status == Invoice.Status.ISSUED else "—"

    @admin.display(description=_("findings"))
    def findings_list(self, obj):
        if not obj.findings:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} · {} · {} · {}</li>",
                (
                    (
                        item.get("day", ""),
                        item.get("kind", ""),
                        item.get("item_id", ""),
                        item.get("detail", ""),
                    )
                    for item in obj.findings
                ),
            ),
        )

    @admin.display(description=_("problems of the close"))
    def close_problems(self, obj):
        run = CloseRun.objects.filter(seller_id=obj.seller_id, period=obj.period).first()
        problems = [
            problem
            for problem in (run.problems if run else [])
            if problem.get("service_line") in ("", obj.service_line.code)
        ]
        if not problems:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "", "<li>{}: {}</li>", ((p.get("service_line"), p.get("message")) for p in problems)
            ),
        )

    @admin.display(description=_("audit trail"))
    def history(self, obj):
        from portal.audit import events_of

        events = events_of(obj).select_related("actor").order_by("at", "pk")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} · {} · {}</li>",
                ((f"{e.at:%Y-%m-%d %H:%M}", e.action, e.actor or e.task_id or "—") for e in events),
            ),
        )

    # Actions and their permissions (portal/roles.py): close = ops, issue and send = finance.

    def has_close_permission(self, request) -> bool:
        return request.user.has_perm("billing.close_invoice")

    def has_issue_permission(self, request) -> bool:
        return request.user.has_perm("billing.issue_invoice")

    def has_send_permission(self, request) -> bool:
        return request.user.has_perm("billing.send_invoice")

    @admin.action(description=_("Close this month again (queue the close)"), permissions=["close"])
    def close_again(self, request, queryset):
        sellers_of: dict[Period, set[int]] = defaultdict(set)
        for seller_id, period in queryset.values_list("seller_id", "period").distinct():
            sellers_of[close.period_of(period)].add(seller_id)
        for period, seller_ids in sorted(sellers_of.items()):
            sellers = list(Seller.objects.filter(pk__in=seller_ids).order_by("code"))
            count = close.queue_close(period, sellers, by=request.user)
            self.message_user(
                request,
                ngettext(
                    "The close of %(period)s is queued for %(count)d seller.",
                    "The close of %(period)s is queued for %(count)d sellers.",
                    count,
                )
                % {"period": period, "count": count},
            )

    @admin.action(description=_("Issue selected drafts"), permissions=["issue"])
    def issue(self, request, queryset):
        issued = 0
        for invoice in queryset.select_related("seller", "service_line").order_by("period", "pk"):
            try:
                services.issue_invoice(invoice=invoice, by=request.user)
            except services.BillingError as exc:
                self.message_user(request, _error(exc), messages.ERROR)
            else:
                issued += 1
        if issued:
            self.message_user(
                request,
                ngettext("%(count)d invoice issued.", "%(count)d invoices issued.", issued)
                % {"count": issued},
            )

    @admin.action(description=_("Email selected invoices to their billing contacts"), permissions=["send"])
    def send_by_email(self, request, queryset):
        queued = 0
        for invoice in queryset.order_by("pk"):
            try:
                sending.send_invoice(invoice=invoice, by=request.user)
            except services.BillingError as exc:
                self.message_user(request, _error(exc), messages.ERROR)
            else:
                queued += 1
        if queued:
            self.message_user(
                request,
                ngettext(
                    "%(count)d invoice is being emailed to its billing contacts.",
                    "%(count)d invoices are being emailed to their billing contacts.",
                    queued,
                )
                % {"count": queued},
            )

    @admin.action(description=_("Write a supplementary draft (under-billing)"), permissions=["close"])
    def supplementary_draft(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one issued invoice."), messages.ERROR)
            return None
        original = queryset.get()
        form = SupplementaryForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                supplement = services.create_supplementary_invoice(
                    original=original,
                    lines=[
                        {
                            "section": form.cleaned_data["section"],
                            "description": form.cleaned_data["description"],
                            "amount": form.cleaned_data["amount"],
                        }
                    ],
                    by=request.user,
                )
            except services.BillingError as exc:
                form.add_error(None, _error(exc))
            else:
                self.message_user(
                    request,
                    _("Supplementary draft #%(id)s of %(number)s written; finance issues it.")
                    % {"id": supplement.pk, "number": original.number},
                )
                return None
        return _form_page(
            self,
            request,
            title=_("Supplementary invoice of %(invoice)s") % {"invoice": original},
            form=form,
            objects=[original],
            action="supplementary_draft",
        )

    # Open balances per seller and currency ("what each seller owes and what is overdue").

    def get_urls(self):
        return [
            path(
                "balances/", self.admin_site.admin_view(self.balances_view), name="billing_invoice_balances"
            ),
            path(
                "send-month/",
                self.admin_site.admin_view(self.send_month_view),
                name="billing_invoice_send_month",
            ),
            path(
                "<int:pk>/send/",
                self.admin_site.admin_view(self.send_one_view),
                name="billing_invoice_send",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_send": self.has_send_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context=extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_send": self.has_send_permission(request)}
        return super().changelist_view(request, extra_context=extra_context)

    def send_one_view(self, request, pk):
        """The invoice page's button "Email to the billing contacts" (POST only)."""
        if not self.has_send_permission(request) or request.method != "POST":
            raise PermissionDenied
        invoice = Invoice.objects.filter(pk=pk).first()
        if invoice is None:
            raise Http404
        try:
            sending.send_invoice(invoice=invoice, by=request.user)
        except services.BillingError as exc:
            self.message_user(request, _error(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                _("Invoice %(number)s is being emailed to its billing contacts.")
                % {"number": invoice.number},
            )
        return HttpResponseRedirect(reverse("admin:billing_invoice_change", args=[invoice.pk]))

    def send_month_view(self, request):
        """Email every issued invoice of a month (one operator's, or all) to the sellers' billing contacts."""
        if not self.has_send_permission(request):
            raise PermissionDenied
        form = SendMonthForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            period = form.cleaned_data["month"]
            result = sending.send_month(
                period=period,
                operator=form.cleaned_data["operator"],
                by=request.user,
                resend=form.cleaned_data["resend"],
            )
            self.message_user(
                request,
                ngettext(
                    "%(count)d invoice of %(period)s is being emailed.",
                    "%(count)d invoices of %(period)s are being emailed.",
                    len(result.sends),
                )
                % {"count": len(result.sends), "period": period},
                messages.SUCCESS if result.sends else messages.WARNING,
            )
            for invoice, why in result.skipped:
                self.message_user(
                    request,
                    _("%(number)s not emailed: %(why)s") % {"number": invoice.number, "why": why},
                    messages.WARNING,
                )
            return HttpResponseRedirect(f"{reverse('admin:billing_invoicedelivery_changelist')}")
        return _form_page(
            self,
            request,
            title=_("Email a month's invoices"),
            form=form,
            intro=_("Each issued invoice of the month goes to every billing contact of its seller."),
        )

    def balances_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("What each seller owes"),
            "rows": [
                {
                    **row,
                    "owed": round_money(row["owed"], row["currency"]),
                    "overdue": round_money(row["overdue"], row["currency"]),
                }
                for row in open_balances()
            ],
        }
        return TemplateResponse(request, "admin/billing/invoice/balances.html", context)


# --- close runs ---------------------------------------------------------------------------------------------


@admin.register(CloseRun)
class CloseRunAdmin(ReadOnlyAdmin):
    list_display = [
        "seller",
        "month",
        "status",
        "attempts",
        "drafts_written",
        "drafts_unchanged",
        "problem_count",
        "requested_by",
        "finished_at",
    ]
    list_filter = [MonthFilter, "status"]
    search_fields = ["seller__code"]
    list_select_related = ["seller", "requested_by"]
    readonly_fields = ["problem_list"]
    change_list_template = "admin/billing/closerun/change_list.html"

    @admin.display(description=_("month"), ordering="period")
    def month(self, obj):
        return f"{obj.period:%Y-%m}"

    @admin.display(description=_("problems"))
    def problem_count(self, obj):
        return len(obj.problems or [])

    @admin.display(description=_("problems"))
    def problem_list(self, obj):
        if not obj.problems:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} {}: {}</li>",
                ((p.get("warehouse"), p.get("service_line"), p.get("message")) for p in obj.problems),
            ),
        )

    def get_urls(self):
        return [
            path(
                "close-month/",
                self.admin_site.admin_view(self.close_month_view),
                name="billing_closerun_close_month",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        period = _period(request.GET.get("month")) or self._latest_period()
        progress = []
        if period is not None:
            counts = dict(
                CloseRun.objects.filter(period=period.first_day)
                .values_list("status")
                .annotate(n=Count("pk"))
                .values_list("status", "n")
            )
            progress = [(label, counts.get(value, 0)) for value, label in CloseRun.Status.choices]
        extra_context = {
            **(extra_context or {}),
            "progress_period": period,
            "progress": progress,
            "can_close": request.user.has_perm("billing.close_invoice"),
        }
        return super().changelist_view(request, extra_context=extra_context)

    def _latest_period(self) -> Period | None:
        latest = CloseRun.objects.order_by("-period").values_list("period", flat=True).first()
        return close.period_of(latest) if latest else None

    def close_month_view(self, request):
        """Close a month for every seller or chosen ones: one task per seller, progress on the changelist."""
        if not request.user.has_perm("billing.close_invoice"):
            raise PermissionDenied
        form = CloseMonthForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            period = form.cleaned_data["month"]
            sellers = list(form.cleaned_data["sellers"]) or None
            count = close.queue_close(period, sellers, by=request.user)
            self.message_user(
                request,
                ngettext(
                    "The close of %(period)s is queued for %(count)d seller.",
                    "The close of %(period)s is queued for %(count)d sellers.",
                    count,
                )
                % {"period": period, "count": count},
            )
            return HttpResponseRedirect(f"{reverse('admin:billing_closerun_changelist')}?month={period}")
        return _form_page(self, request, title=_("Close a month"), form=form)


# --- credit notes and payments ------------------------------------------------------------------------------


class CreditNoteLineInline(ReadOnlyInline):
    model = CreditNoteLine
    fields = readonly_fields = ["position", "description", "amount", "invoice_line"]


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "invoice", "seller", "total", "currency", "status", "issue_date", "created_by"]
    list_filter = ["operator", CreditNoteMonthFilter, "status"]
    search_fields = ["number", "seller__code", "invoice__number"]
    list_select_related = ["invoice", "seller", "created_by"]
    inlines = [CreditNoteLineInline]
    actions = ["issue", download_statement_pdf]

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("billing.add_creditnote")

    def has_issue_permission(self, request) -> bool:
        return request.user.has_perm("billing.issue_creditnote")

    def add_view(self, request, form_url="", extra_context=None):
        """A draft credit note of an issued invoice (one line), through ``create_credit_note``."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CreditNoteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                note = services.create_credit_note(
                    invoice=data["invoice"],
                    lines=[{"description": data["description"], "amount": data["amount"]}],
                    reason=data["reason"],
                    by=request.user,
                )
            except services.BillingError as exc:
                form.add_error(None, _error(exc))
            else:
                self.message_user(request, _("Credit note draft #%(id)s written.") % {"id": note.pk})
                return HttpResponseRedirect(reverse("admin:billing_creditnote_change", args=[note.pk]))
        return _form_page(self, request, title=_("Write a credit note"), form=form)

    @admin.action(description=_("Issue selected credit notes"), permissions=["issue"])
    def issue(self, request, queryset):
        issued = 0
        for note in queryset.order_by("pk"):
            try:
                services.issue_credit_note(credit_note=note, by=request.user)
            except services.BillingError as exc:
                self.message_user(request, f"#{note.pk}: {_error(exc)}", messages.ERROR)
            else:
                issued += 1
        if issued:
            self.message_user(
                request,
                ngettext("%(count)d credit note issued.", "%(count)d credit notes issued.", issued)
                % {"count": issued},
            )


class PaymentAllocationInline(ReadOnlyInline):
    model = Allocation
    fk_name = "payment"
    fields = readonly_fields = ["invoice", "amount", "created_at", "created_by"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "seller",
        "amount",
        "currency",
        "received_on",
        "bank_reference",
        "allocated",
        "recorded_by",
    ]
    list_filter = ["currency", "received_on"]
    search_fields = ["seller__code", "bank_reference"]
    list_select_related = ["seller", "recorded_by"]
    inlines = [PaymentAllocationInline]

    @admin.display(description=_("allocated"))
    def allocated(self, obj):
        return sum((allocation.amount for allocation in obj.allocations.all()), 0)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("allocations")

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("billing.add_payment")

    def add_view(self, request, form_url="", extra_context=None):
        """Record a payment through ``record_payment`` (allocated oldest first unless invoices are chosen)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PaymentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            chosen = sorted(data["invoices"], key=lambda invoice: (invoice.issue_date, invoice.number or ""))
            try:
                payment = services.record_payment(
                    seller=data["seller"],
                    currency=data["currency"],
                    amount=data["amount"],
                    received_on=data["received_on"],
                    bank_reference=data["bank_reference"],
                    by=request.user,
                    allocate_to=chosen or None,
                )
            except services.BillingError as exc:
                form.add_error(None, _error(exc))
            else:
                self.message_user(request, _("Payment #%(id)s recorded.") % {"id": payment.pk})
                return HttpResponseRedirect(reverse("admin:billing_payment_change", args=[payment.pk]))
        return _form_page(self, request, title=_("Record a payment"), form=form)


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ["payment", "invoice", "amount", "created_at", "created_by"]
    list_select_related = ["payment__seller", "invoice__seller", "created_by"]
    search_fields = ["invoice__number", "payment__bank_reference", "payment__seller__code"]


# --- sending (SPEC §9 Send) ---------------------------------------------------------------------------------


class DeliveryOfSendInline(ReadOnlyInline):
    model = InvoiceDelivery
    fields = readonly_fields = [
        "email",
        "name",
        "language",
        "status",
        "retries",
        "last_error",
        "queued_at",
        "sent_at",
        "message_id",
    ]


@admin.register(InvoiceSend)
class InvoiceSendAdmin(ReadOnlyAdmin):
    list_display = [
        "invoice",
        "trigger",
        "status",
        "requested_by",
        "requested_at",
        "attempts",
        "queued_at",
        "recorded_at",
        "finished_at",
        "problem",
    ]
    list_filter = ["status", "trigger", "requested_at"]
    search_fields = ["invoice__number", "invoice__seller__code"]
    list_select_related = ["invoice__seller", "requested_by"]
    inlines = [DeliveryOfSendInline]


class DeliveryMonthFilter(MonthFilter):
    field = "invoice__period"

    def lookups(self, request, model_admin):
        months = Invoice.objects.filter(deliveries__isnull=False).order_by("-period")
        months = months.values_list("period", flat=True).distinct()
        return [(f"{month:%Y-%m}", f"{month:%Y-%m}") for month in months[:36]]


@admin.register(InvoiceDelivery)
class InvoiceDeliveryAdmin(ReadOnlyAdmin):
    """Every invoice email and its result; filter on *failed* to see what did not reach a contact."""

    list_display = [
        "invoice",
        "seller",
        "email",
        "language",
        "status",
        "retries",
        "last_error",
        "queued_at",
        "sent_at",
    ]
    list_filter = ["status", DeliveryMonthFilter, "language", "send__trigger"]
    search_fields = ["invoice__number", "email", "invoice__seller__code"]
    list_select_related = ["invoice__seller"]
    date_hierarchy = "queued_at"

    @admin.display(description=_("seller"), ordering="invoice__seller__code")
    def seller(self, obj):
        return obj.invoice.seller.code


from billing import dispute_admin  # noqa: E402, F401  (disputes: their own module)
