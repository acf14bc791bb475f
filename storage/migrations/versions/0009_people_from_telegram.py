"""people and groups managed from Telegram

- person.from_file, chat.from_file: named in the configuration file (true for everyone
  and every group so far), or enrolled by an admin's invitation / bound by /bindchat in
  Telegram, which a restart keeps whatever the file says;
- invite: an admin's one-time link with the role and plant it enrols with.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ROLES = (
    "sales",
    "qc",
    "tech",
    "production",
    "equipment",
    "purchasing",
    "hr",
    "vp_exec",
    "vp_production",
    "vp_marketing",
    "gm",
)
PLANTS = ("huangwu", "laishan", "contractor", "unknown")
# As 0004: the settled vocabularies this revision adds, with their CHECKs.
CHECKS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "invite": [("role", "role", ROLES), ("plant", "plant", PLANTS)],
}


def _checked(values: tuple[str, ...], name: str, length: int) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)


def upgrade() -> None:
    for table in ("person", "chat"):
        op.add_column(
            table,
            sa.Column("from_file", sa.Boolean(), nullable=False, server_default=sa.true()),
        )
    op.create_table(
        "invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("role", _checked(ROLES, "role", 32), nullable=False),
        sa.Column("plant", _checked(PLANTS, "plant", 16), nullable=True),
        sa.Column("made_by_id", sa.Integer(), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_by_id", sa.Integer(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["made_by_id"], ["person.id"], name=op.f("fk_invite_made_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["used_by_id"], ["person.id"], name=op.f("fk_invite_used_by_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invite")),
        sa.UniqueConstraint("token", name=op.f("uq_invite_token")),
    )


def downgrade() -> None:
    op.drop_table("invite")
    for table in ("chat", "person"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("from_file")
