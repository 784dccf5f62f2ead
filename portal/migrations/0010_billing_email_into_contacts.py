"""Each seller's single billing email becomes its first billing contact, in the seller's language (issue 13).
Backwards, a seller's first contact (oldest) becomes its billing email again."""

from django.db import migrations


def billing_email_into_contacts(apps, schema_editor):
    Seller = apps.get_model("portal", "Seller")
    BillingContact = apps.get_model("portal", "BillingContact")
    contacts = []
    for seller_id, email, language in Seller.objects.values_list("pk", "billing_email", "language"):
        email = (email or "").strip()
        if email and not BillingContact.objects.filter(seller_id=seller_id, email__iexact=email).exists():
            contacts.append(BillingContact(seller_id=seller_id, email=email, language=language or "zh-hans"))
    BillingContact.objects.bulk_create(contacts)


def first_contact_into_billing_email(apps, schema_editor):
    Seller = apps.get_model("portal", "Seller")
    BillingContact = apps.get_model("portal", "BillingContact")
    for seller in Seller.objects.all():
        first = BillingContact.objects.filter(seller=seller).order_by("created_at", "pk").first()
        if first is not None:
            seller.billing_email = first.email
            seller.save(update_fields=["billing_email"])


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0009_billing_contacts"),
    ]

    operations = [migrations.RunPython(billing_email_into_contacts, first_contact_into_billing_email)]
