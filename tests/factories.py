"""factory_boy factories shared by the tests."""

from datetime import date

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


class OperatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "inventory.Operator"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"op-{n}")
    name = factory.Sequence(lambda n: f"Operator {n}")
    country = "CN"


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "inventory.Warehouse"

    code = factory.Sequence(lambda n: f"WH-{n}")
    name = factory.Sequence(lambda n: f"Warehouse {n}")
    country = "CN"
    operator = factory.SubFactory(OperatorFactory)
    currency = "CNY"


class ServiceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "inventory.ServiceLine"

    warehouse = factory.SubFactory(WarehouseFactory)
    code = factory.Sequence(lambda n: f"line-{n}")
    name = factory.Sequence(lambda n: f"Line {n}")


def preset_card(code: str = "cainiao-bonded", currency: str = "CNY"):
    from tariffs.models import RateCard

    return RateCard.objects.get(code=code, currency=currency)


class ContractFactory(factory.django.DjangoModelFactory):
    """A contract under a preset card (the presets are loaded by a data migration)."""

    class Meta:
        model = "tariffs.Contract"

    seller = factory.SubFactory(SellerFactory)
    service_line = factory.SubFactory(ServiceLineFactory)
    rate_card = factory.LazyFunction(preset_card)
    customer_class = "regular"
    starts_on = date(2016, 1, 1)


def rate_card_of(seller):
    """A rate card the seller sees through a contract of its own (its own copy of the preset)."""
    from tariffs.services import copy_rate_card

    card = copy_rate_card(card=preset_card(), code=f"card-{seller.code}")
    ContractFactory(seller=seller, rate_card=card)
    return card


def scoped_factories():
    """One factory per seller-scoped model: the tenancy test creates a second seller's object with it."""
    from tariffs.models import RateCard

    return {
        SellerUser: SellerUserFactory,
        Invitation: InvitationFactory,
        RateCard: lambda seller: rate_card_of(seller),
    }
