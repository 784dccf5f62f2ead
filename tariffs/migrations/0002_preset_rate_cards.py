from django.db import migrations

from tariffs.presets import load_presets


class Migration(migrations.Migration):
    dependencies = [("tariffs", "0001_initial"), ("inventory", "0001_initial")]

    operations = [migrations.RunPython(load_presets, migrations.RunPython.noop)]
