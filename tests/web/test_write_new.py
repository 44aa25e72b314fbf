"""A new request and its timeline written in one statement per table, and left as a flush leaves them."""

from __future__ import annotations

from sqlalchemy import inspect, select

from hotline import clock
from hotline.database import write_new
from hotline.domain import requests, transitions
from hotline.models import Category, Channel, EventKind, Request, RequestEvent, Status, Volunteer
from tests.web.test_insert_added import inserts_of


def new_request(session, **given) -> Request:
    request = Request(category=Category.FOOD, household=requests.household(session, 12, "302"), channel=Channel.SMS,
                      details="rice", **given)
    session.add(request)
    transitions.record(request, EventKind.CREATED, transitions.resident(Channel.SMS), note="rice")
    return request


def test_a_request_and_its_timeline_are_written_once_and_kept_as_written(session):
    request = new_request(session)
    before = clock.now()

    inserts = inserts_of(session, lambda: write_new(session, request, "events"))

    assert inserts.count("INSERT INTO request") == 1
    assert 1 <= inserts.count("INSERT INTO request_event") <= len(request.events)  # one statement where it can
    assert request.id is not None and inspect(request).persistent and not session.new and not session.dirty
    created = request.events[0]
    assert inspect(created).persistent and created.id is not None and created.request_id == request.id
    assert (request.status, request.language, request.urgent, request.paid) == (Status.NEW, "zh", False, False)
    assert request.updated_at >= before  # the columns' defaults, as the database holds them
    assert inserts_of(session, session.flush) == []  # nothing is written twice
    number = request.id
    session.commit()
    session.expunge_all()
    kept = session.get(Request, number)
    assert (kept.details, kept.household.building, kept.household.room) == ("rice", 12, "302")
    assert [(e.kind, e.note, e.request_id) for e in kept.events] == [(EventKind.CREATED, "rice", number)]


def test_what_changes_after_it_is_written_is_written_by_the_next_flush(session):
    request = new_request(session)
    write_new(session, request, "events")
    volunteer = Volunteer(name="Wang", phone="+8613900001111")
    session.add(volunteer)
    session.flush()

    request.volunteer = volunteer
    transitions.change(request, EventKind.ASSIGNED, transitions.HOTLINE, volunteer=volunteer)
    number, volunteer_id = request.id, volunteer.id
    session.commit()

    session.expunge_all()
    kept = session.get(Request, number)
    assert (kept.status, kept.volunteer_id) == (Status.ASSIGNED, volunteer_id)
    assert [e.kind for e in kept.events] == [EventKind.CREATED, EventKind.ASSIGNED]
    assert session.scalar(select(RequestEvent.id).where(RequestEvent.kind == EventKind.CREATED)) == kept.events[0].id


def test_with_other_rows_waiting_it_leaves_all_to_the_flush(session):
    volunteer = Volunteer(name="Li", phone="+8613900002222")
    session.add(volunteer)  # not written yet: the request may refer to it
    request = new_request(session, volunteer=volunteer)

    write_new(session, request, "events")

    assert request.id is not None and volunteer.id is not None and not session.new
    session.commit()
    assert session.scalar(select(Request.volunteer_id).where(Request.id == request.id)) == volunteer.id
    assert session.scalar(select(RequestEvent.request_id)) == request.id


def test_a_rollback_forgets_them_as_it_forgets_what_a_flush_wrote(session):
    request = new_request(session)
    write_new(session, request, "events")
    number, event = request.id, request.events[0]

    session.rollback()

    assert request not in session and event not in session
    assert session.get(Request, number) is None
    again = new_request(session)  # the same number may be given again: nothing stale answers for it
    write_new(session, again, "events")
    session.commit()
    assert session.get(Request, again.id) is again
