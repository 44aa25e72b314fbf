"""inbound messages by sender and time (the flood check on every SMS)

Revision ID: bcbdc37f5438
Revises: 78b8bbbde119
Create Date: 2026-11-24 20:53:34.028420

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'bcbdc37f5438'
down_revision = '78b8bbbde119'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_inbound_phone_received_at', 'inbound', ['phone', 'received_at'])


def downgrade():
    op.drop_index('ix_inbound_phone_received_at', table_name='inbound')
