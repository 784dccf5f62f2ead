"""Account services: every state change of sellers, users and invitations (SPEC §1)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import namespace
from .emails import send_templated_email
from .models import (
    BillingContact,
    Invitation,
    Seller,
    SellerUser,
    User,
    hash_invitation_token,
    invitation_expiry,
    new_invitation_token,
)


@dataclass(frozen=True)
class Registration:
    company_name: str
    legal_name: str
    country: str
    default_currency: str
    language: str
    email: str
    password: str
    first_name: str = ""
    last_name: str = ""
    tax_id: str = ""


def email_taken(email: str) -> bool:
    return User.objects.filter(email__iexact=email.strip()).exists()


def unique_seller_code(name: str) -> str:
    base = slugify(name)[:30] or "seller"
    code = base
    while namespace.code_in_use(code):  # another seller's code or a ledger alias (SPEC §6)
        code = f"{base}-{get_random_string(4).lower()}"
    return code


def register_seller(registration: Registration, *, absolute_url: Callable[[str], str] = str) -> Seller | None:
    """Create a pending seller with its owner login; ops approve it in admin before it can log in.

    An address that already has a login gets a notice by email instead, and the caller answers exactly as
    for a new registration, so the form does not tell who has an account (security review, finding 10)."""
    email = registration.email.strip().lower()
    if email_taken(email):
        make_password(registration.password)  # the work of creating a login, so timing does not tell either
        notify_existing_account(email=email, language=registration.language, absolute_url=absolute_url)
        return None
    try:
        with transaction.atomic():
            seller = Seller.objects.create(
                code=unique_seller_code(registration.company_name),
                name=registration.company_name,
                legal_name=registration.legal_name,
                tax_id=registration.tax_id,
                country=registration.country,
                language=registration.language,
                default_currency=registration.default_currency,
                status=Seller.Status.PENDING,
            )
            user = User.objects.create_user(
                email=email,
                password=registration.password,
                first_name=registration.first_name,
                last_name=registration.last_name,
                language=registration.language,
                is_active=False,
            )
            SellerUser.objects.create(user=user, seller=seller, role=SellerUser.Role.OWNER)
            BillingContact.objects.create(  # the owner receives the invoices until the account says otherwise
                seller=seller,
                email=email,
                name=" ".join(part for part in (registration.first_name, registration.last_name) if part),
                language=registration.language,
            )
    except IntegrityError:  # a concurrent registration with the same email won
        notify_existing_account(email=email, language=registration.language, absolute_url=absolute_url)
        return None
    return seller


def notify_existing_account(*, email: str, language: str, absolute_url: Callable[[str], str] = str) -> None:
    """Tell the owner of an existing login that someone tried to register with their address."""
    user = User.objects.filter(email__iexact=email).first()
    send_templated_email(
        to=[user.email if user else email],
        template="registration_exists",
        context={
            "email": email,
            "login_url": absolute_url(reverse("login")),
            "password_reset_url": absolute_url(reverse("password_reset")),
        },
        language=(user.language if user else "") or language,
    )


def approve_sellers(*, sellers, approved_by: User, now=None) -> int:
    """Activate pending sellers and their owners' logins, and tell the owners by email."""
    now = now or timezone.now()
    approved = 0
    with transaction.atomic():
        for seller in Seller.objects.select_for_update().filter(pk__in=[s.pk for s in sellers]):
            if seller.status != Seller.Status.PENDING:
                continue
            seller.status = Seller.Status.ACTIVE
            seller.approved_at = now
            seller.approved_by = approved_by
            seller.save(update_fields=["status", "approved_at", "approved_by"])
            owners = User.objects.filter(membership__seller=seller, membership__role=SellerUser.Role.OWNER)
            owners.update(is_active=True)
            for owner in owners:
                send_templated_email(
                    to=[owner.email],
                    template="seller_approved",
                    context={"seller": seller, "user": owner},
                    language=seller.language,
                )
            approved += 1
    return approved


AcceptUrlFor = Callable[[str], str]


@dataclass(frozen=True)
class IssuedInvitation:
    """A new invitation and its link: the link is shown once to the inviter and emailed, never stored."""

    invitation: Invitation
    accept_url: str


def send_invitation(*, invitation: Invitation, invited_by: User | None, accept_url: str) -> None:
    send_templated_email(
        to=[invitation.email],
        template="invitation",
        context={
            "invitation": invitation,
            "seller": invitation.seller,
            "invited_by": invited_by,
            "accept_url": accept_url,
        },
        language=invitation.seller.language,
    )


def invite_colleague(
    *, seller: Seller, invited_by: User, email: str, role: str, accept_url_for: AcceptUrlFor
) -> IssuedInvitation:
    """Invite a colleague by email; ``accept_url_for(token)`` builds the absolute link."""
    email = email.strip().lower()
    if email_taken(email):
        raise ValidationError({"email": _("An account with this email address already exists.")})
    token = new_invitation_token()
    with transaction.atomic():
        if seller.invitations.filter(email=email, status=Invitation.Status.PENDING).exists():
            raise ValidationError({"email": _("This address has already been invited.")})
        invitation = Invitation.objects.create(
            seller=seller,
            email=email,
            role=role,
            invited_by=invited_by,
            token_hash=hash_invitation_token(token),
        )
        accept_url = accept_url_for(token)
        send_invitation(invitation=invitation, invited_by=invited_by, accept_url=accept_url)
    return IssuedInvitation(invitation=invitation, accept_url=accept_url)


def resend_invitations(*, invitations, resent_by: User, accept_url_for: AcceptUrlFor, now=None) -> int:
    """Give each pending invitation a new token and validity and email the new link; the old link stops
    working. Accepted and revoked invitations are skipped. Returns how many were sent."""
    sent = 0
    with transaction.atomic():
        locked = Invitation.objects.select_for_update(of=("self",)).select_related("seller", "invited_by")
        for invitation in locked.filter(pk__in=[i.pk for i in invitations], status=Invitation.Status.PENDING):
            token = new_invitation_token()
            invitation.token_hash = hash_invitation_token(token)
            invitation.expires_at = invitation_expiry(now)
            invitation.save(update_fields=["token_hash", "expires_at"])
            send_invitation(
                invitation=invitation,
                invited_by=invitation.invited_by or resent_by,
                accept_url=accept_url_for(token),
            )
            sent += 1
    return sent


def find_invitation(token: str) -> Invitation | None:
    """The invitation a link's token belongs to, if any."""
    return Invitation.objects.select_related("seller").filter(token_hash=hash_invitation_token(token)).first()


def accept_invitation(
    *, token: str, password: str, first_name: str = "", last_name: str = "", now=None
) -> User:
    """Create the invited user's login and membership; an invitation works once."""
    with transaction.atomic():
        try:
            invitation = (
                Invitation.objects.select_for_update()
                .select_related("seller")
                .get(token_hash=hash_invitation_token(token))
            )
        except Invitation.DoesNotExist as exc:
            raise ValidationError(_("This invitation link is not valid.")) from exc
        if not invitation.is_usable(now):
            raise ValidationError(_("This invitation has expired or was already used."))
        if email_taken(invitation.email):
            raise ValidationError(_("An account with this email address already exists."))
        user = User.objects.create_user(
            email=invitation.email,
            password=password,
            first_name=first_name,
            last_name=last_name,
            language=invitation.seller.language,
        )
        SellerUser.objects.create(user=user, seller=invitation.seller, role=invitation.role)
        invitation.status = Invitation.Status.ACCEPTED
        invitation.accepted_at = now or timezone.now()
        invitation.save(update_fields=["status", "accepted_at"])
    return user


def revoke_invitation(*, invitation: Invitation) -> None:
    if invitation.status != Invitation.Status.PENDING:
        raise ValidationError(_("Only a pending invitation can be revoked."))
    invitation.status = Invitation.Status.REVOKED
    invitation.save(update_fields=["status"])


def revoke_invitations(*, invitations) -> int:
    """Revoke the pending ones among ``invitations``; returns how many were revoked."""
    with transaction.atomic():
        return Invitation.objects.filter(
            pk__in=[i.pk for i in invitations], status=Invitation.Status.PENDING
        ).update(status=Invitation.Status.REVOKED)


def change_member(*, member: SellerUser, role: str, is_active: bool, changed_by: User) -> SellerUser:
    """Change a colleague's role or access; a seller always keeps at least one active owner."""
    with transaction.atomic():
        owners = SellerUser.objects.select_for_update().filter(
            seller=member.seller, role=SellerUser.Role.OWNER, user__is_active=True
        )
        losing_owner = member.role == SellerUser.Role.OWNER and (
            role != SellerUser.Role.OWNER or not is_active
        )
        if losing_owner and owners.exclude(pk=member.pk).count() == 0:
            raise ValidationError(_("A seller must keep at least one active owner."))
        member.role = role
        member.save(update_fields=["role"])
        if member.user.is_active != is_active:
            member.user.is_active = is_active
            member.user.save(update_fields=["is_active"])
    return member


def set_user_language(*, user: User, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


# --- billing contacts (SPEC §9 Send, §13 Account) -----------------------------------------------------------


def _check_contact_email(seller: Seller, email: str, *, exclude_pk: int | None = None) -> str:
    email = BaseUserManager.normalize_email((email or "").strip())  # the domain in lower case
    others = BillingContact.objects.filter(seller=seller, email__iexact=email)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise ValidationError({"email": _("This address is already a billing contact.")})
    return email


def add_billing_contact(*, seller: Seller, email: str, name: str = "", language: str) -> BillingContact:
    """A new recipient of the seller's invoices (an address at most once per seller, letter case aside)."""
    with transaction.atomic():
        Seller.objects.select_for_update().get(pk=seller.pk)
        email = _check_contact_email(seller, email)
        return BillingContact.objects.create(seller=seller, email=email, name=name.strip(), language=language)


def change_billing_contact(
    *, contact: BillingContact, email: str, name: str = "", language: str
) -> BillingContact:
    with transaction.atomic():
        Seller.objects.select_for_update().get(pk=contact.seller_id)
        contact.email = _check_contact_email(contact.seller, email, exclude_pk=contact.pk)
        contact.name = name.strip()
        contact.language = language
        contact.save(update_fields=["email", "name", "language"])
    return contact


def remove_billing_contact(*, contact: BillingContact) -> None:
    """Remove a recipient; the last one stays (invoices must reach someone). Under the seller's lock, so two
    removals at once cannot both pass the check."""
    with transaction.atomic():
        Seller.objects.select_for_update().get(pk=contact.seller_id)
        if not BillingContact.objects.filter(seller_id=contact.seller_id).exclude(pk=contact.pk).exists():
            raise ValidationError(
                _("A seller keeps at least one billing contact: add another before removing this one.")
            )
        BillingContact.objects.filter(pk=contact.pk).delete()


def set_auto_send_invoices(*, seller: Seller, enabled: bool) -> None:
    """Whether the seller's invoices are emailed to its billing contacts as soon as finance issues them."""
    Seller.objects.filter(pk=seller.pk).update(auto_send_invoices=enabled)
    seller.auto_send_invoices = enabled
