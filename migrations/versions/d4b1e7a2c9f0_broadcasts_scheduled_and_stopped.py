"""broadcasts a coordinator controls: sent at a chosen time, stopped while sending

`send_at` is when a scheduled broadcast's messages go (UTC; None: at once); `stopped_at` says that a
coordinator stopped it: its messages not yet sent were cancelled (outbox status `cancelled`).

Revision ID: d4b1e7a2c9f0
Revises: fc18ec0a062c
Create Date: 2026-12-03 09:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

import hotline.models

# revision identifiers, used by Alembic.
revision = 'd4b1e7a2c9f0'
down_revision = 'fc18ec0a062c'
branch_labels = None
depends_on = None


def upgrade():
    # Columns added in place, not by batch: SQLite's batch copies the table, and dropping the old `broadcast`
    # would set every outbox row's `broadcast_id` to NULL and delete the offers (their foreign keys' ON DELETE).
    op.add_column('broadcast', sa.Column('send_at', hotline.models.UTCDateTime(), nullable=True))
    op.add_column('broadcast', sa.Column('stopped_at', hotline.models.UTCDateTime(), nullable=True))


def downgrade():
    op.execute(sa.text("UPDATE outbox SET status = 'skipped' WHERE status = 'cancelled'"))
    for column in ('stopped_at', 'send_at'):  # in place on SQLite too (3.35+)
        op.drop_column('broadcast', column)
