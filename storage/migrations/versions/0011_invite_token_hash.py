"""invitation links kept as a hash, and withdrawn

invite.token_hash: the SHA-256 of the link's token, in place of the token itself, so
that whoever reads the database (a backup, a copy) cannot enrol with a pending link;
the links already made are hashed here and keep working. invite.revoked_at: an admin
withdrew the link (/invite revoke N).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invite") as batch:
        batch.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    connection = op.get_bind()
    for row_id, token in connection.execute(sa.text("SELECT id, token FROM invite")).all():
        digest = hashlib.sha256(token.encode()).hexdigest()
        connection.execute(
            sa.text("UPDATE invite SET token_hash = :digest WHERE id = :id"),
            {"digest": digest, "id": row_id},
        )
    with op.batch_alter_table("invite") as batch:
        batch.alter_column("token_hash", existing_type=sa.String(length=64), nullable=False)
        batch.drop_constraint("uq_invite_token", type_="unique")
        batch.drop_column("token")
        batch.create_unique_constraint("uq_invite_token_hash", ["token_hash"])


def downgrade() -> None:
    # The tokens cannot be had back from their hashes: pending links stop working.
    with op.batch_alter_table("invite") as batch:
        batch.add_column(sa.Column("token", sa.String(length=64), nullable=True))
    op.execute(sa.text("UPDATE invite SET token = token_hash"))
    with op.batch_alter_table("invite") as batch:
        batch.alter_column("token", existing_type=sa.String(length=64), nullable=False)
        batch.drop_constraint("uq_invite_token_hash", type_="unique")
        batch.drop_column("token_hash")
        batch.drop_column("revoked_at")
        batch.create_unique_constraint("uq_invite_token", ["token"])
