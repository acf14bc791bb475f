"""groups Telegram upgraded to supergroups: their old ids and their new ones

chat_migration: a group's old id and the id it has as a supergroup, so that Kesu sends
to the new one and maps the old id in the configuration to it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_migration",
        sa.Column("old_telegram_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("new_telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("old_telegram_id", name=op.f("pk_chat_migration")),
    )


def downgrade() -> None:
    op.drop_table("chat_migration")
