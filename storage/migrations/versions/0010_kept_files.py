"""files kept in Kesu's own store

kept_file: each file people sent (by its Telegram file id), downloaded into the
configured store so that it outlives Telegram's copy; its path, size and SHA-256 once
kept, or why it could not be.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


# Typed NULLs: PostgreSQL will not put an untyped one into an integer column.
TEXT = "CAST(NULL AS VARCHAR(255))"
NUMBER = "CAST(NULL AS INTEGER)"


def upgrade() -> None:
    op.create_table(
        "kept_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("mime_type", sa.String(length=128), nullable=True),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name=op.f("fk_kept_file_complaint_id_complaint")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kept_file")),
        sa.UniqueConstraint("file_id", name=op.f("uq_kept_file_file_id")),
    )
    op.create_index(op.f("ix_kept_file_complaint_id"), "kept_file", ["complaint_id"])
    op.create_index("ix_kept_file_waiting", "kept_file", ["status", "next_attempt_at"])
    # Files people sent before this revision: kept from now on, while Telegram has them.
    now = sa.bindparam("now", datetime.now(UTC), type_=sa.DateTime(timezone=True))
    for table, file_id, kind, name, mime, complaint in (
        ("attachment", "file_id", "kind", "file_name", "mime_type", "complaint_id"),
        ("step", "file_id", "file_kind", TEXT, TEXT, "complaint_id"),
        ("special_report", "file_id", "file_kind", TEXT, TEXT, "complaint_id"),
        ("meeting", "minutes_file_id", "minutes_file_kind", TEXT, TEXT, NUMBER),
    ):
        op.execute(
            sa.text(
                "INSERT INTO kept_file (file_id, kind, file_name, mime_type, complaint_id, "
                "status, attempts, next_attempt_at, created_at) "
                f"SELECT {file_id}, MIN({kind}), MIN({name}), MIN({mime}), MIN({complaint}), "
                f"'waiting', 0, :now, :now FROM {table} "
                f"WHERE {file_id} IS NOT NULL AND {kind} IS NOT NULL "
                f"AND {file_id} NOT IN (SELECT file_id FROM kept_file) GROUP BY {file_id}"
            ).bindparams(now)
        )


def downgrade() -> None:
    op.drop_index("ix_kept_file_waiting", table_name="kept_file")
    op.drop_index(op.f("ix_kept_file_complaint_id"), table_name="kept_file")
    op.drop_table("kept_file")
