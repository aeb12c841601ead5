# The duplicate warning's indexes (tickets/similarity.py). PostgreSQL only: the zero-setup
# SQLite run scores the latest tickets in Python and needs none of them.

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

# Each expression exactly as tickets/similarity.py writes it in its query (an expression index
# serves only the same expression). CONCURRENTLY: a big table keeps taking tickets meanwhile.
INDEXES = {
    # `description % <new description>`: trigram similarity, under pg_trgm.similarity_threshold.
    "tickets_description_trgm": "USING gin (description gin_trgm_ops)",
    # Full-text search: titles sharing a word with the new description. (A trigram index on
    # the title would serve no query: `word_similarity(title, <new>)`, the score, looks for
    # the title inside the new text, the direction gin_trgm_ops cannot index.)
    "tickets_title_fts": "USING gin (to_tsvector('english'::regconfig, title))",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON tickets_ticket {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction

    dependencies = [
        ('tickets', '0013_splits'),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
