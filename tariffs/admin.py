"""Ops edit rate cards in admin: inline rules, "duplicate as new version", version diff (SPEC §7, §13)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tariffs import services
from tariffs.diff import diff_versions, flatten
from tariffs.models import Contract, FeeRule, RateCard, RateCardVersion


class VersionInline(admin.TabularInline):
    model = RateCardVersion
    extra = 0
    fields = ["version_link", "valid_from", "valid_to", "not_billed_kinds", "frozen_at", "rule_count"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("version"))
    def version_link(self, obj):
        url = reverse("admin:tariffs_ratecardversion_change", args=[obj.pk])
        return format_html('<a href="{}">v{}</a>', url, obj.version)

    @admin.display(description=_("rules"))
    def rule_count(self, obj):
        return obj.rules.count()


@admin.register(RateCard)
class RateCardAdmin(admin.ModelAdmin):
    list_display = ["code", "currency", "name", "operator", "service_tax_rate", "is_sample"]
    list_filter = ["currency", "operator", "is_sample"]
    search_fields = ["code", "name"]
    inlines = [VersionInline]

    def get_urls(self):
        return [
            path("<int:pk>/diff/", self.admin_site.admin_view(self.diff_view), name="tariffs_ratecard_diff"),
            *super().get_urls(),
        ]

    def diff_view(self, request, pk):
        card = get_object_or_404(RateCard, pk=pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "card": card,
            "title": _("Compare versions of %(card)s") % {"card": card},
            **diff_context(card, request.GET),
        }
        return TemplateResponse(request, "admin/tariffs/ratecard/diff.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "diff_url": reverse("admin:tariffs_ratecard_diff", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)


def diff_context(card: RateCard, query) -> dict:
    """The two versions to compare (``?a=<version>&b=<version>``; default: the two newest) and their diff."""
    versions = list(card.versions.order_by("-version"))
    by_number = {str(v.version): v for v in versions}
    new = by_number.get(query.get("b")) or (versions[0] if versions else None)
    old = by_number.get(query.get("a")) or (versions[1] if len(versions) > 1 else new)
    return {
        "versions": versions,
        "old": old,
        "new": new,
        "diff": diff_versions(old, new) if old and new else [],
        "rules": [(rule, flatten(rule.params)) for rule in new.rules.all()] if new else [],
    }


class FeeRuleForm(forms.ModelForm):
    class Meta:
        model = FeeRule
        fields = ["position", "kind", "charge_code", "section", "description", "params"]
        widgets = {"params": forms.Textarea(attrs={"rows": 4, "cols": 60, "class": "monospace"})}

    class Media:
        css = {"all": ["css/admin.css"]}  # .monospace: no inline style under the Content-Security-Policy


class FeeRuleInline(admin.StackedInline):
    model = FeeRule
    form = FeeRuleForm
    extra = 0

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.is_frozen)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not (obj and obj.is_frozen)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.is_frozen)


@admin.register(RateCardVersion)
class RateCardVersionAdmin(admin.ModelAdmin):
    list_display = [
        "rate_card",
        "version",
        "valid_from",
        "valid_to",
        "not_billed_kinds",
        "frozen_at",
        "created_at",
    ]
    list_filter = ["rate_card__currency", "rate_card", ("frozen_at", admin.EmptyFieldListFilter)]
    search_fields = ["rate_card__code", "rate_card__name", "notes"]
    readonly_fields = ["frozen_at", "created_at", "created_by"]
    list_select_related = ["rate_card"]
    inlines = [FeeRuleInline]
    actions = ["duplicate_as_new_version"]

    def get_readonly_fields(self, request, obj=None):
        if obj and obj.is_frozen:
            return [
                "rate_card",
                "version",
                "valid_from",
                "valid_to",
                "not_billed_kinds",
                *self.readonly_fields,
            ]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        """Through the service: month rules and no overlap under the card's lock; frozen stays frozen."""
        if not change:
            obj.created_by = request.user
        try:
            services.save_version(version=obj)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)

    def save_related(self, request, form, formsets, change):
        if form.instance.pk is not None:  # not when the service refused a new version
            super().save_related(request, form, formsets, change)

    @admin.action(description=_("Duplicate as new version"), permissions=["add"])
    def duplicate_as_new_version(self, request, queryset):
        created = []
        for version in queryset:
            try:
                created.append(services.duplicate_version(version=version, created_by=request.user))
            except ValidationError as exc:
                self.message_user(request, f"{version}: {' '.join(exc.messages)}", messages.ERROR)
        if not created:
            return None
        if len(created) == 1:
            self.message_user(
                request, _("Created %(version)s: edit its rules.") % {"version": created[0]}, messages.SUCCESS
            )
            return redirect("admin:tariffs_ratecardversion_change", created[0].pk)
        self.message_user(
            request, _("Created %(count)d new versions.") % {"count": len(created)}, messages.SUCCESS
        )
        return None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = self.get_object(request, object_id)
        if version is not None and version.is_frozen:
            messages.info(
                request,
                _(
                    "This version is frozen: an issued invoice used it. Use the action "
                    "“Duplicate as new version” to change prices."
                ),
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(FeeRule)
class FeeRuleAdmin(admin.ModelAdmin):
    form = FeeRuleForm
    list_display = ["charge_code", "kind", "section", "version", "description"]
    list_filter = ["kind", "section", "version__rate_card"]
    search_fields = ["charge_code", "description", "version__rate_card__code"]
    list_select_related = ["version__rate_card"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.version.is_frozen)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.version.is_frozen)

    def save_model(self, request, obj, form, change):
        try:
            super().save_model(request, obj, form, change)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "seller",
        "service_line",
        "rate_card",
        "customer_class",
        "starts_on",
        "ends_on",
        "payment_terms_days",
    ]
    list_filter = ["customer_class", "rate_card", "service_line__warehouse"]
    search_fields = ["seller__code", "seller__name", "rate_card__code"]
    autocomplete_fields = ["seller"]
    list_select_related = ["seller", "service_line__warehouse", "rate_card"]

    def save_model(self, request, obj, form, change):
        """Through the contract service: month rules and one contract at a time, under a row lock."""
        try:
            services.save_contract(contract=obj)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
