"""typed columns: roles, plants, grades, statuses and outbox kinds checked by the database

The columns keep their types and their data; each enum column of a settled
vocabulary gets a CHECK constraint listing its values (SQLite rebuilds the
tables to add them). A step's outcome and a notification's purpose grow with
features: the ORM checks those, so a new outcome needs no migration.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# table -> [(column, enum name, values)], as storage.models declares them on this date.
CHECKS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "person": [
        (
            "role",
            "role",
            (
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
            ),
        ),
        ("plant", "plant", ("huangwu", "laishan", "contractor", "unknown")),
    ],
    "chat": [("purpose", "group", ("leadership", "sales", "qc", "production"))],
    "customer": [("customer_class", "customerclass", ("A", "B", "C"))],
    "complaint": [
        ("customer_class", "customerclass", ("A", "B", "C")),
        ("grade", "grade", ("A", "B", "C")),
        ("plant", "plant", ("huangwu", "laishan", "contractor", "unknown")),
        ("status", "complaintstatus", ("open", "closed")),
    ],
    "attachment": [("kind", "filekind", ("photo", "document"))],
    "step": [
        ("status", "stepstatus", ("open", "done", "skipped", "superseded")),
    ],
    "outbox": [
        ("method", "method", ("message", "photo", "document", "edit")),
        ("status", "deliverystatus", ("pending", "sending", "sent", "failed")),
    ],
}


def upgrade() -> None:
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column, name, values in checks:
                listed = ", ".join(f"'{v}'" for v in values)
                batch.create_check_constraint(op.f(f"ck_{table}_{name}"), f"{column} IN ({listed})")


def downgrade() -> None:
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for _column, name, _values in checks:
                batch.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
