"""Forms of the SKU pages: the SKU itself, a certificate upload, a catalog import (SPEC §4, §13)."""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from inventory.models import Certificate, Sku
from inventory.upload_policy import QuotaExceeded, check_upload_quota
from portal.money import MINOR_UNITS
from portal.tenancy import scope
from portal.uploads import document_max_bytes, size_text, storage_name, upload_limits, validate_document

HS_CODE = re.compile(r"\d{6,10}")

# The cards of the SKU form, in order: (title, fields).
SKU_FIELD_GROUPS = (
    (_("Product"), ("code", "name_zh", "name_en", "name_ja", "material", "category", "barcode", "fnsku")),
    (_("Customs"), ("hs_code", "declared_value", "declared_currency")),
    (_("Item weight and dimensions"), ("net_weight_g", "length_mm", "width_mm", "height_mm")),
    (_("Carton"), ("units_per_carton", "carton_length_mm", "carton_width_mm", "carton_height_mm")),
    (_("Flags"), ("has_battery", "is_liquid", "is_powder", "is_electrical", "is_fragile")),
)
SKU_FIELDS = tuple(name for _title, names in SKU_FIELD_GROUPS for name in names)


def normalize_hs_code(value: str) -> str:
    """An HS code as digits only: sellers write `3924.90.00` or `3924 90`."""
    return re.sub(r"[\s.]", "", value or "")


def whole_amount_error(value: Decimal | None, currency: str) -> str | None:
    """A message when an amount has decimals its currency does not have (JPY, VND: SPEC §2)."""
    if value is None or MINOR_UNITS.get(currency, 2) > 0 or value == value.to_integral_value():
        return None
    return _("%(currency)s amounts have no decimals.") % {"currency": currency}


class SkuForm(forms.ModelForm):
    """Every SKU field of SPEC §4; the seller comes from the session, never from the form."""

    hs_code = forms.CharField(
        label=capfirst(Sku._meta.get_field("hs_code").verbose_name),
        required=False,
        max_length=20,
        help_text=_("6 to 10 digits."),
    )

    class Meta:
        model = Sku
        fields = SKU_FIELDS
        help_texts = {
            "code": _("Your own code; unique in your catalog."),
            "name_ja": _("Needed for Japan."),
            "fnsku": _("Amazon fulfilment label code, if any."),
        }

    def __init__(self, *args, seller, **kwargs):
        super().__init__(*args, **kwargs)
        self.seller = seller
        self.instance.seller = seller
        for name in ("declared_value", "net_weight_g"):
            self.fields[name].widget.attrs.setdefault("step", "any")

    @property
    def groups(self):
        """(title, bound fields) per card, for the template."""
        return [(title, [self[name] for name in names]) for title, names in SKU_FIELD_GROUPS]

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        taken = scope(Sku.objects.filter(code=code), self.seller)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(_("You already have a SKU with this code."), code="unique")
        return code

    def clean_hs_code(self):
        value = normalize_hs_code(self.cleaned_data["hs_code"])
        if value and not HS_CODE.fullmatch(value):
            raise ValidationError(_("An HS code has 6 to 10 digits."), code="invalid")
        return value

    def clean(self):
        cleaned = super().clean()
        message = whole_amount_error(cleaned.get("declared_value"), cleaned.get("declared_currency") or "")
        if message and "declared_value" not in self.errors:
            self.add_error("declared_value", message)
        return cleaned

    def add_code_taken_error(self):
        """The unique constraint fired anyway (two saves at once): report it on the code field."""
        self.add_error("code", ValidationError(_("You already have a SKU with this code."), code="unique"))


class CertificateForm(forms.ModelForm):
    """A certificate of one SKU; the file is checked (type from content, size) before it is stored."""

    class Meta:
        model = Certificate
        fields = ("kind", "number", "expires_on", "file")
        widgets = {
            "expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "file": forms.FileInput(
                attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
            ),
        }
        help_texts = {
            "expires_on": _("Leave empty if the document does not expire."),
            "file": format_lazy(
                _("PDF, JPEG or PNG, up to {limit}. Optional for an FDA registration number."),
                limit=lazy(lambda: size_text(document_max_bytes()), str)(),
            ),
        }

    def __init__(self, *args, sku: Sku, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.sku = sku
        self.instance.uploaded_by = user if getattr(user, "pk", None) else None

    def clean_file(self):
        file = self.cleaned_data.get("file")
        if file:
            mime_type = validate_document(file)
            try:
                check_upload_quota(self.instance.sku.seller, file.size)
            except QuotaExceeded as exc:
                raise ValidationError(str(exc), code="quota") from None
            file.name = storage_name(file.name, mime_type)
        return file

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind and kind != Certificate.Kind.FDA and not cleaned.get("file") and "file" not in self.errors:
            self.add_error("file", ValidationError(_("Attach the certificate file."), code="required"))
        return cleaned


def _sku_import_limit() -> str:
    return size_text(upload_limits("sku_import").max_file_bytes)


class SkuImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=format_lazy(
            _("Up to {limit}. The first row holds the column names."), limit=lazy(_sku_import_limit, str)()
        ),
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        limit = upload_limits("sku_import").max_file_bytes
        if file.size > limit:
            raise ValidationError(
                _("The file is larger than %(limit)s."),
                code="file_too_large",
                params={"limit": size_text(limit)},
            )
        return file
