"""Who wrote each sample (a fine-tune holds out whole students), the models a class
taught, and which model answers.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("samples")}
    if "student" not in columns:
        with op.batch_alter_table("samples") as batch:
            batch.add_column(sa.Column("student", sa.Text))
    op.create_table(
        "model_versions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("parent", sa.String(64)),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("class_digits", sa.Integer, nullable=False),
        sa.Column("class_name", sa.Text, nullable=False, server_default=""),
        sa.Column("report", sa.Text, nullable=False),
        sa.Column("archive", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
