"""factory_boy factories shared by the tests."""

import factory

from portal.models import Invitation, Seller, SellerUser, User

PASSWORD = "a-Strong-test-pass-42"


class SellerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seller

    code = factory.Sequence(lambda n: f"seller-{n}")
    name = factory.Sequence(lambda n: f"Seller {n}")
    legal_name = factory.LazyAttribute(lambda o: f"{o.name} Co., Ltd.")
    billing_email = factory.LazyAttribute(lambda o: f"billing@{o.code}.example.com")
    status = Seller.Status.ACTIVE
    language = "en"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class SellerUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SellerUser

    user = factory.SubFactory(UserFactory)
    seller = factory.SubFactory(SellerFactory)
    role = SellerUser.Role.OWNER


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    seller = factory.SubFactory(SellerFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")


# One factory per seller-scoped model: the tenancy test creates a second seller's object with it.
SCOPED_FACTORIES = {
    SellerUser: SellerUserFactory,
    Invitation: InvitationFactory,
}
