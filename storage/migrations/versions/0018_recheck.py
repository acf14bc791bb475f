"""the recheck a month on

recheck_due: a complaint whose verification was signed off effective, and when QC are
to recheck that the fix held ([recheck] after, 30 days); the recheck's timed job opens
QC's task then and the row goes. Complaints signed off before have none.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recheck_due",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name="fk_recheck_due_complaint_id_complaint"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_recheck_due"),
        sa.UniqueConstraint("complaint_id", name="uq_recheck_due_complaint_id"),
    )
    op.create_index("ix_recheck_due_due_at", "recheck_due", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_recheck_due_due_at", table_name="recheck_due")
    op.drop_table("recheck_due")
