"""the phone gateway: which carrier took each outbox row, and whether a carrier answers

Revision ID: a17c0e5d9b32
Revises: 5d0c3a9e7f21
Create Date: 2026-12-03 06:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

import hotline.models

# revision identifiers, used by Alembic.
revision = 'a17c0e5d9b32'
down_revision = '5d0c3a9e7f21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transport', sa.String(length=16), nullable=True))
    op.create_table(
        'carrier_health',
        sa.Column('name', sa.String(length=16), nullable=False),
        sa.Column('last_seen_at', hotline.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('checked_at', hotline.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('down_since', hotline.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.Column('told_at', hotline.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_carrier_health')),
    )


def downgrade():
    op.drop_table('carrier_health')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('transport')
