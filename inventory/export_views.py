"""Seller pages of exports that run on a worker (issue 10): progress while the file is written, then
the download; both scoped by seller (another seller's export answers 404)."""

from django.http import FileResponse, Http404
from django.views import View
from django.views.generic import DetailView

from inventory.exports import CONTENT_TYPES
from inventory.models import ExportJob
from portal.tenancy import SellerObjectMixin


class ExportJobView(SellerObjectMixin, DetailView):
    """One export: a progress bar while it runs (htmx polls this page), then its download."""

    scoped_model = ExportJob
    template_name = "inventory/export_job.html"
    context_object_name = "job"

    def get_object(self, queryset=None):
        return self.get_scoped_object(pk=self.kwargs["pk"])

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return ["inventory/_export_progress.html"]
        return [self.template_name]


class ExportDownloadView(SellerObjectMixin, View):
    scoped_model = ExportJob

    def get(self, request, pk):
        job = self.get_scoped_object(pk=pk)
        if job.status != ExportJob.Status.READY or not job.file:
            raise Http404("This export is not ready.")
        return FileResponse(
            job.file.open("rb"),
            as_attachment=True,
            filename=job.file_name,
            content_type=CONTENT_TYPES[job.file_format],
        )
