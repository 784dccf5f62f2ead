"""Admin for operators, warehouses, SKUs and inbound orders: ops advance orders and record receiving."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from inventory.inbound import services, workflow
from inventory.ledgers import imports as ledger_import
from inventory.ledgers.kinds import KINDS, LedgerKind
from inventory.models import (
    Certificate,
    ClosedPeriod,
    DestinationRule,
    ExportJob,
    InboundCarton,
    InboundOrder,
    LedgerFile,
    LedgerReplacement,
    OrderAttachment,
    OrderDocument,
    OrderEvent,
    ReceivingDiscrepancy,
    Sku,
    StockLevel,
)
from portal.choices import Currency
from portal.uploads import validate_document


class CertificateInline(admin.TabularInline):
    model = Certificate
    extra = 0
    fields = ["kind", "number", "expires_on", "file"]


@admin.register(Sku)
class SkuAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "seller", "category", "hs_code", "declared_value", "declared_currency"]
    list_filter = ["category", "has_battery", "is_liquid", "is_powder", "is_electrical", "seller"]
    search_fields = ["code", "name_zh", "name_en", "name_ja", "barcode", "fnsku", "seller__code"]
    list_select_related = ["seller"]
    inlines = [CertificateInline]


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["sku", "kind", "number", "expires_on", "uploaded_at"]
    list_filter = ["kind", ("expires_on", admin.DateFieldListFilter)]
    search_fields = ["number", "sku__code", "sku__seller__code"]
    list_select_related = ["sku"]


@admin.register(DestinationRule)
class DestinationRuleAdmin(admin.ModelAdmin):
    list_display = ["destination", "requirement", "applies_when", "certificates", "field", "active"]
    list_filter = ["destination", "active"]
    search_fields = ["requirement"]


class AttachmentForm(forms.ModelForm):
    class Meta:
        model = OrderAttachment
        fields = ["state", "title", "file"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload and hasattr(upload, "read"):
            validate_document(upload)
        return upload


class CartonInline(admin.TabularInline):
    model = InboundCarton
    extra = 0
    fields = ["carton_id", "length_mm", "width_mm", "height_mm", "gross_weight_kg", "received_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    fields = ["at", "from_state", "to_state", "actor", "actor_role", "comment", "data"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AttachmentInline(admin.TabularInline):
    """Ops attach the documents of a step (B/L, customs declaration, inspection report); PDF, JPEG or PNG."""

    model = OrderAttachment
    form = AttachmentForm
    extra = 1
    fields = ["state", "title", "file", "uploaded_at"]
    readonly_fields = ["uploaded_at"]


def document_download_link(document: OrderDocument) -> str:
    if document.status != OrderDocument.Status.READY:
        return "—"
    url = reverse("admin:inventory_orderdocument_download", args=[document.pk])
    return format_html('<a href="{}">{}</a>', url, _("Download"))


class GeneratedDocumentInline(admin.TabularInline):
    """The documents rendered for the order (packing list, labels, commercial invoice), to download."""

    model = OrderDocument
    extra = 0
    fields = ["kind", "language", "status", "pages_done", "pages_total", "created_at", "download"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("file"))
    def download(self, obj):
        return document_download_link(obj)


class AdvanceForm(forms.Form):
    """Ops move an order one step and record what that step needs (SPEC §5)."""

    target = forms.ChoiceField(label=_("Move to"))
    carrier = forms.CharField(label=_("carrier"), required=False)
    tracking_number = forms.CharField(label=_("tracking or B/L number"), required=False)
    etd = forms.DateField(label=_("ETD"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    eta = forms.DateField(label=_("ETA"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    export_declaration_no = forms.CharField(label=_("export declaration number"), required=False)
    import_declaration_no = forms.CharField(label=_("import declaration number"), required=False)
    duties_paid = forms.DecimalField(
        label=_("duties and taxes paid"), required=False, max_digits=14, decimal_places=2, min_value=0
    )
    duties_currency = forms.ChoiceField(
        label=_("duties currency"), required=False, choices=[("", "—"), *Currency.choices]
    )
    hold_reason = forms.CharField(label=_("hold reason"), required=False)
    comment = forms.CharField(label=_("comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [
            (state, InboundOrder.State(state).label) for state in workflow.next_states(order, workflow.OPS)
        ]

    def step_data(self) -> dict:
        fields = services.STEP_FIELDS.get(self.cleaned_data["target"], ())
        return {
            name: self.cleaned_data[name] for name in fields if self.cleaned_data.get(name) not in (None, "")
        }


@admin.register(InboundOrder)
class InboundOrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "seller",
        "warehouse",
        "state",
        "shipping_mode",
        "trade_term",
        "eta",
        "created_at",
    ]
    list_filter = ["state", "warehouse", "shipping_mode", "trade_term"]
    search_fields = ["number", "tracking_number", "seller__code", "seller__name", "cartons__carton_id"]
    list_select_related = ["seller", "warehouse"]
    readonly_fields = [
        "number",
        "seller",
        "warehouse",
        "state",
        "held_state",
        "hold_reason",
        "carrier",
        "tracking_number",
        "etd",
        "eta",
        "export_declaration_no",
        "import_declaration_no",
        "duties_paid",
        "duties_currency",
        "estimate",
        "created_by",
        "created_at",
        "trade_term",
        "shipping_mode",
        "insured",
        "expected_ship_date",
        "expected_arrival_date",
    ]
    fields = readonly_fields + ["notes"]
    inlines = [AttachmentInline, GeneratedDocumentInline, CartonInline, EventInline]
    actions = ["start_receiving"]

    def has_add_permission(self, request):
        return False  # sellers create orders in the portal

    def get_urls(self):
        return [
            path(
                "<int:pk>/advance/",
                self.admin_site.admin_view(self.advance_view),
                name="inventory_order_advance",
            ),
            path(
                "<int:pk>/receive/",
                self.admin_site.admin_view(self.receive_view),
                name="inventory_order_receive",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "advance_url": reverse("admin:inventory_order_advance", args=[object_id]),
            "receive_url": reverse("admin:inventory_order_receive", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _order(self, request, pk) -> InboundOrder:
        if not self.has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(InboundOrder.objects.select_related("seller", "warehouse"), pk=pk)

    def advance_view(self, request, pk):
        order = self._order(request, pk)
        form = AdvanceForm(request.POST or None, order=order)
        if request.method == "POST" and form.is_valid():
            try:
                services.advance_order(
                    order=order,
                    target=form.cleaned_data["target"],
                    user=request.user,
                    role=workflow.OPS,
                    comment=form.cleaned_data["comment"],
                    data=form.step_data(),
                )
            except (workflow.TransitionError, ValidationError) as exc:
                form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
            else:
                self.message_user(
                    request,
                    _("%(number)s is now “%(state)s”.")
                    % {
                        "number": order.number,
                        "state": InboundOrder.State(form.cleaned_data["target"]).label,
                    },
                )
                return redirect("admin:inventory_inboundorder_change", order.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "order": order,
            "form": form,
            "title": _("Advance %(number)s") % {"number": order.number},
        }
        return TemplateResponse(request, "admin/inventory/inboundorder/advance.html", context)

    def receive_view(self, request, pk):
        """Scan a carton id, then record received and damaged units per line."""
        order = self._order(request, pk)
        carton_id = (request.POST.get("carton_id") or request.GET.get("carton_id") or "").strip()
        carton = (
            order.cartons.filter(carton_id=carton_id).prefetch_related("lines__sku").first()
            if carton_id
            else None
        )
        errors = []
        if carton_id and carton is None:
            errors.append(_("Carton %(id)s is not part of this order.") % {"id": carton_id})
        if request.method == "POST" and carton is not None and "record" in request.POST:
            try:
                counts = {
                    line.pk: (
                        int(request.POST[f"received_{line.pk}"]),
                        int(request.POST.get(f"damaged_{line.pk}") or 0),
                    )
                    for line in carton.lines.all()
                }
                services.record_receiving(
                    order=order, carton_id=carton.carton_id, counts=counts, user=request.user
                )
            except (KeyError, ValueError):
                errors.append(_("Enter whole numbers for every line."))
            except ValidationError as exc:
                errors.extend(exc.messages)
            else:
                self.message_user(request, _("Carton %(id)s counted.") % {"id": carton.carton_id})
                return redirect("admin:inventory_order_receive", order.pk)
        cartons = order.cartons.prefetch_related("lines__sku")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "order": order,
            "carton": carton,
            "cartons": cartons,
            "errors": errors,
            "title": _("Receiving %(number)s") % {"number": order.number},
        }
        return TemplateResponse(request, "admin/inventory/inboundorder/receive.html", context)

    @admin.action(description=_("Start receiving (import cleared orders)"), permissions=["change"])
    def start_receiving(self, request, queryset):
        moved = 0
        for order in queryset.filter(state=InboundOrder.State.IMPORT_CLEARED):
            services.advance_order(
                order=order, target=InboundOrder.State.RECEIVING, user=request.user, role=workflow.OPS
            )
            moved += 1
        self.message_user(request, _("%(count)d orders are receiving.") % {"count": moved})


@admin.register(ReceivingDiscrepancy)
class ReceivingDiscrepancyAdmin(admin.ModelAdmin):
    list_display = ["order", "line", "kind", "units", "created_at"]
    list_filter = ["kind"]
    search_fields = ["order__number", "line__sku__code"]
    list_select_related = ["order", "line__sku"]


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    list_display = ["sku", "seller", "warehouse", "available_units", "updated_at"]
    list_filter = ["warehouse"]
    search_fields = ["sku__code", "seller__code"]
    list_select_related = ["sku", "seller", "warehouse"]


@admin.register(OrderEvent)
class OrderEventAdmin(admin.ModelAdmin):
    list_display = ["order", "from_state", "to_state", "actor", "actor_role", "at"]
    list_filter = ["to_state", "actor_role"]
    search_fields = ["order__number", "comment"]
    list_select_related = ["order", "actor"]

    def has_change_permission(self, request, obj=None):
        return False  # the timeline is append-only


class LedgerUploadForm(forms.ModelForm):
    """Ops upload a warehouse's official ledger (or a seller's on its behalf); a worker checks the rows."""

    upload = forms.FileField(label=_("File (CSV or XLSX)"))

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        if upload.size == 0:
            raise ValidationError(_("The file is empty."))
        if upload.size > settings.LEDGER_MAX_BYTES:
            raise ValidationError(
                _("The file is larger than %(limit)d MB.") % {"limit": settings.LEDGER_MAX_BYTES >> 20}
            )
        return upload

    class Meta:
        model = LedgerFile
        fields = ["kind", "warehouse", "source", "seller"]


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Kept with the upload for audit and shown on the seller's upload page."),
    )


def _file_link(ledger_file: LedgerFile):
    url = reverse("admin:inventory_ledgerfile_change", args=[ledger_file.pk])
    return format_html('<a href="{}">#{} {}</a>', url, ledger_file.pk, ledger_file.original_name)


def _when(moment) -> str:
    return date_format(localtime(moment), "SHORT_DATETIME_FORMAT")


def _who(user) -> str:
    return user.email if user is not None else str(_("the system"))


@admin.register(LedgerFile)
class LedgerFileAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "original_name",
        "kind",
        "source",
        "seller",
        "warehouse",
        "status",
        "row_count",
        "rows_stored",
        "error_count",
        "period_start",
        "period_end",
        "uploaded_at",
        "withdrawn_at",
    ]
    list_display_links = ["id", "original_name"]
    list_filter = ["status", "kind", "source", "warehouse", "seller"]
    search_fields = ["original_name", "sha256", "seller__code", "warehouse__code"]
    list_select_related = ["seller", "warehouse"]
    actions = ["withdraw_uploads"]
    readonly_fields = [
        "history",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawal_reason",
        "original_name",
        "size",
        "sha256",
        "status",
        "row_count",
        "rows_checked",
        "rows_stored",
        "error_count",
        "errors",
        "message",
        "period_start",
        "period_end",
        "file_format",
        "encoding",
        "attempts",
        "uploaded_by",
        "uploaded_at",
        "finished_at",
        "file",
        "error_file",
    ]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["kind", "warehouse", "source", "seller", "upload"]
        return ["kind", "warehouse", "source", "seller", *self.readonly_fields]

    @admin.display(description=_("History"))
    def history(self, obj: LedgerFile):
        """What this upload replaced, what replaced it, and its withdrawal (SPEC §6: kept for audit)."""
        lines = []
        for record in LedgerReplacement.objects.filter(new_file=obj).select_related("old_file"):
            lines.append(
                (
                    _("Replaces %(rows)s rows of") % {"rows": record.rows},
                    _file_link(record.old_file),
                    _("on %(when)s") % {"when": _when(record.replaced_at)},
                )
            )
        for record in LedgerReplacement.objects.filter(old_file=obj).select_related("new_file__uploaded_by"):
            lines.append(
                (
                    _("%(rows)s rows replaced by") % {"rows": record.rows},
                    _file_link(record.new_file),
                    _("on %(when)s by %(who)s")
                    % {
                        "when": _when(record.replaced_at),
                        "who": _who(record.new_file.uploaded_by),
                    },
                )
            )
        if obj.status == LedgerFile.Status.WITHDRAWN:
            lines.append(
                (
                    _("Withdrawn"),
                    obj.withdrawal_reason,
                    _("on %(when)s by %(who)s")
                    % {"when": _when(obj.withdrawn_at), "who": _who(obj.withdrawn_by)},
                )
            )
        if not lines:
            return "—"
        return format_html_join("", "<div>{} {} {}</div>", lines)

    def has_withdraw_permission(self, request) -> bool:
        return request.user.has_perm("inventory.withdraw_ledgerfile")

    @admin.action(description=_("Withdraw selected uploads (kept for audit)"), permissions=["withdraw"])
    def withdraw_uploads(self, request, queryset):
        """Ask for the reason, then withdraw each selected upload through the service (SPEC §6)."""
        form = WithdrawForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for ledger_file in queryset.order_by("pk"):
                try:
                    result = ledger_import.withdraw_ledger_file(
                        ledger_file, by=request.user, reason=form.cleaned_data["reason"]
                    )
                except ledger_import.WithdrawalRefused as exc:
                    self.message_user(request, str(exc), messages.ERROR)
                else:
                    self.message_user(
                        request,
                        _("Upload #%(id)s withdrawn: %(out)s rows out of force, %(back)s older rows back.")
                        % {"id": ledger_file.pk, "out": result.rows_withdrawn, "back": result.rows_restored},
                    )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Withdraw ledger uploads"),
            "files": queryset.select_related("seller", "warehouse").order_by("pk"),
            "form": form,
            "action": "withdraw_uploads",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/inventory/ledgerfile/withdraw.html", context)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = LedgerUploadForm
            kwargs["fields"] = ["kind", "warehouse", "source", "seller", "upload"]
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + ["kind", "warehouse", "source", "seller"] if obj else []

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["kind", "warehouse", "source", "seller", "upload"]})]
        return super().get_fieldsets(request, obj)

    def has_change_permission(self, request, obj=None):
        return False  # an upload is kept as it came; withdrawing is the one change (an action)

    def has_delete_permission(self, request, obj=None):
        return False  # kept for audit (SPEC §6): a wrong upload is withdrawn, a refused one's file purged

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        uploaded = form.cleaned_data["upload"]
        try:
            result = ledger_import.create_upload(
                uploaded=uploaded,
                name=uploaded.name,
                seller=form.cleaned_data["seller"],
                warehouse=form.cleaned_data["warehouse"],
                kind=form.cleaned_data["kind"],
                source=form.cleaned_data["source"],
                user=request.user,
                max_bytes=settings.LEDGER_MAX_BYTES,
            )
        except ledger_import.UploadRefused as exc:  # the form checked size already; kept for a race
            messages.error(request, str(exc))
            return
        obj.pk = result.ledger_file.pk
        if not result.created:
            messages.info(request, _("This file was uploaded before; it is stored once."))

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:
            return redirect("admin:inventory_ledgerfile_changelist")
        return redirect("admin:inventory_ledgerfile_change", obj.pk)


@admin.register(ClosedPeriod)
class ClosedPeriodAdmin(admin.ModelAdmin):
    """Months whose invoice is issued (SPEC §6): written by billing (``close_ledger_period``), read here."""

    list_display = ["seller", "warehouse", "service_line", "month", "closed_at", "closed_by", "reference"]
    list_filter = ["warehouse", "seller", ("month", admin.DateFieldListFilter)]
    search_fields = ["seller__code", "reference"]
    list_select_related = ["seller", "warehouse", "service_line", "closed_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def row_admin(kind: LedgerKind):
    """A read-only admin list of a ledger kind's rows, filtered by seller, warehouse, line, source, day."""
    date_field, search = kind.date_field, kind.search_field

    class RowAdmin(admin.ModelAdmin):
        list_display = [
            "ledger_file",
            "seller",
            "warehouse",
            "service_line",
            "source",
            date_field,
            search,
            "is_current",
        ]
        list_filter = [
            "is_current",
            "source",
            "warehouse",
            "service_line",
            "seller",
            (date_field, admin.DateFieldListFilter),
        ]
        search_fields = [search]
        list_select_related = ["seller", "warehouse", "service_line", "ledger_file"]
        date_hierarchy = date_field

        def has_add_permission(self, request):
            return False

        def has_change_permission(self, request, obj=None):
            return False

    admin.site.register(kind.model, RowAdmin)


for ledger_kind in KINDS.values():
    row_admin(ledger_kind)


@admin.register(OrderDocument)
class OrderDocumentAdmin(admin.ModelAdmin):
    """Documents rendered on a worker; ops download them here (view permission is enough)."""

    list_display = [
        "order",
        "kind",
        "language",
        "status",
        "attempts",
        "created_at",
        "finished_at",
        "download",
    ]
    list_filter = ["kind", "status", "language"]
    search_fields = ["order__number", "order__seller__code"]
    list_select_related = ["order"]
    readonly_fields = [f.name for f in OrderDocument._meta.fields] + ["download"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("file"))
    def download(self, obj):
        return document_download_link(obj)

    def get_urls(self):
        return [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="inventory_orderdocument_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        document = get_object_or_404(OrderDocument.objects.select_related("order"), pk=pk)
        if document.status != OrderDocument.Status.READY:
            raise Http404("This document is not rendered yet.")
        return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.download_name)


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ["seller", "kind", "file_format", "status", "row_count", "created_at", "finished_at"]
    list_filter = ["status", "file_format"]
    search_fields = ["seller__code", "kind"]
    readonly_fields = [f.name for f in ExportJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
