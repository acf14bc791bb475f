"""the cost of poor quality

cost_entry: a quantity (affected, returned, reworked) or an amount of yuan (the claim
settled, the costs of rework, scrap, freight and travel) recorded at the step where it
becomes known, or later by leadership or QC with a reason. The latest of a kind stands
for the complaint.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# As 0004: the settled vocabulary this revision adds, with its CHECK.
KINDS = (
    "affected",
    "returned",
    "reworked",
    "claim",
    "rework",
    "scrap",
    "freight",
    "travel",
)
CHECKS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "cost_entry": [("kind", "costkind", KINDS)],
}


def upgrade() -> None:
    op.create_table(
        "cost_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="costkind", native_enum=False, create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column("amount", sa.Numeric(18, 3), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name="fk_cost_entry_complaint_id_complaint"
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["person.id"], name="fk_cost_entry_entered_by_id_person"
        ),
        sa.ForeignKeyConstraint(["step_id"], ["step.id"], name="fk_cost_entry_step_id_step"),
        sa.PrimaryKeyConstraint("id", name="pk_cost_entry"),
    )
    op.create_index(
        "ix_cost_entry_complaint_kind", "cost_entry", ["complaint_id", "kind"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_cost_entry_complaint_kind", table_name="cost_entry")
    op.drop_table("cost_entry")
