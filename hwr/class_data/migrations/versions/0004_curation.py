"""Curation: the teacher's labels for the class's digits (a relabelled sample keeps the
student's label beside the teacher's), drawings left out of teaching, and every change
recorded so that it can be undone.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("samples")}
    columns = [
        sa.Column("curated_label", sa.Integer),  # the teacher's label (None: the student's)
        sa.Column("excluded", sa.Integer, nullable=False, server_default="0"),  # 1: left out
        sa.Column("curated", sa.Float),  # when the teacher last changed it (unix time)
    ]
    missing = [c for c in columns if c.name not in have]
    if missing:
        with op.batch_alter_table("samples") as batch:
            for column in missing:
                batch.add_column(column)
    op.create_table(
        "curation_changes",  # one row per drawing and change; no personal data
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("batch", sa.String(32), nullable=False),  # one teacher action
        sa.Column("sample_id", sa.Integer, nullable=False),
        sa.Column("class_id", sa.Integer),
        sa.Column("teacher", sa.String(32), nullable=False),  # a random session id
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),  # relabel, exclude, include, undo
        sa.Column("scope", sa.Text, nullable=False, server_default=""),  # what was chosen
        sa.Column("old_label", sa.Integer),  # curated_label before and after (None: the
        sa.Column("new_label", sa.Integer),  # student's own)
        sa.Column("old_excluded", sa.Integer, nullable=False),
        sa.Column("new_excluded", sa.Integer, nullable=False),
        sa.Column("undone_by", sa.String(32)),  # the undo's batch
    )
    op.create_index("curation_changes_by_batch", "curation_changes", ["batch"])
    op.create_index("curation_changes_by_class", "curation_changes", ["class_id", "id"])


def downgrade() -> None:
    op.drop_index("curation_changes_by_class", "curation_changes")
    op.drop_index("curation_changes_by_batch", "curation_changes")
    op.drop_table("curation_changes")
    with op.batch_alter_table("samples") as batch:
        for column in ("curated", "excluded", "curated_label"):
            batch.drop_column(column)
