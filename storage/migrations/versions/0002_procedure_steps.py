"""procedure steps

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("file_id", sa.String(length=255), nullable=True),
        sa.Column("blocked_reason", sa.Text(), nullable=True),
        sa.Column("pings_sent", sa.Integer(), nullable=False),
        sa.Column("next_ping_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["person.id"], name=op.f("fk_step_assignee_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name=op.f("fk_step_complaint_id_complaint")
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["person.id"], name=op.f("fk_step_done_by_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_step")),
    )
    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_step_complaint_id"), ["complaint_id"], unique=False)
        batch_op.create_index("ix_step_open_pings", ["status", "next_ping_at"], unique=False)

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("step_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_step_id"), ["step_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_step_id_step"), "step", ["step_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_step_id_step"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outbox_step_id"))
        batch_op.drop_column("step_id")

    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.drop_index("ix_step_open_pings")
        batch_op.drop_index(batch_op.f("ix_step_complaint_id"))

    op.drop_table("step")
