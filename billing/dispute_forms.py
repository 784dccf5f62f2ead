"""Forms of the seller's dispute pages: open a dispute on a line (reason, text, figures, evidence), reply."""

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import Dispute
from portal.uploads import document_max_bytes, size_text


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Several files; each is checked by ``portal.uploads`` in the service (type from content, size)."""

    widget = MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"})

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def evidence_help() -> str:
    return _("PDF, JPEG or PNG, up to %(limit)s each; at most 5 files.") % {
        "limit": size_text(document_max_bytes())
    }


class DisputeForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=Dispute.Reason.choices)
    text = forms.CharField(
        label=_("What is wrong"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    reference = forms.CharField(
        label=_("Item, order number or reference"),
        required=False,
        max_length=100,
        help_text=_("Needed when the line bills several items or parcels."),
    )
    quantity = forms.DecimalField(
        label=_("Quantity you believe is right"), required=False, min_value=0, max_digits=14, decimal_places=4
    )
    weight_kg = forms.DecimalField(
        label=_("Weight you believe is right (kg)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=3,
    )
    day_from = forms.DateField(
        label=_("From day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    day_to = forms.DateField(
        label=_("To day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    amount = forms.DecimalField(
        label=_("Amount you believe is right"), required=False, min_value=0, max_digits=18, decimal_places=4
    )
    files = EvidenceField(label=_("Evidence"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = evidence_help()


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    files = EvidenceField(label=_("Evidence"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = evidence_help()
