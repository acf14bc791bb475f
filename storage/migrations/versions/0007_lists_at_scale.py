"""indexes for /list, /mytasks and /overdue at the scale of years (bench/scale.py)

- complaint(status, received_at): a page of the open complaints, newest first;
- complaint(status, plant, filed_by_id): the open complaints of a plant or a seller;
- step(status, due_at, key, assignee_id, complaint_id, id): open steps soonest due
  first, with everything /mytasks filters by, read from the index alone.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_complaint_status_received", "complaint", ["status", "received_at"]),
    ("ix_complaint_status_plant", "complaint", ["status", "plant", "filed_by_id"]),
    (
        "ix_step_open_due",
        "step",
        ["status", "due_at", "key", "assignee_id", "complaint_id", "id"],
    ),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
