from django.db import migrations

# SPEC §4: (destination, applies when any of, certificates (any of), required field, requirement text)
RULES = [
    ("JP", ["is_electrical"], ["PSE"], "", "valid PSE certificate (electrical product)"),
    ("JP", ["has_battery", "is_liquid", "is_powder"], ["MSDS"], "", "valid MSDS (battery, liquid or powder)"),
    ("JP", [], [], "name_ja", "Japanese product name"),
    ("EU", [], ["CE"], "", "valid CE certificate"),
    ("EU", ["has_battery", "is_liquid", "is_powder"], ["MSDS"], "", "valid MSDS (battery, liquid or powder)"),
    ("GB", [], ["UKCA", "CE"], "", "valid UKCA or CE certificate"),
    ("GB", ["has_battery", "is_liquid", "is_powder"], ["MSDS"], "", "valid MSDS (battery, liquid or powder)"),
    ("US", ["food", "cosmetics"], ["FDA"], "", "FDA registration number (food or cosmetics)"),
    ("ANY", [], [], "hs_code", "HS code"),
    ("ANY", [], [], "declared_value", "declared value above 0"),
    ("ANY", [], [], "net_weight_g", "net weight"),
    ("ANY", [], [], "dimensions", "item dimensions"),
]


def load_rules(apps, schema_editor):
    DestinationRule = apps.get_model("inventory", "DestinationRule")
    for destination, applies_when, certificates, field, requirement in RULES:
        DestinationRule.objects.get_or_create(
            destination=destination,
            requirement=requirement,
            defaults={"applies_when": applies_when, "certificates": certificates, "field": field},
        )


class Migration(migrations.Migration):
    dependencies = [("inventory", "0002_skus_certificates_inbound_orders")]

    operations = [migrations.RunPython(load_rules, migrations.RunPython.noop)]
