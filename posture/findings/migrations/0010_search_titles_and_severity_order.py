"""The findings list sorts by severity, then newest (first seen), then id; search also finds rule titles, images and
evidence values, so the search column of existing findings is rebuilt (in batches, by id)."""

from django.db import migrations, models

from posture.findings.search import rebuild_search_text


def rebuild(apps, schema_editor):
    rebuild_search_text(apps.get_model("findings", "Finding"))


class Migration(migrations.Migration):

    dependencies = [
        ('findings', '0009_fill_score_control_sets'),
        ('inventory', '0003_cluster_via'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='finding',
            name='finding_severity_rank_id',
        ),
        migrations.AlterField(
            model_name='finding',
            name='search_text',
            field=models.TextField(blank=True, default='', editable=False, help_text='Rule id and title, resource uid, name and images, message, evidence values; lowercased'),
        ),
        migrations.AddIndex(
            model_name='finding',
            index=models.Index(models.Case(models.When(severity='critical', then=models.Value(0)), models.When(severity='high', then=models.Value(1)), models.When(severity='medium', then=models.Value(2)), models.When(severity='low', then=models.Value(3)), models.When(severity='info', then=models.Value(4)), default=models.Value(9), output_field=models.IntegerField()), models.OrderBy(models.F('first_seen'), descending=True), models.OrderBy(models.F('id'), descending=True), name='finding_sev_first_seen_id'),
        ),
        migrations.RunPython(rebuild, migrations.RunPython.noop),
    ]
