"""The admin action that streams a document's PDF to ops (issue 13): a draft statement rendered on demand, an
issued document's stored file (rendered first when it is not yet), in the seller's language."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from billing.models import StatementFile
from billing.statements.files import statement_pdf


@admin.action(description=_("Download the PDF (the seller's language)"), permissions=["view"])
def download_statement_pdf(modeladmin, request, queryset):
    documents = list(queryset[:2])
    if len(documents) != 1:
        modeladmin.message_user(
            request, _("Select exactly one document to download its PDF."), messages.WARNING
        )
        return None
    document = documents[0]
    filename, content = statement_pdf(document, document.seller.language)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.register(StatementFile)
class StatementFileAdmin(admin.ModelAdmin):
    """The stored PDFs (read-only): which are ready, which failed and why."""

    list_display = ["__str__", "language", "status", "pages", "size", "attempts", "created_at", "finished_at"]
    list_filter = ["status", "language"]
    search_fields = ["invoice__number", "credit_note__number", "invoice__seller__code"]
    list_select_related = ["invoice__seller", "credit_note"]
    readonly_fields = [field.name for field in StatementFile._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
