"""``Seller.billing_email`` leaves (its address is the seller's first billing contact since the migration
before). It is made blank-able first, so that migrating backwards can add the column to existing rows."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0010_billing_email_into_contacts"),
    ]

    operations = [
        migrations.AlterField(
            model_name="seller",
            name="billing_email",
            field=models.EmailField(blank=True, default="", max_length=254, verbose_name="billing email"),
        ),
        migrations.RemoveField(
            model_name="seller",
            name="billing_email",
        ),
    ]
