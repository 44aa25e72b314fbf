"""Several SMS from one number at the same moment, to four gunicorn workers: every one is stored,
answered and acted on, and the per-number limits count them all.

The halves of one request (`需要买菜，家里没菜了` and `12号楼 301室`) both start or continue one
conversation; before messages from one sender were taken one at a time, PostgreSQL answered one
half with an empty `<Response/>` and kept nothing of it.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from hotline.models import Inbound, Outbox
from hotline.texts import t
from tests.helpers import postgres_reason
from tests.reliability.stack import COORDINATOR, Stack, new_sid, roster_csv, scale
from tests.reliability.standin import RecordingStandin

pytestmark = [pytest.mark.reliability, pytest.mark.xdist_group("reliability-b")]

WORKERS = 4


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def stack(request):
    """One installation per database for the module, under four gunicorn workers; each test texts
    from numbers of its own."""
    if request.param == "postgres" and (reason := postgres_reason()):
        pytest.skip(reason)
    with RecordingStandin() as twilio:
        installation = Stack(request.param, twilio.url, name="race")
        try:
            yield installation.init(roster_csv()).start_server(workers=WORKERS)
        finally:
            installation.stop()


def at_once(stack, phone: str, bodies: list[str]) -> list[tuple[str, int, str]]:
    """Post `bodies` from `phone` at the same moment; return (sid, status, answer) for each."""
    gate = threading.Barrier(len(bodies))
    results: list[tuple[str, int, str]] = []
    lock = threading.Lock()

    def post_one(body: str) -> None:
        sid = new_sid()
        gate.wait()
        status, answer, _ = stack.sms(phone, body, sid, timeout=30)
        with lock:
            results.append((sid, status, answer))

    threads = [threading.Thread(target=post_one, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == len(bodies), f"{len(bodies) - len(results)} posts never came back"
    return results


def stored(stack, sids: list[str]) -> int:
    with stack.db() as session:
        return session.scalar(select(func.count(Inbound.id)).where(Inbound.sid.in_(sids)))


def test_the_two_halves_of_one_request_at_once_make_it(stack, figures):
    rounds = scale(8, 40)
    for i in range(rounds):
        phone = f"+86136{i:08d}"
        results = at_once(stack, phone, ["需要买菜，家里没菜了", f"{i % 36 + 1}号楼 {301 + i}室"])
        for sid, status, answer in results:
            assert status == 200 and "<Message>" in answer, f"round {i}: SMS {sid} answered {status} {answer!r}"
        assert stored(stack, [sid for sid, _, _ in results]) == 2, f"round {i}: an SMS left no inbound row"
        mine = [r for r in stack.requests() if r["requester_phone"] == phone]
        assert len(mine) == 1, f"round {i}: {len(mine)} requests from the two halves of one"
        assert (mine[0]["building"], mine[0]["room"], mine[0]["category"]) == (i % 36 + 1, str(301 + i), "food")
    figures(db=stack.dialect, rounds=rounds, sms=2 * rounds, requests=rounds)


def test_the_daily_limit_holds_for_requests_sent_at_once(stack, figures):
    phone, sent = "+8613700000015", 15
    results = at_once(stack, phone, [f"{n % 36 + 1}号楼{101 + n}室 需要买菜和鸡蛋" for n in range(sent)])
    assert all(status == 200 and "<Message>" in answer for _, status, answer in results), results
    made = [r for r in stack.requests() if r["requester_phone"] == phone]
    held = sum(t("zh", "sms.limit_requests") in answer for _, _, answer in results)
    with stack.db() as session:
        alerts = session.scalar(select(func.count(Outbox.id)).where(Outbox.purpose == "limit",
                                                                    Outbox.to == COORDINATOR))
    assert (len(made), held, alerts) == (10, sent - 10, 1)
    figures(db=stack.dialect, sent=sent, requests=len(made), held=held, coordinator_alerts=alerts)


def test_the_flood_limit_says_slow_down_once(stack, figures):
    phone, sent = "+8613700000031", 34  # the limit is 30 in ten minutes
    results = at_once(stack, phone, ["谢谢"] * sent)
    slow_down = sum(t("zh", "sms.slow_down") in answer for _, _, answer in results)
    silent = sum("<Message>" not in answer for _, _, answer in results)
    assert all(status == 200 for _, status, _ in results), results
    assert stored(stack, [sid for sid, _, _ in results]) == sent
    assert (slow_down, silent) == (1, sent - 31)
    figures(db=stack.dialect, sent=sent, slow_down_replies=slow_down, unanswered=silent)
