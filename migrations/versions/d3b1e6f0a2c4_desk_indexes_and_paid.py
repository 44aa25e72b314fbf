"""indexes the coordinator's desk reads by; whether a household paid

Timeline events by time (the numbers of the last day or week); requests by the time they were
delivered (the dashboard's days); sent messages by carrier and time (each carrier's last hour on the
dashboard). At 100,000 requests these read the index instead of every row.

Revision ID: d3b1e6f0a2c4
Revises: 2bf6e5dd44af
Create Date: 2026-12-03 09:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd3b1e6f0a2c4'
down_revision = '2bf6e5dd44af'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_request_event_at', 'request_event', ['at'])
    op.create_index('ix_request_delivered_at', 'request', ['delivered_at'])
    op.create_index('ix_outbox_sent', 'outbox', ['status', 'transport', 'sent_at'])
    with op.batch_alter_table('request') as batch:
        batch.add_column(sa.Column('paid', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('request') as batch:
        batch.drop_column('paid')
    op.drop_index('ix_outbox_sent', table_name='outbox')
    op.drop_index('ix_request_delivered_at', table_name='request')
    op.drop_index('ix_request_event_at', table_name='request_event')
