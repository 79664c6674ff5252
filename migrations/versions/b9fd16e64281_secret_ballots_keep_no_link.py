"""secret ballots keep no link: random receipt ids, receipt standing, who voted, published

Revision ID: b9fd16e64281
Revises: dddaad023358
Create Date: 2026-12-01 10:40:00.000000

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b9fd16e64281"
down_revision = "0aa03af4d5cb"
branch_labels = None
depends_on = None

RECEIPT_COLUMNS = ("vote_id", "code_hash", "ballot_id", "ballot_version", "choice", "issued_at")


def _receipts_table(random_ids: bool) -> None:
    """Create ``receipts`` (the old table must be gone: PostgreSQL index names are global)."""
    columns = [
        sa.Column("id", sa.String(length=32) if random_ids else sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=random_ids),
        sa.Column("ballot_version", sa.Integer(), nullable=random_ids),
        sa.Column("choice", sa.String(length=100), nullable=random_ids),
        sa.Column("issued_at", sa.DateTime(), nullable=random_ids),
    ]
    constraints = []
    if random_ids:
        columns.append(sa.Column("standing", sa.String(length=9), nullable=True))
        constraints += [
            sa.CheckConstraint(
                "standing IN ('counted', 'replaced', 'cancelled')",
                name=op.f("ck_receipts_receipt_standing"),
            ),
            sa.CheckConstraint(
                "(ballot_id IS NULL) = (standing IS NOT NULL)",
                name=op.f("ck_receipts_ballot_until_standing"),
            ),
        ]
    op.create_table(
        "receipts",
        *columns,
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["ballots.id"],
            name=op.f("fk_receipts_ballot_id_ballots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vote_id"], ["votes.id"], name=op.f("fk_receipts_vote_id_votes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_receipts_code_hash")),
        *constraints,
    )
    op.create_index(
        "ix_receipts_ballot_version", "receipts", ["ballot_id", "ballot_version"], unique=True
    )


def _old_receipts(where: str = "") -> list[dict]:
    rows = op.get_bind().execute(
        sa.text(f"SELECT {', '.join(RECEIPT_COLUMNS)} FROM receipts {where} ORDER BY id")  # noqa: S608
    )
    return [dict(row._mapping) for row in rows]


def _insert(rows: list[dict], columns: list[str]) -> None:
    if rows:
        table = sa.table("receipts", *(sa.column(name) for name in columns))
        op.bulk_insert(table, rows)


def upgrade():
    rows = _old_receipts()
    op.drop_table("receipts")
    _receipts_table(random_ids=True)
    # Random keys in a random order: the old sequence numbers followed the order of voting.
    for row in rows:
        row["id"] = secrets.token_hex(16)
    _insert(sorted(rows, key=lambda row: row["id"]), ["id", *RECEIPT_COLUMNS])
    with op.batch_alter_table("electorate_members") as batch_op:
        batch_op.add_column(sa.Column("voted", sa.Boolean(), nullable=True))
    with op.batch_alter_table("votes") as batch_op:
        batch_op.add_column(sa.Column("exact_totals", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("published", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("votes") as batch_op:
        batch_op.drop_column("published")
        batch_op.drop_column("exact_totals")
    with op.batch_alter_table("electorate_members") as batch_op:
        batch_op.drop_column("voted")
    # A closed secret ballot's receipts have no ballot left to point at: they cannot go back.
    rows = _old_receipts("WHERE ballot_id IS NOT NULL")
    op.drop_table("receipts")
    _receipts_table(random_ids=False)
    for number, row in enumerate(rows, start=1):
        row["id"] = number
    _insert(rows, ["id", *RECEIPT_COLUMNS])
    if rows and op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('receipts', 'id'), max(id)) FROM receipts")
