"""The seller's quote form."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tariffs.rules import Period

# Bounds of the inputs: far beyond any real parcel or stock, small enough that every amount fits.
FIRST_YEAR, LAST_YEAR = 2000, 2099
MAX_WEIGHT_KG = Decimal("100000")
MAX_SIDE_CM = Decimal("100000")
MAX_COUNT = 1_000_000
MAX_VOLUME_M3 = Decimal("1000000")
MAX_STOCK_UNITS = 1_000_000_000


class QuoteForm(forms.Form):
    MODES = [("parcel", _("Parcel")), ("storage", _("Storage for a month"))]

    contract = forms.ChoiceField(label=_("Rate card"))
    mode = forms.ChoiceField(
        label=_("What to price"), choices=MODES, initial="parcel", widget=forms.RadioSelect
    )
    period = forms.RegexField(
        label=_("Month"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        max_length=7,
        error_messages={"invalid": _("Enter a month as YYYY-MM.")},
    )
    weight_kg = forms.DecimalField(
        label=_("Weight (kg)"),
        min_value=Decimal("0.001"),
        max_value=MAX_WEIGHT_KG,
        max_digits=9,
        decimal_places=3,
        initial=Decimal("1.5"),
    )
    length_cm = forms.DecimalField(
        label=_("Length (cm)"),
        min_value=Decimal("0.1"),
        max_value=MAX_SIDE_CM,
        max_digits=7,
        decimal_places=1,
        initial=30,
    )
    width_cm = forms.DecimalField(
        label=_("Width (cm)"),
        min_value=Decimal("0.1"),
        max_value=MAX_SIDE_CM,
        max_digits=7,
        decimal_places=1,
        initial=20,
    )
    height_cm = forms.DecimalField(
        label=_("Height (cm)"),
        min_value=Decimal("0.1"),
        max_value=MAX_SIDE_CM,
        max_digits=7,
        decimal_places=1,
        initial=10,
    )
    sku_kinds = forms.IntegerField(
        label=_("SKU kinds in the parcel"), min_value=1, max_value=MAX_COUNT, initial=1
    )
    units = forms.IntegerField(label=_("Units in the parcel"), min_value=1, max_value=MAX_COUNT, initial=1)
    carrier = forms.CharField(
        label=_("Carrier"),
        required=False,
        max_length=40,
        help_text=_("For size-band last-mile prices, e.g. yamato or sagawa."),
    )
    avg_volume_m3 = forms.DecimalField(
        label=_("Average stored volume (m³)"),
        min_value=0,
        max_value=MAX_VOLUME_M3,
        max_digits=12,
        decimal_places=4,
        initial=Decimal("1.0000"),
    )
    avg_stock_units = forms.IntegerField(
        label=_("Average units in stock"), min_value=0, max_value=MAX_STOCK_UNITS, initial=100
    )
    avg_daily_sales = forms.IntegerField(
        label=_("Average units sold a day"), min_value=0, max_value=MAX_STOCK_UNITS, initial=1
    )

    def __init__(self, *args, contracts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.contracts = {str(contract.pk): contract for contract in contracts}
        self.fields["contract"].choices = [
            (
                pk,
                " · ".join(
                    (c.rate_card.localized_name(), c.rate_card.currency, c.get_customer_class_display())
                ),
            )
            for pk, c in self.contracts.items()
        ]
        self.fields["period"].initial = timezone.localdate().strftime("%Y-%m")
        for name in self.PARCEL_FIELDS + self.STORAGE_FIELDS:
            self.fields[name].required = False

    PARCEL_FIELDS = ("weight_kg", "length_cm", "width_cm", "height_cm", "sku_kinds", "units")
    STORAGE_FIELDS = ("avg_volume_m3", "avg_stock_units", "avg_daily_sales")

    def clean_period(self):
        """A month the engine can price (``0000-01`` or ``9999-12`` have no day before or after them)."""
        text = self.cleaned_data["period"]
        if not FIRST_YEAR <= int(text[:4]) <= LAST_YEAR:
            raise forms.ValidationError(
                _("Enter a month between %(first)s-01 and %(last)s-12."),
                params={"first": FIRST_YEAR, "last": LAST_YEAR},
            )
        Period.parse(text)
        return text

    def clean_contract(self):
        return self.contracts[self.cleaned_data["contract"]]

    def clean(self):
        """Only the chosen mode's inputs are required."""
        data = super().clean()
        needed = self.STORAGE_FIELDS if data.get("mode") == "storage" else self.PARCEL_FIELDS
        for name in needed:
            if data.get(name) is None and name not in self.errors:
                self.add_error(name, forms.Field.default_error_messages["required"])
        return data
