"""Seller pages of the SKU catalog (SPEC §4, §13): list with readiness per destination, create, edit,
detail with certificates, certificate file and delete, import and export.

Every query goes through ``portal.tenancy``: another seller's SKU or certificate is a 404.
"""

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import CreateView, DetailView, FormView, TemplateView, UpdateView

from inventory.catalog.compliance import DESTINATIONS, active_rules, readiness
from inventory.catalog.filters import DESTINATION_CHOICES, SkuFilter
from inventory.catalog.forms import SKU_FIELDS, CertificateForm, SkuForm, SkuImportForm
from inventory.catalog.resources import HEADER_ALIASES, export_skus
from inventory.catalog.sku_import import SkuImportRefused, create_sku_import
from inventory.catalog.tables import FLAG_ICONS, CertificateTable, SkuTable, money_text, requirement_text
from inventory.exports import create_export, filters_of
from inventory.models import Certificate, Sku, SkuImportJob
from portal.choices import Currency
from portal.paging import SafeRequestConfig
from portal.tenancy import SellerObjectMixin, SellerViewMixin, scope
from portal.uploads import EXTENSIONS, download_name, read_head, sniff_document_type

EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def dimensions_text(*sides) -> str:
    return "—" if any(side is None for side in sides) else " × ".join(str(side) for side in sides) + " mm"


def seller_skus(seller):
    return scope(Sku.objects.all(), seller)


class SkuListView(SellerViewMixin, TemplateView):
    template_name = "inventory/sku_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today, rules = timezone.localdate(), active_rules()
        skus = seller_skus(self.seller)
        sku_filter = SkuFilter(self.request.GET, queryset=skus, rules=rules, today=today)
        table = SkuTable(
            sku_filter.qs.prefetch_related("certificates"),
            rules=rules,
            today=today,
            exclude=("actions",) if self.read_only else (),  # no edit button for a suspended seller
        )
        SafeRequestConfig(self.request, paginate={"per_page": 25}).configure(table)
        context.update(
            table=table,
            sku_filter=sku_filter,
            catalog_empty=not skus.exists(),
            query=self.request.GET.urlencode(),
        )
        return context


class SkuFormMixin:
    """Create and edit share the form, the template and the save (the code's unique constraint is a
    form error, never a 500)."""

    model = Sku
    form_class = SkuForm
    template_name = "inventory/sku_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "seller": self.seller}

    def form_valid(self, form):
        try:
            with transaction.atomic():
                self.object = form.save()
        except IntegrityError:
            form.add_code_taken_error()
            return self.form_invalid(form)
        messages.success(self.request, _("SKU %(code)s saved.") % {"code": self.object.code})
        return redirect("inventory:sku-detail", pk=self.object.pk)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SkuCreateView(SellerViewMixin, SkuFormMixin, CreateView):
    form_page = True


class SkuEditView(SellerObjectMixin, SkuFormMixin, UpdateView):
    scoped_model = Sku
    form_page = True


class SkuDetailView(SellerObjectMixin, DetailView):
    """All fields, readiness per destination, certificates; POST uploads a certificate."""

    scoped_model = Sku
    template_name = "inventory/sku_detail.html"
    context_object_name = "sku"

    def get_queryset(self):
        return super().get_queryset().prefetch_related("certificates")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        sku = self.object
        result = readiness(sku, rules=active_rules(), today=today)
        labels = dict(DESTINATION_CHOICES)
        certificates = CertificateTable(sku.certificates.all(), today=today)
        SafeRequestConfig(self.request, paginate=False).configure(certificates)
        context.update(
            declared_value=money_text(sku.declared_value, sku.declared_currency),
            flags=[(icon, label, getattr(sku, name)) for name, icon, label in FLAG_ICONS],
            flagged=any(getattr(sku, name) for name, _icon, _label in FLAG_ICONS),
            item_dimensions=dimensions_text(sku.length_mm, sku.width_mm, sku.height_mm),
            carton_dimensions=dimensions_text(
                sku.carton_length_mm, sku.carton_width_mm, sku.carton_height_mm
            ),
            readiness=[
                (code, labels[code], [requirement_text(m) for m in result[code]]) for code in DESTINATIONS
            ],
            certificates=certificates,
            certificate_form=kwargs.get("certificate_form") or CertificateForm(sku=sku),
        )
        return context

    def post(self, request, pk):
        self.object = self.get_object()
        form = CertificateForm(request.POST, request.FILES, sku=self.object, user=request.user)
        if form.is_valid():
            certificate = form.save()
            messages.success(
                request,
                _("%(kind)s certificate %(number)s added.")
                % {"kind": certificate.kind, "number": certificate.number},
            )
            return redirect("inventory:sku-detail", pk=self.object.pk)
        return self.render_to_response(self.get_context_data(certificate_form=form), status=400)


class CertificateFileView(SellerObjectMixin, View):
    """The certificate's file, for its own seller only, typed from its content."""

    scoped_model = Certificate

    def get(self, request, pk):
        certificate = self.get_scoped_object(pk=pk)
        if not certificate.file:
            messages.info(request, _("This certificate has no file."))
            return redirect("inventory:sku-detail", pk=certificate.sku_id)
        try:
            handle = certificate.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404(_("The file is missing.")) from exc
        mime_type = sniff_document_type(read_head(handle))
        if mime_type is None:  # never stored by the upload form; refuse rather than guess
            handle.close()
            raise Http404(_("The file is not a document."))
        name = download_name(certificate.file.name)
        if not name.lower().endswith(EXTENSIONS[mime_type]):
            name += EXTENSIONS[mime_type]
        return FileResponse(handle, content_type=mime_type, filename=name, as_attachment=False)


class CertificateDeleteView(SellerObjectMixin, View):
    scoped_model = Certificate

    def post(self, request, pk):
        certificate = self.get_scoped_object(pk=pk)
        sku_id, file = certificate.sku_id, certificate.file
        with transaction.atomic():
            certificate.delete()
            if file:
                storage, name = file.storage, file.name
                transaction.on_commit(lambda: storage.delete(name))
        messages.success(
            request,
            _("%(kind)s certificate %(number)s deleted.")
            % {"kind": certificate.kind, "number": certificate.number},
        )
        return redirect("inventory:sku-detail", pk=sku_id)

    def get(self, request, pk):
        certificate = self.get_scoped_object(pk=pk)
        return redirect("inventory:sku-detail", pk=certificate.sku_id)


class SkuImportView(SellerViewMixin, FormView):
    """Upload a CSV/XLSX: it is kept as a job that a worker imports (all rows or none); the job's page
    shows the progress, then the result or every bad row."""

    template_name = "inventory/sku_import.html"
    form_class = SkuImportForm
    form_page = True

    def get_context_data(self, **kwargs):
        columns = [
            (name, capfirst(Sku._meta.get_field(name).verbose_name), HEADER_ALIASES.get(name, ()))
            for name in SKU_FIELDS
        ]
        jobs = scope(SkuImportJob.objects.all(), self.seller)[:10]
        return super().get_context_data(
            columns=columns, categories=Sku.Category.values, currencies=Currency.values, jobs=jobs, **kwargs
        )

    def form_valid(self, form):
        try:
            job = create_sku_import(
                seller=self.seller, uploaded=form.cleaned_data["file"], user=self.request.user
            )
        except SkuImportRefused as exc:
            form.add_error("file", str(exc))
            return self.form_invalid(form)
        return redirect("inventory:sku-import-job", pk=job.pk)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SkuImportJobView(SellerObjectMixin, DetailView):
    """One SKU import: a progress bar while the worker runs it (htmx polls), then the result."""

    scoped_model = SkuImportJob
    template_name = "inventory/sku_import_job.html"
    context_object_name = "job"

    def get_object(self, queryset=None):
        return self.get_scoped_object(pk=self.kwargs["pk"])

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return ["inventory/_sku_import_progress.html"]
        return [self.template_name]


class SkuExportView(SellerViewMixin, View):
    """The filtered list as CSV or XLSX (``?format=csv|xlsx`` plus the list's filters)."""

    def get(self, request):
        file_format = request.GET.get("format", "csv")
        if file_format not in EXPORT_FORMATS:
            raise Http404(_("Unknown export format."))
        skus = seller_skus(self.seller)
        if request.GET.get("template"):
            queryset = skus.none()
        else:
            sku_filter = SkuFilter(
                request.GET, queryset=skus, rules=active_rules(), today=timezone.localdate()
            )
            queryset = sku_filter.qs.order_by("code")
            if queryset.count() > settings.EXPORT_INLINE_MAX_ROWS:  # a large export runs on a worker
                job = create_export(
                    seller=self.seller,
                    user=request.user,
                    kind="skus",
                    filters=filters_of(request.GET),
                    file_format=file_format,
                )
                return redirect("inventory:export", pk=job.pk)
        content = export_skus(queryset, file_format=file_format, seller=self.seller)
        response = HttpResponse(content, content_type=EXPORT_FORMATS[file_format])
        name = "sku-template" if request.GET.get("template") else f"skus-{timezone.localdate():%Y%m%d}"
        response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
        return response
