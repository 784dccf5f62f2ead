"""The one place that scopes seller-facing queries to the logged-in user's seller.

Every seller-facing view uses ``SellerViewMixin`` (or ``SellerObjectMixin`` for a view about one
object), so an object of another seller is a 404, never a 403 or 200. ``tests/portal/test_tenancy.py``
walks the URL conf and checks every parametrised seller URL against a second seller's ids.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import redirect, render

from .models import Seller, SellerUser

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


def membership_of(user) -> SellerUser | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.membership
    except SellerUser.DoesNotExist:
        return None


def scope(queryset: QuerySet, seller: Seller) -> QuerySet:
    """Filter a queryset to one seller, through the model's ``seller_lookup`` (default ``seller``)."""
    lookup = getattr(queryset.model, "seller_lookup", "seller")
    scoped = queryset.filter(**{lookup: seller})
    return scoped.distinct() if "__" in lookup else scoped  # a join can repeat rows


class SellerViewMixin(LoginRequiredMixin):
    """A view for a logged-in seller user; sets ``self.seller`` and ``self.membership``.

    Ops staff without a seller are sent to the admin; ``allowed_roles`` limits a view to some roles.

    The seller's status decides what its users may do:

    - *pending*: every seller URL shows the waiting page (nothing else until ops approve);
    - *suspended*: read and download only. Unsafe methods (POST, PUT, PATCH, DELETE) are refused with a
      403 page unless the view sets ``allowed_when_suspended = True`` (paying an invoice, replying to a
      dispute); a page that exists only to create or edit something (``form_page = True``: new SKU,
      edit SKU, import, new order...) is refused on GET too. Templates hide their buttons through
      ``seller_read_only`` (``portal.context_processors``).
    """

    allowed_roles: tuple[str, ...] | None = None
    allowed_when_suspended: bool = False
    form_page: bool = False

    @property
    def read_only(self) -> bool:
        """True when the seller may not change anything through this view (suspended)."""
        return self.seller.status == Seller.Status.SUSPENDED and not self.allowed_when_suspended

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.membership = membership_of(request.user)
        if self.membership is None:
            if request.user.is_staff:
                return redirect("admin:index")
            raise PermissionDenied("This login does not belong to a seller.")
        self.seller = self.membership.seller
        if self.seller.status == Seller.Status.PENDING:
            status = 200 if request.method in SAFE_METHODS else 403
            return render(request, "portal/waiting.html", {"seller": self.seller}, status=status)
        if self.allowed_roles and self.membership.role not in self.allowed_roles:
            raise PermissionDenied("Your role does not allow this page.")
        if self.read_only and (request.method not in SAFE_METHODS or self.form_page):
            return render(request, "portal/suspended.html", {"seller": self.seller}, status=403)
        return super().dispatch(request, *args, **kwargs)


class SellerObjectMixin(SellerViewMixin):
    """A view about objects of ``scoped_model``, always looked up inside the user's seller."""

    scoped_model: type[Model]

    def get_queryset(self) -> QuerySet:
        return scope(self.scoped_model._default_manager.all(), self.seller)

    def get_scoped_object(self, **lookup) -> Model:
        try:
            return self.get_queryset().get(**lookup)
        except self.scoped_model.DoesNotExist as exc:
            raise Http404(f"No {self.scoped_model._meta.verbose_name} found.") from exc
