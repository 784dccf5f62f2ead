"""Template context every page needs: the user's seller and membership."""

from .tenancy import membership_of


def portal(request) -> dict:
    membership = membership_of(getattr(request, "user", None))
    return {"membership": membership, "current_seller": membership.seller if membership else None}
