"""typed timeline actors: who made each step is a kind and a volunteer or user, no longer a string

Revision ID: c5ee37fa9be0
Revises: 7f2405e0e996
Create Date: 2026-12-03 06:10:22.257207

Old rows name their actor as `resident`, `system`, `volunteer:3`, `coordinator:3` or `admin:sun`
(a user of the admin page). Each becomes an actor kind with the volunteer's or the user's id (none
when that row is gone). Event kinds and channels keep their values; one this version does not know
(none was ever written) becomes a note that keeps the old kind in its text, so every row reads back.
Who answered a question (`admin:sun`) becomes the user's id likewise.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5ee37fa9be0'
down_revision = '7f2405e0e996'
branch_labels = None
depends_on = None

KINDS = (
    "created", "assigned", "unassigned", "accepted", "delivered", "declined", "timed_out", "handed_on", "cancelled",
    "reopened", "restored", "reminded", "escalated", "note", "status_changed", "marked_urgent", "marked_not_urgent",
    "details_edited", "message_retried", "recording", "joined_offer", "quantity_changed", "check_in_unreached",
    "check_in_help", "nudged", "called_no_answer", "merged", "merged_in",
)
CHANNELS = ("sms", "voice", "admin", "system")

event = sa.table(
    "request_event", sa.column("id", sa.Integer), sa.column("kind", sa.String), sa.column("actor", sa.String),
    sa.column("actor_kind", sa.String), sa.column("actor_volunteer_id", sa.Integer),
    sa.column("actor_user_id", sa.Integer), sa.column("channel", sa.String), sa.column("note", sa.Text),
)
volunteer = sa.table("volunteer", sa.column("id", sa.Integer))
user = sa.table("user", sa.column("id", sa.Integer), sa.column("username", sa.String))
question = sa.table("question", sa.column("answered_by", sa.String), sa.column("answered_by_user_id", sa.Integer))


def typed(actor: str, volunteers: set[int], users: dict[str, int]) -> dict:
    """Read an old actor string as a kind and the id of the volunteer or user it names (if still there)."""
    who, _, ref = actor.partition(":")
    if who == "admin":
        return {"actor_kind": "coordinator", "actor_volunteer_id": None, "actor_user_id": users.get(ref)}
    if who in ("volunteer", "coordinator"):
        number = int(ref) if ref.isdigit() and int(ref) in volunteers else None
        return {"actor_kind": who, "actor_volunteer_id": number, "actor_user_id": None}
    return {"actor_kind": "resident" if who == "resident" else "system", "actor_volunteer_id": None,
            "actor_user_id": None}


def upgrade():
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_kind', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('actor_volunteer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('actor_user_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_request_event_actor_volunteer_id_volunteer'), 'volunteer',
                                    ['actor_volunteer_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_request_event_actor_user_id_user'), 'user',
                                    ['actor_user_id'], ['id'], ondelete='SET NULL')
    connection = op.get_bind()
    volunteers = set(connection.execute(sa.select(volunteer.c.id)).scalars())
    users = {name: number for number, name in connection.execute(sa.select(user.c.id, user.c.username))}
    for (actor,) in connection.execute(sa.select(event.c.actor).distinct()).all():
        connection.execute(event.update().where(event.c.actor == actor).values(**typed(actor, volunteers, users)))
    unknown = connection.execute(sa.select(event.c.id, event.c.kind, event.c.note).where(event.c.kind.not_in(KINDS)))
    for number, kind, note in unknown.all():
        connection.execute(event.update().where(event.c.id == number).values(kind="note", note=f"[{kind}] {note}"))
    connection.execute(event.update().where(event.c.channel.not_in(CHANNELS)).values(channel="system"))
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.alter_column('actor_kind', existing_type=sa.String(length=16), nullable=False)
        batch_op.drop_column('actor')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answered_by_user_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_question_answered_by_user_id_user'), 'user',
                                    ['answered_by_user_id'], ['id'], ondelete='SET NULL')
    for name, number in users.items():
        connection.execute(question.update().where(question.c.answered_by == f"admin:{name}"[:64])
                           .values(answered_by_user_id=number))
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_column('answered_by')


def downgrade():
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor', sa.VARCHAR(length=64), nullable=True))
    connection = op.get_bind()
    users = {number: name for number, name in connection.execute(sa.select(user.c.id, user.c.username))}
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answered_by', sa.String(length=64), nullable=True))
    for number, name in users.items():
        connection.execute(question.update().where(question.c.answered_by_user_id == number)
                           .values(answered_by=f"admin:{name}"[:64]))
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_question_answered_by_user_id_user'), type_='foreignkey')
        batch_op.drop_column('answered_by_user_id')
    rows = connection.execute(sa.select(event.c.actor_kind, event.c.actor_volunteer_id, event.c.actor_user_id)
                              .distinct()).all()
    for kind, volunteer_id, user_id in rows:
        if user_id is not None or (kind == "coordinator" and volunteer_id is None):
            actor = f"admin:{users.get(user_id, '')}"
        else:
            actor = f"{kind}:{volunteer_id}" if volunteer_id is not None else kind
        connection.execute(event.update().where(
            event.c.actor_kind == kind, event.c.actor_volunteer_id.is_not_distinct_from(volunteer_id),
            event.c.actor_user_id.is_not_distinct_from(user_id)).values(actor=actor[:64]))
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.alter_column('actor', existing_type=sa.VARCHAR(length=64), nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_request_event_actor_user_id_user'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_request_event_actor_volunteer_id_volunteer'), type_='foreignkey')
        batch_op.drop_column('actor_user_id')
        batch_op.drop_column('actor_volunteer_id')
        batch_op.drop_column('actor_kind')
