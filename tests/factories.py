"""factory_boy factories shared by the tests."""

from datetime import date
from decimal import Decimal

import factory

from portal.models import (
    BillingContact,
    Invitation,
    Seller,
    SellerUser,
    User,
    hash_invitation_token,
    new_invitation_token,
)

PASSWORD = "a-Strong-test-pass-42"


class SellerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seller
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"seller-{n}")
    name = factory.Sequence(lambda n: f"Seller {n}")
    legal_name = factory.LazyAttribute(lambda o: f"{o.name} Co., Ltd.")
    status = Seller.Status.ACTIVE
    language = "en"

    @factory.post_generation
    def billing_contact(obj, create, extracted, **kwargs):
        """Every seller has a billing contact (``billing@<code>.example.com``, in the seller's language)."""
        if create:
            BillingContact.objects.create(
                seller=obj, email=extracted or f"billing@{obj.code}.example.com", language=obj.language
            )


class BillingContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingContact

    seller = factory.SubFactory(SellerFactory)
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    name = factory.Sequence(lambda n: f"Contact {n}")
    language = "en"


def billing_contacts_inline(seller, prefix: str = "billing_contacts") -> dict:
    """The Seller admin form's inline of the seller's billing contacts, as they are (POST data)."""
    contacts = list(seller.billing_contacts.order_by("pk"))
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(contacts)),
        f"{prefix}-INITIAL_FORMS": str(len(contacts)),
        f"{prefix}-MIN_NUM_FORMS": "1",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for n, contact in enumerate(contacts):
        data.update(
            {
                f"{prefix}-{n}-id": str(contact.pk),
                f"{prefix}-{n}-seller": str(seller.pk),
                f"{prefix}-{n}-email": contact.email,
                f"{prefix}-{n}-name": contact.name,
                f"{prefix}-{n}-language": contact.language,
            }
        )
    return data


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
    """An invitation; only the hash of ``token`` is stored, and the plain token is kept on the object
    (``invitation.token``) as the inviter would get it in the link."""

    class Meta:
        model = Invitation

    seller = factory.SubFactory(SellerFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    token = factory.LazyFunction(new_invitation_token)

    @classmethod
    def _create(cls, model_class, *args, token, **kwargs):
        invitation = super()._create(model_class, *args, token_hash=hash_invitation_token(token), **kwargs)
        invitation.token = token
        return invitation


class OperatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "portal.Operator"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"op-{n}")
    name = factory.Sequence(lambda n: f"Operator {n}")
    country = "CN"


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "portal.Warehouse"
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"WH-{n}")
    name = factory.Sequence(lambda n: f"Warehouse {n}")
    country = "CN"
    operator = factory.SubFactory(OperatorFactory)
    currency = "CNY"

    @factory.post_generation
    def default_line(self, create, extracted, **kwargs):
        """A warehouse offers one or more service lines (SPEC §3): one "standard" line unless told not to
        (``default_line=False``), so that its ledger rows have the line they imply."""
        if create and extracted is not False:
            from portal.models import ServiceLine

            ServiceLine.objects.create(warehouse=self, code="standard", name="Standard")


class ServiceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "portal.ServiceLine"

    warehouse = factory.SubFactory(WarehouseFactory, default_line=False)
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
    from billing.models import CreditNote, Dispute, DisputeAttachment, Invoice
    from inventory.models import (
        Certificate,
        ExportJob,
        InboundCarton,
        InboundOrder,
        LedgerFile,
        OrderAttachment,
        Sku,
        SkuImportJob,
    )
    from tariffs.models import RateCard

    return {
        Sku: lambda seller: SkuFactory(seller=seller),
        Certificate: lambda seller: CertificateFactory(sku=SkuFactory(seller=seller)),
        InboundOrder: lambda seller: InboundOrderFactory(seller=seller, state="submitted"),
        InboundCarton: lambda seller: InboundOrderFactory(seller=seller).cartons.get(),
        LedgerFile: lambda seller: LedgerFileFactory(seller=seller),
        SkuImportJob: lambda seller: SkuImportJobFactory(seller=seller),
        OrderAttachment: lambda seller: order_attachment(InboundOrderFactory(seller=seller)),
        ExportJob: lambda seller: ready_export(seller),
        SellerUser: SellerUserFactory,
        Invitation: InvitationFactory,
        BillingContact: BillingContactFactory,
        RateCard: lambda seller: rate_card_of(seller),
        Invoice: invoice_of,
        Dispute: dispute_of,
        DisputeAttachment: lambda seller: dispute_attachment(dispute_of(seller)),
        CreditNote: credit_note_of,
    }


def dispute_of(seller):
    """An open dispute of the seller's invoice line (``invoice_of``), with its first message."""
    from django.utils import timezone

    from billing.models import Dispute, DisputeMessage

    invoice = invoice_of(seller)
    dispute = Dispute.objects.create(
        invoice=invoice,
        line=invoice.lines.get(position=1),
        seller=seller,
        reason=Dispute.Reason.OTHER,
        text="Not what we stored.",
        opened_at=timezone.now(),
    )
    DisputeMessage.objects.create(
        dispute=dispute, from_seller=True, body=dispute.text, created_at=timezone.now()
    )
    return dispute


def dispute_attachment(dispute):
    from django.core.files.base import ContentFile

    from billing.models import DisputeAttachment

    attachment = DisputeAttachment(
        message=dispute.messages.first(), name="evidence.pdf", mime_type="application/pdf", size=9
    )
    attachment.file.save("evidence.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    attachment.save()
    return attachment


def credit_note_of(seller):
    """A draft credit note of one of the seller's invoices."""
    from billing.models import CreditNote

    invoice = invoice_of(seller)
    return CreditNote.objects.create(
        invoice=invoice,
        operator=invoice.operator,
        seller=seller,
        currency=invoice.currency,
        reason="Goodwill",
    )


def invoice_of(seller, *, period: date = date(2016, 6, 1)):
    """A draft invoice of the seller with one line (position 1), written as the close writes one."""
    from billing.models import Invoice, InvoiceLine
    from tariffs.rules import Period
    from tariffs.selectors import version_in_force

    contract = ContractFactory(seller=seller)
    line = contract.service_line
    invoice = Invoice.objects.create(
        operator=line.warehouse.operator,
        seller=seller,
        warehouse=line.warehouse,
        service_line=line,
        contract=contract,
        rate_card=contract.rate_card,
        rate_card_version=version_in_force(contract.rate_card, Period(period.year, period.month)),
        period=period,
        currency="CNY",
        customer_class="regular",
        subtotal=Decimal("3.00"),
        total=Decimal("3.00"),
        sections={"storage": "3.00"},
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        position=1,
        code="storage",
        section="storage",
        description="Storage",
        quantity=Decimal(1),
        unit="cbm_day",
        unit_price=Decimal(3),
        amount=Decimal("3.00"),
        formula="3 × 1 = 3.00",
    )
    return invoice


class SkuFactory(factory.django.DjangoModelFactory):
    """A SKU complete for every destination's ANY rules (HS code, value, weight, dimensions)."""

    class Meta:
        model = "inventory.Sku"

    seller = factory.SubFactory(SellerFactory)
    code = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name_zh = factory.Sequence(lambda n: f"收纳盒 {n}")
    name_en = factory.Sequence(lambda n: f"Storage box {n}")
    name_ja = factory.Sequence(lambda n: f"収納ボックス {n}")
    hs_code = "392490"
    declared_value = Decimal("12.50")
    declared_currency = "USD"
    net_weight_g = Decimal("350")
    length_mm, width_mm, height_mm = 300, 200, 100
    units_per_carton = 20
    carton_length_mm, carton_width_mm, carton_height_mm = 600, 400, 420


class CertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "inventory.Certificate"

    sku = factory.SubFactory(SkuFactory)
    kind = "PSE"
    number = factory.Sequence(lambda n: f"PSE-{n:06d}")
    expires_on = date(2030, 12, 31)


class InboundOrderFactory(factory.django.DjangoModelFactory):
    """A draft order of one carton holding 20 units of one of the seller's SKUs."""

    class Meta:
        model = "inventory.InboundOrder"
        skip_postgeneration_save = True

    seller = factory.SubFactory(SellerFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    number = factory.Sequence(lambda n: f"IB-TEST-{n:05d}")

    @factory.post_generation
    def cartons(obj, create, extracted, **kwargs):
        if not create or extracted == 0:
            return
        from inventory.models import InboundCarton, InboundLine

        carton = InboundCarton.objects.create(
            order=obj,
            index=1,
            carton_id=f"{obj.number}-C001",
            length_mm=600,
            width_mm=400,
            height_mm=420,
            gross_weight_kg=Decimal("8.50"),
        )
        InboundLine.objects.create(carton=carton, sku=SkuFactory(seller=obj.seller), units=20, batch_no="B1")


class LedgerFileFactory(factory.django.DjangoModelFactory):
    """A refused seller upload with one reported error (no rows stored)."""

    class Meta:
        model = "inventory.LedgerFile"

    seller = factory.SubFactory(SellerFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    kind = "stock"
    source = "seller"
    file = "ledgers/test.csv"
    original_name = "test.csv"
    sha256 = factory.Sequence(lambda n: f"{n:064d}")
    dedupe_key = factory.LazyAttribute(lambda o: f"test:{o.sha256}")
    status = "failed"
    errors = factory.LazyFunction(lambda: [{"row": 2, "column": "stock_qty", "reason": "must be 0 or more"}])


class SkuImportJobFactory(factory.django.DjangoModelFactory):
    """A refused SKU import with one reported problem."""

    class Meta:
        model = "inventory.SkuImportJob"

    seller = factory.SubFactory(SellerFactory)
    file = "sku-imports/test.csv"
    original_name = "skus.csv"
    size = 100
    status = "refused"
    problems = factory.LazyFunction(
        lambda: [{"row": 2, "column": "code", "reason": "The SKU code is missing."}]
    )


def order_attachment(order):
    """A PDF ops attached to ``order`` at the in-transit step."""
    from django.core.files.base import ContentFile

    from inventory.models import OrderAttachment

    attachment = OrderAttachment(order=order, state="in_transit", title="Bill of lading")
    attachment.file.save("bl.pdf", ContentFile(b"%PDF-1.4 bill of lading"), save=True)
    return attachment


def ready_export(seller, *, content: bytes = b"\xef\xbb\xbfitem_id\r\nA1\r\n", file_format: str = "csv"):
    """A finished export of ``seller`` with its file written."""
    from django.core.files.base import ContentFile

    from inventory.models import ExportJob

    job = ExportJob(
        seller=seller,
        kind="ledger:stock",
        file_format=file_format,
        status="ready",
        row_count=1,
        rows_done=1,
        file_name=f"stock-ledger-test.{file_format}",
    )
    job.file.save(job.file_name, ContentFile(content), save=True)
    return job
