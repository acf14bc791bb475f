"""cause categories named at the appraisal

complaint_cause: one row per cause category (5M1E by default, [causes] in the
configuration) that QC named for a complaint at step 3. Complaints appraised before
have none and show as not categorised; nothing of theirs changes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaint_cause",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=16), nullable=False),
        sa.Column("chosen_by_id", sa.Integer(), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name="fk_complaint_cause_complaint_id_complaint"
        ),
        sa.ForeignKeyConstraint(
            ["chosen_by_id"], ["person.id"], name="fk_complaint_cause_chosen_by_id_person"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_complaint_cause"),
        sa.UniqueConstraint("complaint_id", "cause", name="uq_complaint_cause_complaint_id"),
    )
    op.create_index("ix_complaint_cause_complaint_id", "complaint_cause", ["complaint_id"])


def downgrade() -> None:
    op.drop_index("ix_complaint_cause_complaint_id", table_name="complaint_cause")
    op.drop_table("complaint_cause")
