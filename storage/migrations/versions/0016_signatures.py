"""signatures that say what they mean

signature: who signed, when, the meaning (accepted as done, effective, the customer's
verdict, the GM's answer to a special report), and what was signed; the event of the
act says from where. Acts before this revision have their events, not signatures.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# As 0004: the settled vocabulary this revision adds, with its CHECK.
MEANINGS = (
    "accepted",
    "sent_back",
    "effective",
    "not_effective",
    "satisfied",
    "not_satisfied",
    "report_approved",
    "report_answered",
)
CHECKS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "signature": [("meaning", "meaning", MEANINGS)],
}


def upgrade() -> None:
    op.create_table(
        "signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column(
            "meaning",
            sa.Enum(
                *MEANINGS, name="meaning", native_enum=False, create_constraint=True, length=24
            ),
            nullable=False,
        ),
        sa.Column("signed_by_id", sa.Integer(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.Column("plan_item_id", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name="fk_signature_complaint_id_complaint"
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_id"], ["person.id"], name="fk_signature_signed_by_id_person"
        ),
        sa.ForeignKeyConstraint(["step_id"], ["step.id"], name="fk_signature_step_id_step"),
        sa.ForeignKeyConstraint(
            ["plan_item_id"], ["plan_item.id"], name="fk_signature_plan_item_id_plan_item"
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["special_report.id"], name="fk_signature_report_id_special_report"
        ),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name="fk_signature_event_id_event"),
        sa.PrimaryKeyConstraint("id", name="pk_signature"),
    )
    op.create_index("ix_signature_complaint_id", "signature", ["complaint_id"])


def downgrade() -> None:
    op.drop_index("ix_signature_complaint_id", table_name="signature")
    op.drop_table("signature")
