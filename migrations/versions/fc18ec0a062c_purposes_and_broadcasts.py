"""what outbox rows are for, typed; broadcasts as a table of their own

Outbox rows said what they were for in a string (`checkin:<id>`, `broadcast:<key>`); they now say
it with `purpose` (one of `Purpose`) and a typed key beside it: `check_in_id`, `broadcast_id`,
and `about_phone` for the coordinators' notice that a number's requests are held. Each broadcast
becomes a `broadcast` row, rebuilt from its messages as far as they tell (who sent it is not
known for the old ones), and its offer points at that row instead of carrying the key.

Revision ID: fc18ec0a062c
Revises: c5ee37fa9be0
Create Date: 2026-12-03 06:30:00.000000

"""
import re
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from alembic import op

import hotline.models

# revision identifiers, used by Alembic.
revision = 'fc18ec0a062c'
down_revision = 'c5ee37fa9be0'
branch_labels = None
depends_on = None

CHECK_IN, BROADCAST = "checkin:", "broadcast:"  # the old purposes' prefixes
PURPOSES = ('receipt', 'checkin', 'broadcast', 'question', 'crisis', 'language', 'limit')
PHONE = re.compile(r"\+\d{6,15}")

outbox = sa.table(
    'outbox',
    sa.column('id', sa.Integer), sa.column('kind', sa.String), sa.column('to', sa.String),
    sa.column('body', sa.Text), sa.column('lang', sa.String), sa.column('purpose', sa.String),
    sa.column('status', sa.String), sa.column('created_at', hotline.models.UTCDateTime()),
    sa.column('check_in_id', sa.Integer), sa.column('broadcast_id', sa.Integer), sa.column('about_phone', sa.String),
)
broadcast = sa.table(
    'broadcast',
    sa.column('id', sa.Integer), sa.column('key', sa.String), sa.column('sent_by_id', sa.Integer),
    sa.column('buildings', sa.JSON), sa.column('texts', sa.JSON), sa.column('by_sms', sa.Boolean),
    sa.column('by_call', sa.Boolean), sa.column('residents', sa.Integer), sa.column('sms', sa.Integer),
    sa.column('calls', sa.Integer), sa.column('skipped', sa.Integer),
    sa.column('created_at', hotline.models.UTCDateTime()),
)
offer = sa.table(
    'offer', sa.column('id', sa.Integer), sa.column('broadcast_id', sa.String), sa.column('broadcast', sa.Integer),
    sa.column('created_at', hotline.models.UTCDateTime()),
)
request = sa.table('request', sa.column('id', sa.Integer), sa.column('offer_id', sa.Integer))
check_in = sa.table('check_in', sa.column('id', sa.Integer))
resident = sa.table('resident', sa.column('phone', sa.String), sa.column('household_id', sa.Integer))
household = sa.table('household', sa.column('id', sa.Integer), sa.column('building', sa.Integer))


def upgrade():
    op.create_table('broadcast',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=24), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('buildings', sa.JSON(), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('by_sms', sa.Boolean(), nullable=False),
    sa.Column('by_call', sa.Boolean(), nullable=False),
    sa.Column('residents', sa.Integer(), nullable=False),
    sa.Column('sms', sa.Integer(), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('created_at', hotline.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['sent_by_id'], ['user.id'], name=op.f('fk_broadcast_sent_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcast')),
    sa.UniqueConstraint('key', name=op.f('uq_broadcast_key'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('check_in_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('broadcast_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('about_phone', sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_broadcast_id'), ['broadcast_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_check_in_id'), ['check_in_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_check_in_id_check_in'), 'check_in', ['check_in_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_outbox_broadcast_id_broadcast'), 'broadcast', ['broadcast_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('broadcast', sa.Integer(), nullable=True))

    conn = op.get_bind()
    _type_check_in_calls(conn)
    keys = _type_broadcasts(conn)
    _type_limit_notices(conn)
    for key, broadcast_id in keys.items():
        conn.execute(offer.update().where(offer.c.broadcast_id == key).values(broadcast=broadcast_id))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('purpose', existing_type=sa.String(length=24),
                              type_=sa.Enum(*PURPOSES, name='purpose', native_enum=False, length=16),
                              existing_nullable=True)
    with _offers_kept(conn):
        with op.batch_alter_table('offer', schema=None) as batch_op:
            batch_op.drop_constraint('uq_offer_broadcast_id', type_='unique')
            batch_op.drop_column('broadcast_id')
            batch_op.alter_column('broadcast', new_column_name='broadcast_id', existing_type=sa.Integer(), nullable=False)
        with op.batch_alter_table('offer', schema=None) as batch_op:
            batch_op.create_unique_constraint(batch_op.f('uq_offer_broadcast_id'), ['broadcast_id'])
            batch_op.create_foreign_key(batch_op.f('fk_offer_broadcast_id_broadcast'), 'broadcast', ['broadcast_id'], ['id'], ondelete='CASCADE')


def _type_check_in_calls(conn) -> None:
    """`checkin:<id>` -> purpose `checkin` and its check-in (none when it is gone)."""
    existing = set(conn.scalars(sa.select(check_in.c.id)))
    rows = conn.execute(sa.select(outbox.c.id, outbox.c.purpose).where(outbox.c.purpose.like(CHECK_IN + '%'))).all()
    for row_id, purpose in rows:
        number = purpose[len(CHECK_IN):]
        found = int(number) if number.isdigit() and int(number) in existing else None
        conn.execute(outbox.update().where(outbox.c.id == row_id).values(purpose='checkin', check_in_id=found))


def _type_broadcasts(conn) -> dict[str, int]:
    """A `broadcast` row for each key of old messages or offers; its messages point at it. Returns key -> id."""
    purposes = conn.scalars(sa.select(outbox.c.purpose).where(outbox.c.purpose.like(BROADCAST + '%')).distinct())
    keys = {purpose[len(BROADCAST):] for purpose in purposes} | set(conn.scalars(sa.select(offer.c.broadcast_id)))
    made = {}
    for key in sorted(keys):
        rows = conn.execute(
            sa.select(outbox.c.to, outbox.c.kind, outbox.c.lang, outbox.c.body, outbox.c.status, outbox.c.created_at)
            .where(outbox.c.purpose == BROADCAST + key).order_by(outbox.c.id)
        ).all()
        offered = conn.scalar(sa.select(offer.c.created_at).where(offer.c.broadcast_id == key))
        conn.execute(broadcast.insert().values(key=key, **_as_sent(conn, rows, offered)))
        made[key] = conn.scalar(sa.select(broadcast.c.id).where(broadcast.c.key == key))
        conn.execute(outbox.update().where(outbox.c.purpose == BROADCAST + key)
                     .values(purpose='broadcast', broadcast_id=made[key]))
    return made


def _as_sent(conn, rows, offered: datetime | None) -> dict:
    """What a broadcast's messages tell of it: when, to which buildings, its texts, its counts."""
    phones = list(dict.fromkeys(row.to for row in rows))
    skipped = {row.to for row in rows if row.status == 'skipped'}
    sent = [row for row in rows if row.to not in skipped]
    texts = {}
    for row in rows:
        texts.setdefault(row.lang, row.body)
    by_sms = any(row.kind == 'sms' for row in rows)
    both = {row.to for row in rows if row.kind == 'sms'} & {row.to for row in rows if row.kind == 'call'}
    buildings = conn.scalars(
        sa.select(household.c.building).distinct().join(resident, resident.c.household_id == household.c.id)
        .where(resident.c.phone.in_(phones)).order_by(household.c.building)
    ).all() if phones else []
    return {
        "created_at": min(row.created_at for row in rows) if rows else offered,
        "buildings": list(buildings), "texts": texts, "by_sms": by_sms, "by_call": bool(both) or not by_sms,
        "residents": len(phones), "skipped": len(skipped), "sent_by_id": None,
        "sms": sum(row.kind == 'sms' for row in sent), "calls": sum(row.kind == 'call' for row in sent),
    }


def _type_limit_notices(conn) -> None:
    """A notice that a number's requests are held names that number first: it becomes `about_phone`."""
    rows = conn.execute(sa.select(outbox.c.id, outbox.c.body).where(outbox.c.purpose == 'limit')).all()
    for row_id, body in rows:
        found = PHONE.search(body or '')
        if found:
            conn.execute(outbox.update().where(outbox.c.id == row_id).values(about_phone=found.group(0)))


@contextmanager
def _offers_kept(conn):
    """Keep the requests' links to offers while SQLite copies the offer table (dropping the old copy
    sets them to NULL): noted before, written back after."""
    links = conn.execute(sa.select(request.c.id, request.c.offer_id).where(request.c.offer_id.is_not(None))).all()
    yield
    for request_id, offer_id in links:
        conn.execute(request.update().where(request.c.id == request_id).values(offer_id=offer_id))


def downgrade():
    conn = op.get_bind()
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('purpose', existing_type=sa.Enum(*PURPOSES, name='purpose', native_enum=False, length=16),
                              type_=sa.String(length=24), existing_nullable=True)
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sa.String(length=24), nullable=True))
    keys = dict(conn.execute(sa.select(broadcast.c.id, broadcast.c.key)).all())
    offers = sa.table('offer', sa.column('key', sa.String), sa.column('broadcast_id', sa.Integer))
    for broadcast_id, key in keys.items():
        conn.execute(offers.update().where(offers.c.broadcast_id == broadcast_id).values(key=key))
        conn.execute(outbox.update().where(outbox.c.broadcast_id == broadcast_id).values(purpose=BROADCAST + key))
    for row_id, check_in_id in conn.execute(sa.select(outbox.c.id, outbox.c.check_in_id)
                                            .where(outbox.c.purpose == 'checkin')).all():
        conn.execute(outbox.update().where(outbox.c.id == row_id).values(purpose=f'{CHECK_IN}{check_in_id or 0}'))
    with _offers_kept(conn):
        with op.batch_alter_table('offer', schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f('fk_offer_broadcast_id_broadcast'), type_='foreignkey')
            batch_op.drop_constraint(batch_op.f('uq_offer_broadcast_id'), type_='unique')
            batch_op.drop_column('broadcast_id')
            batch_op.alter_column('key', new_column_name='broadcast_id', existing_type=sa.String(length=24), nullable=False)
        with op.batch_alter_table('offer', schema=None) as batch_op:
            batch_op.create_unique_constraint('uq_offer_broadcast_id', ['broadcast_id'])
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_broadcast_id_broadcast'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_outbox_check_in_id_check_in'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_check_in_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_broadcast_id'))
        batch_op.drop_column('about_phone')
        batch_op.drop_column('broadcast_id')
        batch_op.drop_column('check_in_id')
    op.drop_table('broadcast')
