"""Findings get a lowercased search column; on PostgreSQL a trigram index answers ``q``."""

from django.db import migrations, models

BATCH = 20_000


def backfill(apps, schema_editor):
    """Fill the column for findings written before it existed, in bounded batches."""
    Finding = apps.get_model("findings", "Finding")
    last = 0
    while True:
        rows = list(
            Finding.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "rule_id", "resource_uid", "resource__name", "message")[:BATCH]
        )
        if not rows:
            return
        Finding.objects.bulk_update(
            [
                Finding(pk=pk, search_text="\n".join((rule_id, uid, name or "", message)).lower())
                for pk, rule_id, uid, name, message in rows
            ],
            ["search_text"],
            batch_size=2000,
        )
        last = rows[-1][0]


def trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite scans the column; fine at its sizes
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS finding_search_trgm ON findings_finding USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS finding_search_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("findings", "0003_list_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="finding",
            name="search_text",
            field=models.TextField(
                blank=True,
                default="",
                editable=False,
                help_text="Rule, resource uid and name, message; lowercased",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(trigram_index, drop_trigram_index),
    ]
