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
    CompanyForm,
    InvitationForm,
    LanguageForm,
    MemberForm,
    RegistrationForm,
)
from .models import Invitation, SellerUser
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
        )
        return context

    def post(self, request):
        """Owners edit the company details (action=company) and invite colleagues (action=invite)."""
        if self.membership.role != SellerUser.Role.OWNER:
            raise PermissionDenied(_("Only an owner can change the account."))
        if request.POST.get("action") == "invite":
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
