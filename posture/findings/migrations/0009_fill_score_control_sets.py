"""Fill each score row's passed and failed control ids from its scan's snapshots (rows from before they existed)."""

from django.db import migrations


def fill(apps, schema_editor):
    Score = apps.get_model("findings", "ComplianceScore")
    Snapshot = apps.get_model("findings", "ComplianceSnapshot")
    for score in Score.objects.iterator(chunk_size=500):
        if score.passed_controls or score.failed_controls:
            continue
        rows = Snapshot.objects.filter(scan_id=score.scan_id, framework_id=score.framework_id, status__in=["pass", "fail"])
        sets = {"pass": [], "fail": []}
        for control_id, status in rows.values_list("control_id", "status"):
            sets[status].append(control_id)
        score.passed_controls, score.failed_controls = sorted(sets["pass"]), sorted(sets["fail"])
        score.controls_passed, score.controls_failed = len(sets["pass"]), len(sets["fail"])
        score.save(update_fields=["passed_controls", "failed_controls", "controls_passed", "controls_failed"])


class Migration(migrations.Migration):
    dependencies = [("findings", "0008_attestations_and_control_sets")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
