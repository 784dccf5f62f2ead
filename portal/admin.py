"""Django admin for accounts: ops approve sellers, manage logins and invitations."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import (
    AuditEvent,
    BillingContact,
    Invitation,
    Operator,
    Seller,
    SellerAlias,
    SellerUser,
    ServiceLine,
    User,
    Warehouse,
)
from .namespace import SellerCodeForm

admin.site.site_header = _("Seller Portal · Operations")
admin.site.site_title = _("Seller Portal admin")
admin.site.index_title = _("Operations")


SELLER_LOGIN_FIELDSETS = (
    (None, {"fields": ("email", "seller")}),
    (_("Personal info"), {"fields": ("first_name", "last_name", "language")}),
    (_("Access"), {"fields": ("is_active",)}),
    (_("Important dates"), {"fields": ("last_login", "date_joined")}),
)


class SellerLoginForm(forms.ModelForm):
    """What a non-superuser may change on a seller's login: whether it can log in, nothing else."""

    class Meta:
        model = User
        fields = ["is_active"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Superusers manage every login; ops and finance see seller logins only, without password,
    staff flags, groups or permissions, and ops may only activate or deactivate them (portal/roles.py)."""

    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "seller", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "groups", "language"]
    search_fields = ["email", "first_name", "last_name", "membership__seller__name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "language")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    @admin.display(description=_("seller"), ordering="membership__seller__name")
    def seller(self, obj):
        membership = getattr(obj, "membership", None)
        return membership.seller.name if membership else "—"

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("membership__seller")
        if not request.user.is_superuser:
            queryset = queryset.filter(is_staff=False, is_superuser=False)
        return queryset

    def get_list_display(self, request):
        if request.user.is_superuser:
            return self.list_display
        return ["email", "first_name", "last_name", "seller", "is_active", "last_login"]

    def get_list_filter(self, request):
        return self.list_filter if request.user.is_superuser else ["is_active", "language"]

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return SELLER_LOGIN_FIELDSETS

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return ()
        return ("email", "seller", "first_name", "last_name", "language", "last_login", "date_joined")

    def get_form(self, request, obj=None, **kwargs):
        if not request.user.is_superuser:
            kwargs["form"] = SellerLoginForm
        return super().get_form(request, obj, **kwargs)

    @staticmethod
    def _is_staff_login(obj) -> bool:
        return obj is not None and (obj.is_staff or obj.is_superuser)

    def has_view_permission(self, request, obj=None):
        if self._is_staff_login(obj) and not request.user.is_superuser:
            return False
        return super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if self._is_staff_login(obj) and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return request.user.is_superuser  # sellers register or are invited; staff logins are a superuser's

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    """Groups and their permissions are a superuser's; the ops and finance sets live in portal/roles.py."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class SellerUserInline(admin.TabularInline):
    model = SellerUser
    extra = 0
    autocomplete_fields = ["user"]


class BillingContactFormSet(forms.BaseInlineFormSet):
    """Two rows of one form with the same address (letter case aside) are an error, not a database error."""

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            email = (form.cleaned_data.get("email") or "").strip().lower()
            if email and email in seen:
                form.add_error("email", _("This address is already a billing contact."))
            seen.add(email)


class BillingContactInline(admin.TabularInline):
    """The seller's billing contacts (SPEC §9 Send): at least one, each address once (letter case aside)."""

    model = BillingContact
    formset = BillingContactFormSet
    fields = ["email", "name", "language"]
    extra = 0
    min_num = 1

    def get_formset(self, request, obj=None, **kwargs):
        return super().get_formset(request, obj, validate_min=True, **kwargs)  # deleting all: an error


@admin.register(Seller)
class SellerAdmin(admin.ModelAdmin):
    form = SellerCodeForm  # codes and ledger aliases share one namespace (SPEC §6)
    list_display = ["code", "name", "country", "default_currency", "status", "created_at", "approved_at"]
    list_filter = ["status", "country", "default_currency", "language"]
    search_fields = ["code", "name", "legal_name", "tax_id", "billing_contacts__email"]
    readonly_fields = ["created_at", "approved_at", "approved_by"]
    inlines = [SellerUserInline, BillingContactInline]
    actions = ["approve"]

    @admin.action(description=_("Approve selected sellers"), permissions=["change"])
    def approve(self, request, queryset):
        count = services.approve_sellers(sellers=list(queryset), approved_by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d seller approved.", "%(count)d sellers approved.", count) % {"count": count},
            messages.SUCCESS,
        )


@admin.register(SellerUser)
class SellerUserAdmin(admin.ModelAdmin):
    list_display = ["user", "seller", "role", "joined_at"]
    list_filter = ["role", "seller"]
    search_fields = ["user__email", "seller__name", "seller__code"]
    autocomplete_fields = ["user", "seller"]
    list_select_related = ["user", "seller"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are read-only here (owners invite from their Account page); the token is stored only as a
    hash and never shown. "Resend" issues a new link (the old one stops working) and emails it."""

    list_display = ["email", "seller", "role", "status", "invited_by", "created_at", "expires_at"]
    list_filter = ["status", "role"]
    search_fields = ["email", "seller__name"]
    fields = ["seller", "email", "role", "status", "invited_by", "created_at", "expires_at", "accepted_at"]
    readonly_fields = fields
    list_select_related = ["seller", "invited_by"]
    actions = ["resend", "revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Resend selected invitations (a new link)"), permissions=["change"])
    def resend(self, request, queryset):
        count = services.resend_invitations(
            invitations=list(queryset),
            resent_by=request.user,
            accept_url_for=lambda token: request.build_absolute_uri(
                reverse("invitation-accept", args=[token])
            ),
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d invitation sent again with a new link.",
                "%(count)d invitations sent again with a new link.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
        if count < len(queryset):
            self.message_user(
                request,
                _("Only pending invitations can be sent again; the others were skipped."),
                messages.WARNING,
            )

    @admin.action(description=_("Revoke selected invitations"), permissions=["change"])
    def revoke(self, request, queryset):
        count = services.revoke_invitations(invitations=list(queryset))
        self.message_user(
            request,
            ngettext("%(count)d invitation revoked.", "%(count)d invitations revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )


from . import email_admin  # noqa: E402, F401 - the email queue admin (bodies hidden)

# Operators, warehouses, service lines and ledger aliases (base models; see portal/models.py).


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "country", "registration_number"]
    list_filter = ["country"]
    search_fields = ["code", "name", "legal_name", "registration_number"]
    fieldsets = [
        (None, {"fields": ["code", "name", "legal_name", "country", "address"]}),
        (
            _("Registration and tax"),
            {"fields": ["registration_number", "tax_id", "invoice_registration_number"]},
        ),
        (
            _("Bank details printed on statements"),
            {
                "fields": [
                    "bank_name",
                    "bank_account_name",
                    "bank_account_number",
                    "bank_swift",
                    "bank_details",
                ]
            },
        ),
        (_("Disputes"), {"fields": ["dispute_window_days"]}),
    ]


class ServiceLineInline(admin.TabularInline):
    model = ServiceLine
    extra = 0


class SellerAliasInline(admin.TabularInline):
    """The sellers' names in this warehouse's ledgers (SPEC §6): rows naming an alias belong to its seller."""

    model = SellerAlias
    extra = 0
    fields = ["alias", "seller", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]
    autocomplete_fields = ["seller"]


def save_alias_author(request, formset) -> None:
    for alias in formset.save(commit=False):
        if alias.pk is None:
            alias.created_by = request.user
        alias.save()
    for alias in formset.deleted_objects:
        alias.delete()
    formset.save_m2m()


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "country", "operator", "currency", "time_zone"]
    list_filter = ["country", "operator", "currency"]
    search_fields = ["code", "name"]
    inlines = [ServiceLineInline, SellerAliasInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is SellerAlias:
            return save_alias_author(request, formset)
        return super().save_formset(request, form, formset, change)


@admin.register(SellerAlias)
class SellerAliasAdmin(admin.ModelAdmin):
    """Ops register which seller a warehouse's store name is; codes and aliases never collide (SPEC §6)."""

    list_display = ["alias", "seller", "warehouse", "created_by", "created_at"]
    list_filter = ["warehouse", "seller__status"]
    search_fields = ["alias", "seller__code", "seller__name", "warehouse__code", "warehouse__name"]
    list_select_related = ["seller", "warehouse", "created_by"]
    autocomplete_fields = ["seller"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if obj.pk is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ServiceLine)
class ServiceLineAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "warehouse"]
    list_filter = ["warehouse"]
    search_fields = ["code", "name", "warehouse__code"]
    list_select_related = ["warehouse"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The one audit trail (append-only): read by ops and finance, changed by nobody."""

    list_display = ["at", "action", "object_type", "object_repr", "actor", "task_id", "seller"]
    list_filter = ["action", "object_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["action", "object_id", "object_repr", "seller__code", "actor__email"]
    list_select_related = ["actor", "seller"]
    date_hierarchy = "at"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
