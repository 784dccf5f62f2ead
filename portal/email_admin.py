"""Read-only admin of the email queue (issue 10, finding 9).

Ops see every queued, sent and failed message: recipients, subject, status, retries, last error, when.
Nobody sees a body in admin: bodies carry invitation and password-reset links, so an ops user who asked
for a superuser's password reset must not be able to read the link here. post_office's own admins (which
render bodies, previews, templates and attachments) are replaced; staff cannot add, change or delete a
message, and a superuser can at most requeue one that failed.
"""

import post_office.admin  # noqa: F401 - post_office registers its admins first; they are replaced below
from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from post_office.models import STATUS, Attachment, Email, EmailTemplate, Log

from .emails import requeue_emails

for model in (Email, Log, Attachment, EmailTemplate):
    if admin.site.is_registered(model):
        admin.site.unregister(model)

BODY_FIELDS = ("message", "html_message", "context", "headers", "template", "attachments")
# Query-string lookups the changelist accepts: the filters shown. Anything else (``?message__contains=``)
# is refused, or the count of results would reveal a body letter by letter.
ALLOWED_LOOKUP_FIELDS = {"status", "created"}


class EmailLogInline(admin.TabularInline):
    model = Log
    fields = readonly_fields = ["date", "status", "exception_type", "message"]
    verbose_name = _("delivery attempt")
    verbose_name_plural = _("delivery attempts")
    ordering = ["date"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Email)
class EmailQueueAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "recipients",
        "subject",
        "status",
        "number_of_retries",
        "last_error",
        "created",
        "last_updated",
        "next_attempt",
    ]
    list_display_links = ["id", "recipients"]
    list_filter = ["status", "created"]
    date_hierarchy = "created"
    search_fields = ["to", "subject"]
    ordering = ["-created"]
    fields = readonly_fields = [
        "recipients",
        "cc_recipients",
        "from_email",
        "subject",
        "status",
        "number_of_retries",
        "next_attempt",
        "created",
        "last_updated",
        "message_id",
    ]
    inlines = [EmailLogInline]
    actions = ["requeue"]
    change_form_template = "admin/change_form.html"  # not post_office's, which links to its "resend" view

    def get_queryset(self, request):
        failures = Log.objects.filter(email=OuterRef("pk"), status=STATUS.failed)
        last_error = failures.order_by("-date").values("message")[:1]
        return super().get_queryset(request).defer(*BODY_FIELDS[:4]).annotate(last_error=Subquery(last_error))

    def lookup_allowed(self, lookup, value, request=None):
        return lookup.split("__", 1)[0] in ALLOWED_LOOKUP_FIELDS

    @admin.display(description=_("to"), ordering="to")
    def recipients(self, obj):
        return ", ".join(obj.to)

    @admin.display(description=_("cc, bcc"))
    def cc_recipients(self, obj):
        return ", ".join([*obj.cc, *obj.bcc]) or "—"

    @admin.display(description=_("next attempt"), ordering="scheduled_time")
    def next_attempt(self, obj):
        if obj.status not in (STATUS.queued, STATUS.requeued):
            return "—"
        return obj.scheduled_time or _("now")

    @admin.display(description=_("last error"))
    def last_error(self, obj):
        return obj.last_error or "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_requeue_permission(self, request):
        return request.user.is_superuser

    @admin.action(description=_("Requeue selected failed emails"), permissions=["requeue"])
    def requeue(self, request, queryset):
        requeued = requeue_emails(emails=queryset)
        self.message_user(
            request,
            ngettext("%(n)d email requeued.", "%(n)d emails requeued.", requeued) % {"n": requeued},
            messages.SUCCESS if requeued else messages.WARNING,
        )
