"""indexes the dashboard reads by at 100,000 requests

Requests by the time they were made (the dashboard's days, from the index alone); the open ones
by age (who waited longest, without walking the closed ones); the requests said never to have
arrived (the few such events, not every event, flag a list's rows); the timeline's steps by time with
what the numbers read of them (a day's or a week's steps from the index alone; it takes the place of
the index on their time alone); and messages by their possible duplicates (the few that have any,
instead of a sum over every message).

Revision ID: e7a2c4f1b9d3
Revises: d3b1e6f0a2c4
Create Date: 2026-12-03 12:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

OPEN_ROWS = "status IN ('new', 'assigned', 'accepted') AND purged_at IS NULL"
REOPENED_ROWS = "kind = 'reopened'"

# revision identifiers, used by Alembic.
revision = 'e7a2c4f1b9d3'
down_revision = 'd3b1e6f0a2c4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_request_created_at', 'request', ['created_at'])
    op.create_index('ix_request_open_created_at', 'request', ['created_at'], postgresql_where=sa.text(OPEN_ROWS),
                    sqlite_where=sa.text(OPEN_ROWS))
    op.create_index('ix_request_event_reopened', 'request_event', ['request_id'],
                    postgresql_where=sa.text(REOPENED_ROWS), sqlite_where=sa.text(REOPENED_ROWS))
    op.create_index('ix_outbox_duplicates', 'outbox', ['duplicates'])
    op.create_index('ix_request_event_at_steps', 'request_event', ['at', 'kind', 'request_id', 'volunteer_id'])
    op.drop_index('ix_request_event_at', table_name='request_event')


def downgrade():
    op.create_index('ix_request_event_at', 'request_event', ['at'])
    op.drop_index('ix_request_event_at_steps', table_name='request_event')
    op.drop_index('ix_outbox_duplicates', table_name='outbox')
    op.drop_index('ix_request_event_reopened', table_name='request_event')
    op.drop_index('ix_request_open_created_at', table_name='request')
    op.drop_index('ix_request_created_at', table_name='request')
