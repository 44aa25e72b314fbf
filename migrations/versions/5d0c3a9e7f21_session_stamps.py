"""users' session stamps (logging out ends every copy of the session)

Revision ID: 5d0c3a9e7f21
Revises: bcbdc37f5438
Create Date: 2026-11-25 10:12:40.518732

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5d0c3a9e7f21'
down_revision = 'bcbdc37f5438'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_stamp', sa.String(length=32), nullable=True))
    # Each user gets a stamp of their own; sessions made before carry none, so everyone logs in once more.
    user = sa.table('user', sa.column('id', sa.Integer), sa.column('session_stamp', sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(user.c.id)).all():
        connection.execute(user.update().where(user.c.id == user_id).values(session_stamp=secrets.token_hex(16)))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('session_stamp', existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_stamp')
