"""Seller-facing pages of the portal app: dashboard, account, registration, invitations, language."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from . import services
from .filters import MemberFilter
from .forms import (
    AcceptInvitationForm,
    AutoSendForm,
    BillingContactForm,
    CompanyForm,
    InvitationForm,
    LanguageForm,
    MemberForm,
    RegistrationForm,
)
from .models import BillingContact, Invitation, SellerUser
from .paging import SafeRequestConfig
from .tables import InvitationTable, MemberTable
from .tenancy import SellerObjectMixin, SellerViewMixin


def add_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form, field by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


INVITATION_LINK_KEY = "portal.invitation_link"


class AccountView(SellerViewMixin, TemplateView):
    template_name = "portal/account.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        member_filter = MemberFilter(self.request.GET, queryset=self.seller.members.select_related("user"))
        members = MemberTable(member_filter.qs, prefix="m-")
        invitations = InvitationTable(self.seller.invitations.all(), prefix="i-")
        config = SafeRequestConfig(self.request, paginate={"per_page": 25})
        config.configure(members)
        config.configure(invitations)
        is_owner = self.membership.role == SellerUser.Role.OWNER
        context.update(
            seller=self.seller,
            members=members,
            member_filter=member_filter,
            invitations=invitations,
            is_owner=is_owner,
            company_form=kwargs.get("company_form") or CompanyForm(instance=self.seller),
            invitation_form=kwargs.get("invitation_form") or InvitationForm(),
            invitation_link=self.request.session.pop(INVITATION_LINK_KEY, None),
            billing_contacts=self.seller.billing_contacts.order_by("created_at", "pk"),
            contact_form=kwargs.get("contact_form")
            or BillingContactForm(initial={"language": self.seller.language}),
            auto_send_form=kwargs.get("auto_send_form")
            or AutoSendForm(initial={"auto_send_invoices": self.seller.auto_send_invoices}),
        )
        return context

    def post(self, request):
        """Owners edit the company details (action=company), invite colleagues (action=invite), add billing
        contacts (action=contact-add) and choose whether invoices are emailed at issue (action=auto-send)."""
        if self.membership.role != SellerUser.Role.OWNER:
            raise PermissionDenied(_("Only an owner can change the account."))
        action = request.POST.get("action")
        if action == "contact-add":
            return self.add_contact(request)
        if action == "auto-send":
            return self.set_auto_send(request)
        if action == "invite":
            form = InvitationForm(request.POST)
            if form.is_valid():
                email = form.cleaned_data["email"]
                try:
                    issued = services.invite_colleague(
                        seller=self.seller,
                        invited_by=request.user,
                        email=email,
                        role=form.cleaned_data["role"],
                        accept_url_for=lambda token: request.build_absolute_uri(
                            reverse("invitation-accept", args=[token])
                        ),
                    )
                except ValidationError as exc:
                    add_errors(form, exc)
                else:
                    messages.success(request, _("Invitation sent to %(email)s.") % {"email": email})
                    # The link is shown once, on the next page, to the inviter (it is stored only as a hash).
                    request.session[INVITATION_LINK_KEY] = {"email": email, "url": issued.accept_url}
                    return redirect("portal:account")
            return self.render_to_response(self.get_context_data(invitation_form=form), status=400)
        form = CompanyForm(request.POST, instance=self.seller)
        if form.is_valid():
            form.save()
            messages.success(request, _("Company details saved."))
            return redirect("portal:account")
        return self.render_to_response(self.get_context_data(company_form=form), status=400)

    def add_contact(self, request):
        form = BillingContactForm(request.POST)
        if form.is_valid():
            try:
                contact = services.add_billing_contact(seller=self.seller, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(
                    request, _("%(email)s now receives the invoices.") % {"email": contact.email}
                )
                return redirect(f"{reverse('portal:account')}#billing-contacts")
        return self.render_to_response(self.get_context_data(contact_form=form), status=400)

    def set_auto_send(self, request):
        form = AutoSendForm(request.POST)
        form.is_valid()  # a checkbox: always valid
        services.set_auto_send_invoices(
            seller=self.seller, enabled=form.cleaned_data.get("auto_send_invoices", False)
        )
        if form.cleaned_data.get("auto_send_invoices"):
            messages.success(request, _("Invoices will be emailed to the billing contacts when issued."))
        else:
            messages.success(request, _("Invoices will no longer be emailed when issued."))
        return redirect(f"{reverse('portal:account')}#billing-contacts")


class BillingContactEditView(SellerObjectMixin, FormView):
    """Change one billing contact (owners; another seller's contact is a 404)."""

    scoped_model = BillingContact
    allowed_roles = (SellerUser.Role.OWNER,)
    template_name = "portal/billing_contact_edit.html"
    form_page = True
    form_class = BillingContactForm

    def get_contact(self) -> BillingContact:
        if not hasattr(self, "contact"):
            self.contact = self.get_scoped_object(pk=self.kwargs["pk"])
        return self.contact

    def get_initial(self):
        contact = self.get_contact()
        return {"email": contact.email, "name": contact.name, "language": contact.language}

    def get_context_data(self, **kwargs):
        return super().get_context_data(contact=self.get_contact(), **kwargs)

    def form_valid(self, form):
        try:
            services.change_billing_contact(contact=self.get_contact(), **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect(f"{reverse('portal:account')}#billing-contacts")


class BillingContactRemoveView(SellerObjectMixin, View):
    scoped_model = BillingContact
    allowed_roles = (SellerUser.Role.OWNER,)

    def post(self, request, pk):
        contact = self.get_scoped_object(pk=pk)
        try:
            services.remove_billing_contact(contact=contact)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("%(email)s no longer receives the invoices.") % {"email": contact.email}
            )
        return redirect(f"{reverse('portal:account')}#billing-contacts")

    def get(self, request, pk):
        self.get_scoped_object(pk=pk)
        return redirect("portal:account")


class InvitationRevokeView(SellerObjectMixin, View):
    scoped_model = Invitation
    allowed_roles = (SellerUser.Role.OWNER,)

    def post(self, request, pk):
        invitation = self.get_scoped_object(pk=pk)
        try:
            services.revoke_invitation(invitation=invitation)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Invitation revoked."))
        return redirect("portal:account")

    def get(self, request, pk):
        self.get_scoped_object(pk=pk)
        return redirect("portal:account")


class MemberEditView(SellerObjectMixin, FormView):
    scoped_model = SellerUser
    allowed_roles = (SellerUser.Role.OWNER,)
    template_name = "portal/member_edit.html"
    form_page = True
    form_class = MemberForm

    def get_member(self) -> SellerUser:
        if not hasattr(self, "member"):
            self.member = self.get_scoped_object(pk=self.kwargs["pk"])
        return self.member

    def get_initial(self):
        member = self.get_member()
        return {"role": member.role, "is_active": member.user.is_active}

    def get_context_data(self, **kwargs):
        return super().get_context_data(member=self.get_member(), **kwargs)

    def form_valid(self, form):
        try:
            services.change_member(
                member=self.get_member(),
                role=form.cleaned_data["role"],
                is_active=form.cleaned_data["is_active"],
                changed_by=self.request.user,
            )
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect("portal:account")


class RegisterView(FormView):
    template_name = "registration/register.html"
    form_class = RegistrationForm

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.register_seller(  # the same answer whether or not the address has a login
                services.Registration(
                    company_name=data["company_name"],
                    legal_name=data["legal_name"],
                    country=data["country"],
                    default_currency=data["default_currency"],
                    language=data["language"],
                    email=data["email"],
                    password=data["password1"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    tax_id=data["tax_id"],
                ),
                absolute_url=self.request.build_absolute_uri,
            )
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        return render(self.request, "registration/register_done.html", {"email": data["email"]})


class InvitationAcceptView(FormView):
    """Public page reached by the emailed link; the token is the credential."""

    template_name = "registration/invitation_accept.html"
    form_class = AcceptInvitationForm

    def dispatch(self, request, *args, **kwargs):
        self.token = kwargs["token"]
        self.invitation = services.find_invitation(self.token)
        if self.invitation is None:
            raise Http404(_("This invitation link is not valid."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            invitation=self.invitation, usable=self.invitation.is_usable(), **kwargs
        )

    def form_valid(self, form):
        try:
            user = services.accept_invitation(
                token=self.token,
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, _("Welcome! Your login is ready."))
        return redirect("portal:dashboard")


class SetLanguageView(View):
    """Switch the UI language; a logged-in user's choice is saved on the user and remembered."""

    def post(self, request):
        form = LanguageForm(request.POST)
        next_url = request.POST.get("next") or "/"
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = "/"
        response = HttpResponseRedirect(next_url)
        if form.is_valid():
            language = form.cleaned_data["language"]
            if request.user.is_authenticated:
                services.set_user_language(user=request.user, language=language)
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response
