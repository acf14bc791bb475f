"""extension requests and snoozes

extension_request: 申请延期, the owner of a step asks for a later limit with a reason;
the leading VP (the GM for a VP's own step) approves or refuses it.
snooze: a step's reminders silenced for a while (its escalations go on).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# As 0004: the settled vocabulary this revision adds, with its CHECK.
CHECKS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "extension_request": [
        ("status", "extensionstatus", ("pending", "approved", "refused")),
    ],
}


def upgrade() -> None:
    op.create_table(
        "extension_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("asked_by_id", sa.Integer(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("old_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("new_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                *CHECKS["extension_request"][0][2],
                name="extensionstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name="fk_extension_request_complaint_id_complaint"
        ),
        sa.ForeignKeyConstraint(["step_id"], ["step.id"], name="fk_extension_request_step_id_step"),
        sa.ForeignKeyConstraint(
            ["asked_by_id"], ["person.id"], name="fk_extension_request_asked_by_id_person"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["person.id"], name="fk_extension_request_decided_by_id_person"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_extension_request"),
    )
    op.create_index(
        "ix_extension_request_complaint_id", "extension_request", ["complaint_id"], unique=False
    )
    op.create_index(
        "ix_extension_step_status", "extension_request", ["step_id", "status"], unique=False
    )
    op.create_table(
        "snooze",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["step_id"], ["step.id"], name="fk_snooze_step_id_step"),
        sa.ForeignKeyConstraint(["by_id"], ["person.id"], name="fk_snooze_by_id_person"),
        sa.PrimaryKeyConstraint("id", name="pk_snooze"),
    )
    op.create_index("ix_snooze_step_until", "snooze", ["step_id", "until"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_snooze_step_until", table_name="snooze")
    op.drop_table("snooze")
    op.drop_index("ix_extension_step_status", table_name="extension_request")
    op.drop_index("ix_extension_request_complaint_id", table_name="extension_request")
    op.drop_table("extension_request")
