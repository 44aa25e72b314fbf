"""who stopped a broadcast

The username of the coordinator who stopped a broadcast, beside when (`stopped_at`), for its page; kept
as written, so it still says who did it if the account is later removed.

Revision ID: f2c8d5a7e1b4
Revises: e7a2c4f1b9d3
Create Date: 2026-12-03 12:55:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f2c8d5a7e1b4'
down_revision = 'e7a2c4f1b9d3'
branch_labels = None
depends_on = None


def upgrade():
    # In place, not by batch: SQLite's batch copies the table, and dropping the old `broadcast` would set every
    # outbox row's `broadcast_id` to NULL and delete the offers (their foreign keys' ON DELETE).
    op.add_column('broadcast', sa.Column('stopped_by', sa.String(length=80), nullable=True))


def downgrade():
    op.drop_column('broadcast', 'stopped_by')  # in place on SQLite too (3.35+)
