"""Forms of the account pages."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from .choices import Country, Currency, Language
from .models import BillingContact, Seller, SellerUser, User

EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length  # 254: longer is a form error, not a 500


class LoginForm(AuthenticationForm):
    """Django's login form sets the username's max_length after building the field, so the length is never
    validated and a longer address reached authentication and django-axes' 255-character column (a 500)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].validators.append(MaxLengthValidator(EMAIL_MAX_LENGTH))


class PasswordPairForm(forms.Form):
    """Two password fields that must match and pass the password validators."""

    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        elif data.get("password1"):
            try:
                password_validation.validate_password(data["password1"])
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class RegistrationForm(PasswordPairForm):
    field_order = [
        "company_name",
        "legal_name",
        "tax_id",
        "country",
        "default_currency",
        "language",
        "first_name",
        "last_name",
        "email",
        "password1",
        "password2",
    ]

    company_name = forms.CharField(label=_("Company name"), max_length=200)
    legal_name = forms.CharField(label=_("Legal name"), max_length=200)
    tax_id = forms.CharField(label=_("Tax id"), max_length=40, required=False)
    country = forms.ChoiceField(label=_("Country"), choices=Country.choices, initial=Country.CN)
    default_currency = forms.ChoiceField(
        label=_("Default currency"), choices=Currency.choices, initial=Currency.CNY
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices, initial=Language.ZH_HANS)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email address"), max_length=EMAIL_MAX_LENGTH)


class AcceptInvitationForm(PasswordPairForm):
    field_order = ["first_name", "last_name", "password1", "password2"]

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)


class CompanyForm(forms.ModelForm):
    class Meta:
        model = Seller
        fields = ["name", "legal_name", "tax_id", "country", "language", "default_currency"]


class BillingContactForm(forms.Form):
    """A recipient of the seller's invoices (``portal.services.add_billing_contact``)."""

    email = forms.EmailField(label=_("Email address"), max_length=EMAIL_MAX_LENGTH)
    name = forms.CharField(
        label=_("Name"), max_length=BillingContact._meta.get_field("name").max_length, required=False
    )
    language = forms.ChoiceField(
        label=_("Language of the invoices"), choices=Language.choices, initial=Language.ZH_HANS
    )


class AutoSendForm(forms.Form):
    auto_send_invoices = forms.BooleanField(
        label=_("Email each invoice to the billing contacts as soon as it is issued"), required=False
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=EMAIL_MAX_LENGTH)
    role = forms.ChoiceField(label=_("Role"), choices=SellerUser.Role.choices, initial=SellerUser.Role.STAFF)


class MemberForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=SellerUser.Role.choices)
    is_active = forms.BooleanField(label=_("Can log in"), required=False)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=Language.choices)
    next = forms.CharField(required=False)
