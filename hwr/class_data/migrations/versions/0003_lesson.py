"""The lesson: the teacher's moderation (hidden and waiting drawings, removed students,
a frozen wall, the class's settings) and rounds (a prompt, a timer, one entry per student).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _add_missing(table: str, *columns: sa.Column) -> None:
    """Add the columns the table lacks (a legacy SQLite file adopted at the baseline may
    have had its tables created in today's shape)."""
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}
    missing = [c for c in columns if c.name not in have]
    if missing:
        with op.batch_alter_table(table) as batch:
            for column in missing:
                batch.add_column(column)


def upgrade() -> None:
    _add_missing(
        "drawings",
        # 0 shown, 1 hidden by the teacher, 2 cleared with the wall, 3 its student removed
        sa.Column("hidden", sa.Integer, nullable=False, server_default="0"),
        # 0 while it waits for the teacher ("approve first"), else 1
        sa.Column("approved", sa.Integer, nullable=False, server_default="1"))
    # the drawing's number on its student's canvas: with class_id and student it names the
    # wall drawing, whose moderation the sample follows
    _add_missing("samples", sa.Column("drawing", sa.Integer))
    _add_missing(
        "classes",
        sa.Column("frozen_at", sa.Float),  # the wall shows nothing newer
        sa.Column("approve_first", sa.Integer, nullable=False, server_default="0"),
        sa.Column("generated_names", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "class_students",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("class_id", sa.Integer, nullable=False),
        sa.Column("student", sa.Text, nullable=False),  # the browser session's random id
        sa.Column("nickname", sa.Text, nullable=False, server_default=""),
        sa.Column("removed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("joined", sa.Float, nullable=False),
        sa.UniqueConstraint("class_id", "student"),
    )
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("class_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),  # digit, random or fool
        sa.Column("digit", sa.Integer),  # the prompted digit (kind digit)
        sa.Column("seconds", sa.Integer),  # the timer, None: until the teacher ends it
        sa.Column("started", sa.Float, nullable=False),
        sa.Column("deadline", sa.Float),
        sa.Column("ended", sa.Float),
        sa.Column("incomplete", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("rounds_by_class", "rounds", ["class_id", "ended"])
    op.create_table(
        "round_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("round_id", sa.Integer, nullable=False),
        sa.Column("class_id", sa.Integer, nullable=False),
        sa.Column("student", sa.Text, nullable=False),
        sa.Column("drawing", sa.Integer, nullable=False),
        sa.Column("nickname", sa.Text, nullable=False, server_default=""),
        sa.Column("prompt", sa.Integer, nullable=False),  # the digit asked for (or meant)
        sa.Column("answer", sa.Integer, nullable=False),
        sa.Column("not_a_digit", sa.Integer, nullable=False, server_default="0"),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("correct", sa.Integer, nullable=False),  # the model read it right
        sa.Column("seconds", sa.Float, nullable=False),  # from the round's start
        sa.Column("submitted", sa.Float, nullable=False),
        sa.Column("model_input", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("round_id", "student"),
    )


def downgrade() -> None:
    op.drop_table("round_entries")
    op.drop_index("rounds_by_class", "rounds")
    op.drop_table("rounds")
    op.drop_table("class_students")
    with op.batch_alter_table("classes") as batch:
        for column in ("generated_names", "approve_first", "frozen_at"):
            batch.drop_column(column)
    with op.batch_alter_table("samples") as batch:
        batch.drop_column("drawing")
    with op.batch_alter_table("drawings") as batch:
        batch.drop_column("approved")
        batch.drop_column("hidden")
