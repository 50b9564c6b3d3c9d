"""The schema of the versions before migrations: samples, classes, the wall's drawings.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "samples",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("label", sa.Integer, nullable=False),
        sa.Column("predicted", sa.Integer, nullable=False),
        sa.Column("probabilities", sa.Text, nullable=False),
        sa.Column("model_input", sa.LargeBinary, nullable=False),
        sa.Column("drawing_png", sa.LargeBinary),
        sa.Column("class_id", sa.Integer),
    )
    op.create_table(
        "classes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("started", sa.Text, nullable=False),
        sa.Column("ended", sa.Text),
    )
    op.create_table(
        "drawings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("class_id", sa.Integer, nullable=False),
        sa.Column("student", sa.Text, nullable=False),
        sa.Column("drawing", sa.Integer, nullable=False),
        sa.Column("nickname", sa.Text, nullable=False, server_default=""),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
        sa.Column("predicted", sa.Integer, nullable=False),
        sa.Column("not_a_digit", sa.Integer, nullable=False, server_default="0"),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("label", sa.Integer),
        sa.Column("model_input", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("class_id", "student", "drawing"),
    )
    op.create_index("drawings_by_class", "drawings", ["class_id", "created"])
