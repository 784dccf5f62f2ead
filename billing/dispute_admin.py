"""Admin of disputes (SPEC §10, §13): ops see each dispute with its thread, the proposal beside the invoiced
line and how long it has been open; they accept it (a credit note now or a pending adjustment, with a reason),
reject it (with a reason), close it, or reply (with evidence). Every action calls ``billing.disputes``.

Who may do what (``portal.roles``): ops decide and reply (SPEC §1: ops resolve disputes and issue credit
notes); finance reads disputes and pending adjustments."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing import disputes
from billing.admin import ReadOnlyAdmin, ReadOnlyInline, _error
from billing.dispute_forms import EvidenceField
from billing.models import Dispute, DisputeAttachment, DisputeMessage, PendingAdjustment


class OpenForFilter(admin.SimpleListFilter):
    """Disputes still being argued for more than 7 or 30 days."""

    title = _("open for")
    parameter_name = "open_for"

    def lookups(self, request, model_admin):
        return [("7", _("more than 7 days")), ("30", _("more than 30 days"))]

    def queryset(self, request, queryset):
        if self.value() in ("7", "30"):
            since = timezone.now() - timedelta(days=int(self.value()))
            return queryset.filter(state__in=Dispute.ACTIVE_STATES, opened_at__lt=since)
        return queryset


class DisputeMessageInline(ReadOnlyInline):
    model = DisputeMessage
    fields = readonly_fields = ["created_at", "from_seller", "author", "body", "files"]

    @admin.display(description=_("evidence"))
    def files(self, message):
        return format_html_join(
            mark_safe("<br>"),
            "{} ({}, {} B)",
            ((item.name, item.mime_type, item.size) for item in message.attachments.all()),
        )


class AcceptForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Dispute.Decision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class ReplyAdminForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))
    files = EvidenceField(label=_("Evidence"), required=False)


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = [
        "label",
        "seller",
        "invoice",
        "line_label",
        "reason",
        "origin",
        "state",
        "difference",
        "decision",
        "open_for",
    ]
    list_filter = ["state", OpenForFilter, "invoice__operator", "origin", "reason", "decision"]
    search_fields = ["=id", "seller__code", "seller__name", "invoice__number", "reference", "text"]
    list_select_related = ["seller", "invoice", "line"]
    date_hierarchy = "opened_at"
    inlines = [DisputeMessageInline]
    actions = ["accept", "reject", "close", "reply"]
    fields = readonly_fields = [
        "seller",
        "invoice",
        "line",
        "origin",
        "opened_by",
        "source",
        "reason",
        "text",
        "reference",
        "claimed_quantity",
        "claimed_weight_kg",
        "claimed_day_from",
        "claimed_day_to",
        "claimed_amount",
        "seller_figures",
        "state",
        "line_amount",
        "proposed_line_amount",
        "original_total",
        "proposed_total",
        "difference",
        "formula",
        "proposed_at",
        "proposal_error",
        "decision",
        "decision_reason",
        "decided_by",
        "decided_at",
        "credit_note",
        "opened_at",
        "closed_at",
        "open_for",
    ]

    def has_decide_permission(self, request):
        return request.user.has_perm("billing.decide_dispute")

    def has_reply_permission(self, request):
        return request.user.has_perm("billing.reply_dispute")

    @admin.display(description=_("dispute"), ordering="pk")
    def label(self, dispute):
        return f"D-{dispute.pk}"

    @admin.display(description=_("line"))
    def line_label(self, dispute):
        return (
            "—"
            if dispute.line is None
            else f"#{dispute.line.position} {dispute.line.code} {dispute.line.amount}"
        )

    @admin.display(description=_("open for"), ordering="opened_at")
    def open_for(self, dispute):
        end = dispute.closed_at or dispute.decided_at or timezone.now()
        days = (end - dispute.opened_at).days
        return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}

    def _form(self, request, queryset, *, form_class, title, action):
        form = form_class(request.POST, request.FILES) if "apply" in request.POST else form_class()
        if "apply" in request.POST and form.is_valid():
            return form.cleaned_data
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "form": form,
            "objects": list(queryset),
            "action": action,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/billing/dispute/form.html", context)

    def _each(self, request, queryset, step, done_message):
        done = 0
        for dispute in queryset.order_by("pk"):
            try:
                step(dispute)
            except disputes.BillingError as exc:
                self.message_user(request, f"D-{dispute.pk}: {_error(exc)}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, done_message(done))

    @admin.action(
        description=_("Accept selected disputes (credit note or pending adjustment)"), permissions=["decide"]
    )
    def accept(self, request, queryset):
        data = self._form(
            request, queryset, form_class=AcceptForm, title=_("Accept disputes"), action="accept"
        )
        if not isinstance(data, dict):
            return data
        self._each(
            request,
            queryset,
            lambda d: disputes.accept_dispute(
                dispute=d, decision=data["decision"], reason=data["reason"], by=request.user
            ),
            lambda n: (
                ngettext("%(count)d dispute accepted.", "%(count)d disputes accepted.", n) % {"count": n}
            ),
        )
        return None

    @admin.action(description=_("Reject selected disputes (with a reason)"), permissions=["decide"])
    def reject(self, request, queryset):
        data = self._form(
            request, queryset, form_class=ReasonForm, title=_("Reject disputes"), action="reject"
        )
        if not isinstance(data, dict):
            return data
        self._each(
            request,
            queryset,
            lambda d: disputes.reject_dispute(dispute=d, reason=data["reason"], by=request.user),
            lambda n: (
                ngettext("%(count)d dispute rejected.", "%(count)d disputes rejected.", n) % {"count": n}
            ),
        )
        return None

    @admin.action(description=_("Close selected decided disputes"), permissions=["decide"])
    def close(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda d: disputes.close_dispute(dispute=d, by=request.user),
            lambda n: ngettext("%(count)d dispute closed.", "%(count)d disputes closed.", n) % {"count": n},
        )

    @admin.action(description=_("Reply to selected disputes"), permissions=["reply"])
    def reply(self, request, queryset):
        data = self._form(request, queryset, form_class=ReplyAdminForm, title=_("Reply"), action="reply")
        if not isinstance(data, dict):
            return data
        self._each(
            request,
            queryset,
            lambda d: disputes.reply_to_dispute(
                dispute=d, by=request.user, body=data["body"], from_seller=False, files=data["files"]
            ),
            lambda n: ngettext("%(count)d reply sent.", "%(count)d replies sent.", n) % {"count": n},
        )
        return None


@admin.register(PendingAdjustment)
class PendingAdjustmentAdmin(ReadOnlyAdmin):
    list_display = [
        "dispute",
        "seller",
        "service_line",
        "amount",
        "pass_through_amount",
        "currency",
        "carried_by",
    ]
    list_filter = [("carried_by", admin.EmptyFieldListFilter), "currency"]
    search_fields = ["seller__code", "carried_by__number"]
    list_select_related = ["dispute__invoice", "seller", "service_line", "carried_by"]


admin.site.register(DisputeAttachment, ReadOnlyAdmin)
