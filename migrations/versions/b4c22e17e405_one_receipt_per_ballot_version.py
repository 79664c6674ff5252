"""one receipt per ballot version

Revision ID: b4c22e17e405
Revises: 7215d5bbb53e
Create Date: 2026-11-23 16:40:47.630650

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "b4c22e17e405"
down_revision = "7215d5bbb53e"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_receipts_ballot_version", "receipts", ["ballot_id", "ballot_version"], unique=True
    )


def downgrade():
    op.drop_index("ix_receipts_ballot_version", table_name="receipts")
