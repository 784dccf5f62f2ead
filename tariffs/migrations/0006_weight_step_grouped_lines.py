"""The presets' parcel fees bill one line per group of parcels with the same fee (``weight_step`` ``lines:
grouped``, SPEC §2 allows either), not one line per parcel: a month of 1,000 parcels reads as a few lines, each
listing its parcels. Versions that an issued invoice froze keep what they billed with."""

from django.db import migrations

PRESET_CODES = ("cainiao-bonded", "tmall-import", "cainiao-overseas")


def group_parcel_lines(apps, schema_editor):
    FeeRule = apps.get_model("tariffs", "FeeRule")
    rules = FeeRule.objects.filter(
        kind="weight_step",
        version__rate_card__code__in=PRESET_CODES,
        version__frozen_at__isnull=True,
    )
    for rule in rules:
        params = dict(rule.params or {})
        if params.get("lines", "per_parcel") == "per_parcel":
            params["lines"] = "grouped"
            FeeRule.objects.filter(pk=rule.pk).update(params=params)


class Migration(migrations.Migration):
    dependencies = [("tariffs", "0005_rate_card_names")]
    operations = [migrations.RunPython(group_parcel_lines, migrations.RunPython.noop)]
