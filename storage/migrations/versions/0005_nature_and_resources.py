"""the nature QC set, major problems, night pings, and the special report to the GM

- complaint.solvable_today: QC's answer at the appraisal (step 3), None before it;
- complaint.filed_major_at: when leadership filed it as a major problem;
- step.file_kind: whether a step's file is a photo or a document, so /show resends it;
- person.night_pings: chosen with /settings, false for everyone at first;
- special_report: 书面专项报告, the GM's answer with it;
- suggestion: 合理化建议, adopted or declined, with the realised benefit and the reward;
- meeting: 质量问题专项会议 of a complaint, with its minutes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# As 0004: the settled vocabularies this revision adds, with their CHECKs.
CHECKS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "special_report": [
        ("file_kind", "filekind", ("photo", "document")),
        ("status", "reportstatus", ("waiting", "approved", "answered")),
    ],
    "suggestion": [("status", "suggestionstatus", ("proposed", "adopted", "declined"))],
    "meeting": [("minutes_file_kind", "filekind", ("photo", "document"))],
}


def upgrade() -> None:
    op.add_column("complaint", sa.Column("solvable_today", sa.Boolean(), nullable=True))
    op.add_column("step", sa.Column("file_kind", sa.String(length=16), nullable=True))
    op.add_column(
        "complaint", sa.Column("filed_major_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "person",
        sa.Column("night_pings", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "special_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("written_by_id", sa.Integer(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("file_id", sa.String(length=255), nullable=True),
        sa.Column(
            "file_kind",
            sa.Enum(
                *CHECKS["special_report"][0][2],
                name="filekind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column(
            "status",
            sa.Enum(
                *CHECKS["special_report"][1][2],
                name="reportstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_special_report_complaint_id_complaint"),
        ),
        sa.ForeignKeyConstraint(
            ["step_id"], ["step.id"], name=op.f("fk_special_report_step_id_step")
        ),
        sa.ForeignKeyConstraint(
            ["written_by_id"],
            ["person.id"],
            name=op.f("fk_special_report_written_by_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["person.id"],
            name=op.f("fk_special_report_answered_by_id_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_special_report")),
    )
    op.create_index(
        op.f("ix_special_report_complaint_id"), "special_report", ["complaint_id"], unique=False
    )

    op.create_table(
        "suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                *CHECKS["suggestion"][0][2],
                name="suggestionstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("benefit", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("reward", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("benefit_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name=op.f("fk_suggestion_complaint_id_complaint")
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["person.id"], name=op.f("fk_suggestion_proposed_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["person.id"], name=op.f("fk_suggestion_decided_by_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion")),
    )
    op.create_index(
        op.f("ix_suggestion_complaint_id"), "suggestion", ["complaint_id"], unique=False
    )
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("organiser_id", sa.Integer(), nullable=False),
        sa.Column("invited", sa.JSON(), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=True),
        sa.Column("minutes_file_id", sa.String(length=255), nullable=True),
        sa.Column(
            "minutes_file_kind",
            sa.Enum(
                *CHECKS["meeting"][0][2],
                name="filekind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name=op.f("fk_meeting_complaint_id_complaint")
        ),
        sa.ForeignKeyConstraint(["step_id"], ["step.id"], name=op.f("fk_meeting_step_id_step")),
        sa.ForeignKeyConstraint(
            ["organiser_id"], ["person.id"], name=op.f("fk_meeting_organiser_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
    )
    op.create_index(op.f("ix_meeting_complaint_id"), "meeting", ["complaint_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_meeting_complaint_id"), table_name="meeting")
    op.drop_table("meeting")
    op.drop_index(op.f("ix_suggestion_complaint_id"), table_name="suggestion")
    op.drop_table("suggestion")
    op.drop_index(op.f("ix_special_report_complaint_id"), table_name="special_report")
    op.drop_table("special_report")
    with op.batch_alter_table("person") as batch:
        batch.drop_column("night_pings")
    with op.batch_alter_table("step") as batch:
        batch.drop_column("file_kind")
    with op.batch_alter_table("complaint") as batch:
        batch.drop_column("filed_major_at")
        batch.drop_column("solvable_today")
