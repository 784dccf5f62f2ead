"""django-tables2 tables of the SKU pages."""

from decimal import Decimal

import django_tables2 as tables
from django.urls import reverse
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from inventory.catalog.compliance import DESTINATIONS, Missing, readiness
from inventory.models import Certificate, Sku
from portal.money import MINOR_UNITS
from portal.uploads import download_name

# (field, icon, label) of the flags shown as small icons.
FLAG_ICONS = (
    ("has_battery", "bi-battery-half", _("contains battery")),
    ("is_liquid", "bi-droplet", _("liquid")),
    ("is_powder", "bi-cloud-haze2", _("powder")),
    ("is_electrical", "bi-plug", _("electrical (mains powered)")),
    ("is_fragile", "bi-cup-straw", _("fragile")),
)


def money_text(value: Decimal | None, currency: str) -> str:
    """`USD 12.50`, `JPY 1,200`: the ISO code with the amount in its minor unit (GLOSSARY)."""
    if value is None:
        return "—"
    amount = number_format(
        value, decimal_pos=MINOR_UNITS.get(currency, 2), use_l10n=True, force_grouping=True
    )
    return f"{currency} {amount}"


def requirement_text(missing: Missing) -> str:
    """A rule's requirement (data in English) in the UI language, when the catalog has it."""
    return missing.label


def readiness_badges(result: dict[str, list[Missing]]) -> str:
    """One badge per destination: green when ready, red with what is missing in its title."""
    badges = []
    for destination in DESTINATIONS:
        missing = result.get(destination, [])
        if missing:
            title = gettext("%(destination)s: missing %(what)s") % {
                "destination": destination,
                "what": "; ".join(requirement_text(m) for m in missing),
            }
            badges.append(
                format_html(
                    '<span class="badge text-bg-danger readiness" title="{}" data-destination="{}" '
                    'data-status="blocked"><i class="bi bi-x-circle"></i> {}</span>',
                    title,
                    destination,
                    destination,
                )
            )
        else:
            badges.append(
                format_html(
                    '<span class="badge text-bg-success readiness" title="{}" data-destination="{}" '
                    'data-status="ready"><i class="bi bi-check-circle"></i> {}</span>',
                    gettext("%(destination)s: ready") % {"destination": destination},
                    destination,
                    destination,
                )
            )
    return format_html(
        '<span class="d-inline-flex gap-1">{}</span>', format_html_join("", "{}", ((b,) for b in badges))
    )


def flag_icons(sku: Sku) -> str:
    shown = [(icon, label) for field, icon, label in FLAG_ICONS if getattr(sku, field)]
    if not shown:
        return ""
    return format_html_join(
        " ",
        '<i class="bi {} text-secondary" title="{}" aria-label="{}"></i>',
        ((icon, label, label) for icon, label in shown),
    )


class SkuTable(tables.Table):
    code = tables.Column(
        verbose_name=_("SKU code"),
        linkify=("inventory:sku-detail", {"pk": tables.A("pk")}),
        attrs={"a": {"class": "fw-semibold text-decoration-none"}},
    )
    names = tables.Column(
        accessor="name_en",
        verbose_name=_("Names"),
        order_by=("name_en", "name_zh"),
        attrs={"td": {"class": "text-wrap min-w-14r"}},
    )
    category = tables.Column(verbose_name=_("Category"))
    hs_code = tables.Column(verbose_name=_("HS code"), empty_values=(), default="—")
    declared_value = tables.Column(
        verbose_name=_("Declared value"), attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}}
    )
    flags = tables.Column(accessor="pk", verbose_name=_("Flags"), orderable=False)
    readiness = tables.Column(accessor="pk", verbose_name=_("Readiness JP / EU / GB / US"), orderable=False)
    actions = tables.Column(accessor="pk", verbose_name="", orderable=False)

    class Meta:
        model = Sku
        fields = ("code", "names", "category", "hs_code", "declared_value", "flags", "readiness", "actions")
        order_by = ("code",)
        empty_text = _("No SKUs match.")
        attrs = {"class": "table table-sm table-hover align-middle mb-0 text-nowrap", "id": "sku-table"}
        row_attrs = {"data-sku": lambda record: record.code}

    def __init__(self, *args, rules: list, today, **kwargs):
        """``rules`` and ``today`` decide the badges; the data should prefetch ``certificates``."""
        super().__init__(*args, **kwargs)
        self.rules = rules
        self.today = today

    def render_names(self, record):
        return format_html(
            '<div>{}</div><div class="small text-muted">{}{}</div>',
            record.name_zh,
            record.name_en,
            format_html(" · {}", record.name_ja) if record.name_ja else "",
        )

    def render_hs_code(self, value):
        return value or "—"

    def render_declared_value(self, record):
        return money_text(record.declared_value, record.declared_currency)

    def render_flags(self, record):
        return flag_icons(record)

    def render_readiness(self, record):
        return readiness_badges(readiness(record, rules=self.rules, today=self.today))

    def render_actions(self, record):
        return format_html(
            '<a class="btn btn-sm btn-link py-0" href="{}" title="{}">'
            '<i class="bi bi-pencil-square"></i></a>',
            reverse("inventory:sku-edit", args=[record.pk]),
            gettext("Edit"),
        )


class CertificateTable(tables.Table):
    kind = tables.Column(verbose_name=_("Kind"))
    number = tables.Column(verbose_name=_("Number"), attrs={"td": {"class": "text-wrap text-break"}})
    expires_on = tables.DateColumn(verbose_name=_("Expires on"), format="SHORT_DATE_FORMAT", default="—")
    status = tables.Column(accessor="pk", verbose_name=_("Status"))
    file = tables.Column(verbose_name=_("File"), empty_values=())
    delete = tables.TemplateColumn(template_name="inventory/sku_certificate_actions.html", verbose_name="")

    class Meta:
        model = Certificate
        fields = ("kind", "number", "expires_on", "status", "file", "delete")
        orderable = False
        empty_text = _("No certificates yet.")
        attrs = {
            "class": "table table-sm table-hover align-middle mb-0 text-nowrap",
            "id": "certificate-table",
        }

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def render_status(self, record):
        if record.is_valid_on(self.today):
            return format_html('<span class="badge text-bg-success">{}</span>', gettext("valid"))
        return format_html('<span class="badge text-bg-secondary">{}</span>', gettext("expired"))

    def render_file(self, record):
        if not record.file:
            return "—"
        name = download_name(record.file.name)
        return format_html(
            '<a href="{}" title="{}" target="_blank" rel="noopener">'
            '<i class="bi bi-file-earmark-arrow-down"></i> {}</a>',
            reverse("inventory:certificate-file", args=[record.pk]),
            gettext("%(name)s, uploaded %(date)s")
            % {"name": name, "date": date_format(record.uploaded_at, "SHORT_DATE_FORMAT")},
            name.rsplit(".", 1)[-1].upper(),
        )
