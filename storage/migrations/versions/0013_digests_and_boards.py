"""digests and boards

queued_ping: each reminder or escalation that fell due for a chat, waiting for the
chat's next message (at most one an escalation interval), then kept with it.
chat_notices: per chat, when its last reminder message went, and its board message.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queued_ping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ping_index", sa.Integer(), nullable=False),
        sa.Column("fell_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("may_go_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("pings", sa.Integer(), nullable=False),
        sa.Column("repeat", sa.Boolean(), nullable=False),
        sa.Column("message_row_id", sa.BigInteger(), nullable=True),
        sa.Column("sent_as", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["step_id"], ["step.id"], name="fk_queued_ping_step_id_step"),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name="fk_queued_ping_complaint_id_complaint"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_queued_ping"),
    )
    op.create_index("ix_queued_ping_waiting", "queued_ping", ["sent_as", "chat_id"], unique=False)
    op.create_index(
        "ix_queued_ping_complaint_chat", "queued_ping", ["complaint_id", "chat_id"], unique=False
    )
    op.create_index("ix_queued_ping_message", "queued_ping", ["message_row_id"], unique=False)
    op.create_index("ix_queued_ping_step_id", "queued_ping", ["step_id"], unique=False)
    op.create_table(
        "chat_notices",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("board_row_id", sa.BigInteger(), nullable=True),
        sa.Column("board_hash", sa.String(length=64), nullable=True),
        sa.Column("board_pinned", sa.Boolean(), nullable=True),
        sa.Column("board_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("chat_id", name="pk_chat_notices"),
    )


def downgrade() -> None:
    op.drop_table("chat_notices")
    op.drop_index("ix_queued_ping_step_id", table_name="queued_ping")
    op.drop_index("ix_queued_ping_message", table_name="queued_ping")
    op.drop_index("ix_queued_ping_complaint_chat", table_name="queued_ping")
    op.drop_index("ix_queued_ping_waiting", table_name="queued_ping")
    op.drop_table("queued_ping")
