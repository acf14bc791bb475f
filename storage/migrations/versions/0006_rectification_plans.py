"""the rectification plan and its items, and the departments' own groups

- plan: 《质量问题整治方法计划表》 of a complaint (step 10), one per complaint;
- plan_item: its rectification items (step 13), each with owner, due date and acceptor;
- step.plan_item_id: an item's own tasks (its work, its acceptance) are steps;
- chat.purpose: the optional equipment, purchasing and hr groups, where items go too;
- meeting: the weekly quality analysis meeting has no complaint, step or organiser;
  meeting_complaint links its minutes to the complaints they name;
- complaint.product_key (indexed with received_at) and recurs_after: recurrence of the
  same product within N days, and the earlier complaints that made one recurring;
- indexes for the weekly summary and the month-end register (bench/scale.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

GROUPS_BEFORE = ("leadership", "sales", "qc", "production")
CHECKS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "plan_item": [("status", "itemstatus", ("open", "submitted", "accepted"))],
    "chat": [("purpose", "group", (*GROUPS_BEFORE, "equipment", "purchasing", "hr"))],
}


def _chat_purposes(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("chat") as batch:
        batch.drop_constraint(op.f("ck_chat_group"), type_="check")
        listed = ", ".join(f"'{v}'" for v in values)
        batch.create_check_constraint(op.f("ck_chat_group"), f"purpose IN ({listed})")


def _tidy(text: str) -> str:
    # As bot/procedure/recurrence.py compares products (kept here: a migration is history).
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def upgrade() -> None:
    _chat_purposes(CHECKS["chat"][0][2])
    with op.batch_alter_table("complaint") as batch:
        batch.add_column(
            sa.Column("product_key", sa.String(length=420), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("recurs_after", sa.JSON(), nullable=True))
    connection = op.get_bind()
    complaint = sa.table(
        "complaint",
        sa.column("id", sa.Integer()),
        sa.column("product_key", sa.String()),
        sa.column("recurs_after", sa.JSON()),
    )
    rows = connection.execute(sa.text("SELECT id, product_name, specification FROM complaint"))
    for row_id, name, specification in rows.fetchall():
        key = f"{_tidy(name)}|{_tidy(specification)}"[:420]
        connection.execute(
            complaint.update()
            .where(complaint.c.id == row_id)
            .values(product_key=key, recurs_after=[])
        )
    with op.batch_alter_table("complaint") as batch:
        batch.alter_column("recurs_after", existing_type=sa.JSON(), nullable=False)
    op.create_index(
        "ix_complaint_recurrence", "complaint", ["product_key", "received_at"], unique=False
    )
    # The weekly summary and the month-end register at the scale of years (bench/scale.py).
    op.create_index("ix_complaint_received_at", "complaint", ["received_at"], unique=False)
    op.create_index("ix_step_done_at", "step", ["done_at"], unique=False)
    op.create_index("ix_step_key_due", "step", ["key", "due_at"], unique=False)
    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("causes", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("departments", sa.JSON(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name=op.f("fk_plan_complaint_id_complaint")
        ),
        sa.ForeignKeyConstraint(["step_id"], ["step.id"], name=op.f("fk_plan_step_id_step")),
        sa.ForeignKeyConstraint(["owner_id"], ["person.id"], name=op.f("fk_plan_owner_id_person")),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["person.id"], name=op.f("fk_plan_issued_by_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
        sa.UniqueConstraint("complaint_id", name=op.f("uq_plan_complaint_id")),
    )
    op.create_table(
        "plan_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("requirement", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("acceptor_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                *CHECKS["plan_item"][0][2],
                name="itemstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("times_sent_back", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_plan_item_plan_id_plan")),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["person.id"], name=op.f("fk_plan_item_owner_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["acceptor_id"], ["person.id"], name=op.f("fk_plan_item_acceptor_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_item")),
        sa.UniqueConstraint("plan_id", "number", name=op.f("uq_plan_item_plan_id")),
    )
    op.create_index(op.f("ix_plan_item_plan_id"), "plan_item", ["plan_id"], unique=False)
    with op.batch_alter_table("meeting") as batch:
        for column in ("complaint_id", "step_id", "organiser_id"):
            batch.alter_column(column, existing_type=sa.Integer(), nullable=True)
    op.create_table(
        "meeting_complaint",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_complaint_meeting_id_meeting")
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_meeting_complaint_complaint_id_complaint"),
        ),
        sa.PrimaryKeyConstraint("meeting_id", "complaint_id", name=op.f("pk_meeting_complaint")),
    )
    with op.batch_alter_table("step") as batch:
        batch.add_column(sa.Column("plan_item_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_step_plan_item_id"), ["plan_item_id"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_step_plan_item_id_plan_item"), "plan_item", ["plan_item_id"], ["id"]
        )


def downgrade() -> None:
    op.drop_index("ix_step_key_due", table_name="step")
    op.drop_index("ix_step_done_at", table_name="step")
    op.drop_index("ix_complaint_received_at", table_name="complaint")
    op.drop_index("ix_complaint_recurrence", table_name="complaint")
    with op.batch_alter_table("complaint") as batch:
        batch.drop_column("recurs_after")
        batch.drop_column("product_key")
    with op.batch_alter_table("step") as batch:
        batch.drop_constraint(batch.f("fk_step_plan_item_id_plan_item"), type_="foreignkey")
        batch.drop_index(batch.f("ix_step_plan_item_id"))
        batch.drop_column("plan_item_id")
    op.drop_table("meeting_complaint")
    op.execute(sa.text("DELETE FROM meeting WHERE complaint_id IS NULL"))
    with op.batch_alter_table("meeting") as batch:
        for column in ("complaint_id", "step_id", "organiser_id"):
            batch.alter_column(column, existing_type=sa.Integer(), nullable=False)
    op.drop_index(op.f("ix_plan_item_plan_id"), table_name="plan_item")
    op.drop_table("plan_item")
    op.drop_table("plan")
    op.execute(
        sa.text("DELETE FROM chat WHERE purpose NOT IN :kept").bindparams(
            sa.bindparam("kept", GROUPS_BEFORE, expanding=True)
        )
    )
    _chat_purposes(GROUPS_BEFORE)
