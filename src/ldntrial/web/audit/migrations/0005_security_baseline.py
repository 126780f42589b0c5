"""The upgrade's baseline: one system event holding the state of every audited row as it is.

From here on ``audit verify`` compares each audited row with the state its last event recorded;
rows that existed before this upgrade are compared with this baseline. Nothing is written on an
empty database.
"""

from typing import Any

from django.db import migrations
from django.utils import timezone


def record_baseline(apps: Any, schema_editor: Any) -> None:
    from ldntrial.web.audit import rows
    from ldntrial.web.audit.chain import append

    alias = schema_editor.connection.alias
    states: dict[str, Any] = {}
    for label in rows.AUDITED:
        try:
            model = apps.get_model(label)
        except LookupError:  # a table audited since, made by a later migration
            continue
        for values in model._base_manager.using(alias).values():
            states[rows.row_key(label, values["id"])] = rows.state_of(values, label)
    if not states:
        return
    append(
        apps.get_model("audit", "AuditEvent"),
        apps.get_model("audit", "ChainHead"),
        using=alias,
        chain="system",
        rows=states,
        at=timezone.now(),
        actor=None,
        actor_label="ldntrial upgrade",
        clinic_id=None,
        action="update",
        object_type="audit.Baseline",
        object_id="",
        patient_id=None,
        before=None,
        after={"rows": len(states)},
        reason="baseline of every audited row at the upgrade to per-clinic chains and MACs",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_security_chains"),
        ("accounts", "0003_security_sealed_secrets"),
        ("clinic", "0006_security_signature_key"),
    ]
    operations = [migrations.RunPython(record_baseline, migrations.RunPython.noop)]
