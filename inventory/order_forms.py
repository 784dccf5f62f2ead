"""Forms of the inbound order pages: the order, and its cartons as groups of identical cartons."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.models import InboundOrder, Sku, Warehouse


class OrderForm(forms.ModelForm):
    class Meta:
        model = InboundOrder
        fields = [
            "warehouse",
            "trade_term",
            "shipping_mode",
            "insured",
            "expected_ship_date",
            "expected_arrival_date",
            "notes",
        ]
        widgets = {
            "expected_ship_date": forms.DateInput(attrs={"type": "date"}),
            "expected_arrival_date": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, warehouses=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses if warehouses is not None else Warehouse.objects.all()

    def clean(self):
        data = super().clean()
        ship, arrive = data.get("expected_ship_date"), data.get("expected_arrival_date")
        if ship and arrive and arrive < ship:
            self.add_error("expected_arrival_date", _("The arrival date is before the ship date."))
        return data


class CartonGroupForm(forms.Form):
    """N identical cartons of one SKU: N × units per carton, each carton with its size and weight."""

    sku = forms.ModelChoiceField(label=_("SKU"), queryset=Sku.objects.none())
    cartons = forms.IntegerField(label=_("Cartons"), min_value=1, max_value=999)
    units_per_carton = forms.IntegerField(label=_("Units per carton"), min_value=1)
    length_mm = forms.IntegerField(
        label=_("Length (mm)"), min_value=1, widget=forms.NumberInput({"placeholder": "L"})
    )
    width_mm = forms.IntegerField(
        label=_("Width (mm)"), min_value=1, widget=forms.NumberInput({"placeholder": "W"})
    )
    height_mm = forms.IntegerField(
        label=_("Height (mm)"), min_value=1, widget=forms.NumberInput({"placeholder": "H"})
    )
    gross_weight_kg = forms.DecimalField(
        label=_("Gross weight (kg)"), min_value=Decimal("0.01"), max_digits=8, decimal_places=2
    )
    batch_no = forms.CharField(label=_("Batch no."), max_length=40, required=False)

    def __init__(self, *args, skus=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sku"].queryset = skus if skus is not None else Sku.objects.none()


class BaseCartonGroupFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if not any(form.cleaned_data and not form.cleaned_data.get("DELETE") for form in self.forms):
            raise forms.ValidationError(_("Add at least one carton."))


# absolute_max: a forged TOTAL_FORMS builds (and re-renders) at most 50 rows, not Django's 1,050.
CartonGroupFormSet = forms.formset_factory(
    CartonGroupForm, formset=BaseCartonGroupFormSet, extra=3, max_num=50, absolute_max=50, validate_max=True
)
