"""Invitations store only the SHA-256 of their token; existing links keep working (security review, finding 5)."""

import hashlib

from django.conf import settings
from django.db import migrations, models


def hash_existing_tokens(apps, schema_editor):
    Invitation = apps.get_model("portal", "Invitation")
    for invitation in Invitation.objects.all().only("pk", "token"):
        invitation.token_hash = hashlib.sha256(invitation.token.encode()).hexdigest()
        invitation.save(update_fields=["token_hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="token_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        # Going back cannot recover the plaintext tokens from their hashes: pending links stop working then.
        migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop),
        migrations.RemoveField(model_name="invitation", name="token"),
        migrations.AlterField(
            model_name="invitation",
            name="token_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        migrations.AlterField(
            model_name="selleruser",
            name="user",
            field=models.OneToOneField(
                limit_choices_to={"is_staff": False, "is_superuser": False},
                on_delete=models.deletion.CASCADE,
                related_name="membership",
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
    ]
