"""Who taught each model version (the class, and the students whose drawings it learned
from), so that erasing a student or purging a class deletes the models that learned
from them. Indexes that find one class's (or one student's) samples and round entries
without reading the whole table (an erasure, a purge). On SQLite, ``classes`` gets
AUTOINCREMENT: a purged class's id is never given to a new class (a page still open on
the old class would post into the new one).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    have = {c["name"] for c in sa.inspect(bind).get_columns("model_versions")}
    columns = [
        sa.Column("class_id", sa.Integer),  # the class it was taught with (None: unknown)
        # JSON: the session ids of the students whose samples it learned from (None:
        # unknown, as for the versions made before this migration)
        sa.Column("students", sa.Text),
    ]
    missing = [c for c in columns if c.name not in have]
    if missing:  # SQLite: a plain ADD COLUMN (batch mode copies no archive for it)
        with op.batch_alter_table("model_versions") as batch:
            for column in missing:
                batch.add_column(column)
    for table, name in (("samples", "samples_by_class_student"),
                        ("round_entries", "round_entries_by_class_student")):
        if name not in {i["name"] for i in sa.inspect(bind).get_indexes(table)}:
            op.create_index(name, table, ["class_id", "student"])
    if bind.dialect.name == "sqlite":
        sql = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' "
                                   "AND name = 'classes'")).scalar() or ""
        if "AUTOINCREMENT" not in sql.upper():
            with op.batch_alter_table("classes", recreate="always",
                                      table_kwargs={"sqlite_autoincrement": True}):
                pass


def downgrade() -> None:
    op.drop_index("round_entries_by_class_student", "round_entries")
    op.drop_index("samples_by_class_student", "samples")
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_column("students")
        batch.drop_column("class_id")
