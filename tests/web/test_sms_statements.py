"""What one SMS asks of the database: no statement twice with the same values (the sender's roster
rows, their conversation, a household are each read once), whoever writes and whatever they say."""

from __future__ import annotations

import re
from collections import Counter
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from hotline.extensions import db
from tests.helpers import LI_WEI, TOM, get_request, load_roster

STRANGER = "+8613700003333"


@pytest.fixture(autouse=True)
def compound(app, clock):
    load_roster(app)


@contextmanager
def statements(app):
    """Every statement sent to the database meanwhile, with its values."""
    seen: list[tuple[str, str]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, repr(parameters)))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def asked_twice(seen: list[tuple[str, str]]) -> list[str]:
    return [statement for (statement, _), n in Counter(seen).items() if n > 1]


@pytest.mark.parametrize("sender, body", [
    (STRANGER, "12号楼302室 需要买菜，大米和鸡蛋"),  # a whole request from a new number
    (TOM, "I need food please, rice and eggs"),  # a resident on the roster, their own household
    (STRANGER, "需要买药"),  # half a request: the hotline asks for the address
    (STRANGER, "谢谢"),  # thanks, with nothing asked before
])
def test_one_sms_sends_no_statement_twice(app, phone, sender, body):
    with statements(app) as seen:
        assert phone(sender).text(body)
    assert seen  # the listener saw the SMS's statements
    assert asked_twice(seen) == []


def test_the_answer_that_completes_a_conversation_and_the_volunteers_ok_send_no_statement_twice(app, phone):
    phone(STRANGER).reply("需要买菜")  # asks for the address: a conversation begins
    with statements(app) as seen:
        [created] = phone(STRANGER).text("12号楼302")
    assert "#" in created and asked_twice(seen) == []
    with statements(app) as seen:
        phone(LI_WEI).reply("OK")  # the building's volunteer takes their only request
    assert seen and asked_twice(seen) == []


def test_a_whole_request_from_a_new_number_is_read_in_few_statements_and_written_once(app, phone, database_url):
    """The sender's facts (roster rows, conversation, counts, the answer to the SID, the flat the message names
    and that flat's open request of the kind named) in one statement, the household added in one, the request
    inserted already routed: never updated in the same SMS. Its two messages (the volunteer's alert, the
    answer) are inserted in one statement, and the SMS received in one; PostgreSQL inserts the request's two
    steps in one too (SQLite has no way to return the ids of several rows in their order)."""
    with statements(app) as seen:
        [created] = phone(STRANGER).text("12号楼1702室 需要买菜，大米和鸡蛋")  # a flat no one has named before
    assert "#" in created
    texts = [statement.lstrip().upper() for statement, _ in seen]
    assert not [s for s in texts if s.startswith("UPDATE")]
    selects = [s.split(" FROM ")[0].split(", ")[0] for s in texts if s.startswith("SELECT") and "PG_ADVISORY" not in s]
    # the sender (and the flat named), who is on duty for building 12, and (two of them) their loads
    assert selects == ["SELECT VOLUNTEER.ID", "SELECT VOLUNTEER.ID", "SELECT REQUEST.VOLUNTEER_ID"]
    assert sum(s.startswith("INSERT INTO HOUSEHOLD") for s in texts) == 1
    assert sum(s.startswith("INSERT INTO OUTBOX") for s in texts) == 1
    assert sum(s.startswith("INSERT INTO INBOUND") for s in texts) == 1
    if database_url.startswith("postgresql"):
        assert sum(s.startswith("INSERT INTO REQUEST_EVENT") for s in texts) == 1


def flat_asked_apart(texts: list[str]) -> list[str]:
    """The statements that add a household or read a flat's open request of a kind on their own."""
    return [s for s in texts if s.startswith("INSERT INTO HOUSEHOLD")
            or s.startswith("SELECT REQUEST.ID") and "FROM REQUEST JOIN HOUSEHOLD" in s]


def created_number(answer: str) -> str:
    return re.search(r"#(\d+)", answer).group(1)


def test_a_flat_known_already_is_read_with_the_sender_not_added_again(app, phone):
    """A second need for a flat the hotline knows: the flat and its open request of that kind come with the
    sender's facts; nothing adds the household again or asks for the open request apart. A need of the kind
    already open is still folded into it, and a resident on the roster who names no flat needs theirs read
    no more than once."""
    [first] = phone(STRANGER).text("12号楼1702室 需要买菜，大米和鸡蛋")
    with statements(app) as seen:
        [other_kind] = phone("+8613700004444").text("12号楼1702室 需要买药，降压药")
    texts = [statement.lstrip().upper() for statement, _ in seen]
    assert "#" in other_kind and created_number(other_kind) != created_number(first)
    assert not flat_asked_apart(texts)
    with statements(app) as seen:
        [same_kind] = phone("+8613700005555").text("12号楼1702室 需要买菜 还要牛奶")
    texts = [statement.lstrip().upper() for statement, _ in seen]
    assert f"#{created_number(first)}" in same_kind  # folded into the open request for food
    assert not flat_asked_apart(texts)
    with statements(app) as seen:
        [tom] = phone(TOM).text("I need food please, rice and eggs")
    assert "#" in tom
    assert not [s for s, _ in seen if s.lstrip().upper().startswith("INSERT INTO HOUSEHOLD")]


def test_a_step_added_to_a_request_made_before_does_not_read_its_timeline(app, phone):
    """A volunteer's OK, and a need folded into the request open for its flat and kind, each add steps to a
    request an earlier SMS made: the steps are inserted; its timeline is not read to add them."""
    [made] = phone(STRANGER).text("12号楼1702室 需要买菜，大米和鸡蛋")
    number = created_number(made)
    holder = get_request(app, int(number)).volunteer.phone
    with statements(app) as seen:
        [accepted] = phone(holder).text(f"OK {number}")
    assert f"#{number}" in accepted and timeline_read(seen) == []
    with statements(app) as seen:
        [folded] = phone("+8613700005555").text("12号楼1702室 还要牛奶")
    assert f"#{number}" in folded and timeline_read(seen) == []
    assert [e.kind for e in get_request(app, int(number)).events] == ["created", "assigned", "accepted", "merged_in"]


def timeline_read(seen: list[tuple[str, str]]) -> list[str]:
    return [s for s, _ in seen if s.lstrip().upper().startswith("SELECT") and "FROM REQUEST_EVENT" in s.upper()]
