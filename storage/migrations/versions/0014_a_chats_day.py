"""how many reminder messages a chat has heard in the company's day

chat_notices.sent_day / sent_that_day: a chat hears at most [reminders] most_a_day
reminder messages a day; the rest wait for the next day (its board shows them at
once), except a step newly overdue, named to a person within the hour.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chat_notices") as batch:
        batch.add_column(sa.Column("sent_day", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("sent_that_day", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("chat_notices") as batch:
        batch.drop_column("sent_that_day")
        batch.drop_column("sent_day")
