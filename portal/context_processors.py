"""Template context every page needs: the user's seller and membership, and whether it may change things."""

from .models import Seller
from .tenancy import membership_of


def portal(request) -> dict:
    membership = membership_of(getattr(request, "user", None))
    seller = membership.seller if membership else None
    return {
        "membership": membership,
        "current_seller": seller,
        # A suspended seller reads and downloads only: templates hide every create/edit/upload button.
        "seller_read_only": seller is not None and seller.status != Seller.Status.ACTIVE,
        "seller_suspended": seller is not None and seller.status == Seller.Status.SUSPENDED,
    }
