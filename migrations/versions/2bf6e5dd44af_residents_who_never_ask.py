"""residents who never ask: the no-phone flag, when a round's check-in call is set for, and when a resident
last asked (an index)

Revision ID: 2bf6e5dd44af
Revises: 3b7d2e91c4a6
Create Date: 2026-12-03 09:19:07.779135

"""
from alembic import op
import sqlalchemy as sa

import hotline.models


# revision identifiers, used by Alembic.
revision = '2bf6e5dd44af'
down_revision = '3b7d2e91c4a6'
branch_labels = None
depends_on = None


def upgrade():
    # Each step is a plain ALTER TABLE on SQLite too (a constant default, no table copied): a copy of `resident`
    # would drop the old table, and with foreign keys on that deletes every check-in (ON DELETE CASCADE).
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.add_column(sa.Column('call_at', hotline.models.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('request', schema=None) as batch_op:
        batch_op.create_index('ix_request_resident_id_created_at', ['resident_id', 'created_at'], unique=False)

    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('no_phone', sa.Boolean(), nullable=False, server_default="0"))


def downgrade():
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+), not batch mode: batch mode would copy `resident` and drop the
    # old table, and with foreign keys on, dropping it deletes every check-in of every resident (ON DELETE CASCADE).
    op.drop_column('resident', 'no_phone')
    op.drop_index('ix_request_resident_id_created_at', table_name='request')
    op.drop_column('check_in', 'call_at')
