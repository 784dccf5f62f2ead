"""Forms of the inbound order pages: the order, and its cartons as groups of identical cartons."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from inventory.inbound.services import size_problems
from inventory.models import InboundOrder, Sku
from portal.models import Warehouse


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


MAX_CARTON_SIDE_MM = 5000  # a carton (or a pallet) no longer than 5 m
MAX_CARTON_WEIGHT_KG = Decimal(2000)


class CartonGroupForm(forms.Form):
    """N identical cartons of one SKU: N × units per carton, each carton with its size and weight."""

    sku = forms.ModelChoiceField(label=_("SKU"), queryset=Sku.objects.none())
    cartons = forms.IntegerField(
        label=_("Cartons"), min_value=1, max_value=settings.INBOUND_MAX_CARTONS_PER_GROUP
    )
    units_per_carton = forms.IntegerField(
        label=_("Units per carton"), min_value=1, max_value=settings.INBOUND_MAX_UNITS_PER_CARTON
    )
    length_mm = forms.IntegerField(
        label=_("Length (mm)"),
        min_value=1,
        max_value=MAX_CARTON_SIDE_MM,
        widget=forms.NumberInput({"placeholder": "L"}),
    )
    width_mm = forms.IntegerField(
        label=_("Width (mm)"),
        min_value=1,
        max_value=MAX_CARTON_SIDE_MM,
        widget=forms.NumberInput({"placeholder": "W"}),
    )
    height_mm = forms.IntegerField(
        label=_("Height (mm)"),
        min_value=1,
        max_value=MAX_CARTON_SIDE_MM,
        widget=forms.NumberInput({"placeholder": "H"}),
    )
    gross_weight_kg = forms.DecimalField(
        label=_("Gross weight (kg)"),
        min_value=Decimal("0.01"),
        max_value=MAX_CARTON_WEIGHT_KG,
        max_digits=8,
        decimal_places=2,
    )
    batch_no = forms.CharField(label=_("Batch no."), max_length=40, required=False)

    def __init__(self, *args, skus=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sku"].queryset = skus if skus is not None else Sku.objects.none()


class BaseCartonGroupFormSet(forms.BaseFormSet):
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_many_forms": _("An order has at most %(num)d lines (groups of identical cartons)."),
    }

    def clean(self):
        super().clean()
        groups = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if not groups:
            raise forms.ValidationError(_("Add at least one carton."))
        problems = size_problems(
            lines=len(groups), cartons=sum(group.get("cartons") or 0 for group in groups)
        )
        if problems:
            raise forms.ValidationError(problems)


# absolute_max: a forged TOTAL_FORMS builds (and re-renders) at most INBOUND_MAX_LINES rows, not 1,000 more.
CartonGroupFormSet = forms.formset_factory(
    CartonGroupForm,
    formset=BaseCartonGroupFormSet,
    extra=3,
    max_num=settings.INBOUND_MAX_LINES,
    absolute_max=settings.INBOUND_MAX_LINES,
    validate_max=True,
)
