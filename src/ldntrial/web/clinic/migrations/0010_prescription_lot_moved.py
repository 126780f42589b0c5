"""The lot and dispensing columns of a prescription moved to its dispensings (0008); a separate
migration, so that PostgreSQL alters the table after the copy has committed."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("clinic", "0009_dispensing_lots")]

    operations = [
        migrations.RemoveField(
            model_name="prescription",
            name="dispensed_by",
        ),
        migrations.RemoveField(
            model_name="prescription",
            name="dispensed_on",
        ),
        migrations.RemoveField(
            model_name="prescription",
            name="lot_number",
        ),
    ]
