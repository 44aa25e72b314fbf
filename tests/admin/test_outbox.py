"""The outbox page: every message and call with its status, failures with their reason, and retry."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hotline.domain import outbox
from hotline.extensions import db
from hotline.models import Outbox, OutStatus
from tests.helpers import LI_WEI, get_request, load_roster, numbers_in


@pytest.fixture(autouse=True)
def compound(app, clock):
    load_roster(app)


def fail(app, to: str, error: str = "21211 invalid number", code: int = 21211) -> int:
    with app.app_context():
        row = db.session.scalars(select(Outbox).where(Outbox.to == to).order_by(Outbox.id.desc())).first()
        row.status, row.last_error, row.error_code, row.attempts = OutStatus.FAILED, error, code, 3
        db.session.commit()
        return row.id


def test_the_outbox_lists_messages_with_status_and_failures_with_their_reason(app, coordinator, phone):
    [n] = numbers_in(phone("+8613700001111").reply("12号楼302 要米"))
    failed = fail(app, LI_WEI, "The 'To' number is not a valid phone number.")
    page = coordinator.get("/admin/outbox").get_data(as_text=True)
    row = re.search(rf'<tr data-message="{failed}"[^>]*>(.*?)</tr>', page, re.S).group(1)
    assert "21211" in row and "not a valid phone number" in row and f"#{n}" in row and "/retry" in row
    problems = coordinator.get("/admin/outbox", query_string={"status": "problems"}).get_data(as_text=True)
    assert re.findall(r'data-message="(\d+)"', problems) == [str(failed)]
    replies = coordinator.get("/admin/outbox", query_string={"q": str(n)}).get_data(as_text=True)
    assert len(re.findall(r'data-message="', replies)) == 2  # the alert, and the TwiML reply to the resident


def test_retrying_a_failed_message_queues_it_again_and_notes_it(app, coordinator, phone):
    [n] = numbers_in(phone("+8613700001111").reply("12号楼302 要米"))
    failed = fail(app, LI_WEI)
    response = coordinator.post(f"/admin/outbox/{failed}/retry")
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(Outbox, failed)
        assert (row.status, row.attempts) == (OutStatus.QUEUED, 0)
    assert get_request(app, n).events[-1].kind == "message_retried"


def test_a_number_that_opted_out_is_not_retried(app, coordinator, phone):
    phone("+8613700001111").reply("12号楼302 要米")
    failed = fail(app, LI_WEI, "opted out", 21610)
    with app.app_context():
        outbox.set_opt_out(db.session, LI_WEI, True)
        db.session.commit()
    coordinator.post(f"/admin/outbox/{failed}/retry")
    with app.app_context():
        assert db.session.get(Outbox, failed).status == OutStatus.FAILED


def test_viewers_see_the_outbox_masked_and_cannot_retry(app, viewer, phone):
    phone("+8613700001111").reply("12号楼302 要米")
    failed = fail(app, LI_WEI)
    page = viewer.get("/admin/outbox").get_data(as_text=True)
    assert LI_WEI not in page and LI_WEI[-4:] in page and "/retry" not in page
    assert viewer.post(f"/admin/outbox/{failed}/retry").status_code == 403
