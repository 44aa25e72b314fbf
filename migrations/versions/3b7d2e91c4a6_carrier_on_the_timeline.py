"""the carrier on the timeline: which carrier brought the SMS or call a step came by

Revision ID: 3b7d2e91c4a6
Revises: d4b1e7a2c9f0
Create Date: 2026-12-03 09:40:00.000000

Older steps name none (the page then shows only by SMS / by phone, as before).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3b7d2e91c4a6'
down_revision = 'd4b1e7a2c9f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transport', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.drop_column('transport')
