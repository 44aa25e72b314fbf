"""The same MessageSid posted five times at once, to two gunicorn workers: one request."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from hotline.models import Inbound
from tests.reliability.stack import new_sid, scale

pytestmark = [pytest.mark.reliability, pytest.mark.xdist_group("reliability-b")]

COPIES = 5


def test_five_copies_of_one_message_make_one_request(make_stack, database, figures):
    stack = make_stack(database).init()
    stack.start_server()
    rounds = scale(3, 40)
    answers_differ = 0
    slowest = 0.0
    for i in range(rounds):
        phone, sid = f"+86137{i:08d}", new_sid()
        body = f"{i % 36 + 1}号楼{100 + i}室 需要买菜，大米和鸡蛋"
        gate = threading.Barrier(COPIES)
        results: list[tuple[int, str, float]] = []
        lock = threading.Lock()

        def post_once(phone=phone, sid=sid, body=body, gate=gate, results=results, lock=lock):
            gate.wait()
            result = stack.sms(phone, body, sid)
            with lock:
                results.append(result)

        threads = [threading.Thread(target=post_once) for _ in range(COPIES)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        statuses = sorted(r[0] for r in results)
        assert len(results) == COPIES and all(200 <= s < 300 for s in statuses), (statuses, results[:1])
        answers_differ += len({r[1] for r in results}) > 1
        slowest = max(slowest, *(r[2] for r in results))
        mine = [r for r in stack.requests() if r["requester_phone"] == phone]
        assert len(mine) == 1, f"round {i}: {len(mine)} requests for one MessageSid posted {COPIES} times"
        with stack.db() as session:
            assert session.scalar(select(func.count(Inbound.id)).where(Inbound.sid == sid)) == 1
    assert len(stack.requests()) == rounds
    figures(db=database, rounds=rounds, posts=rounds * COPIES, requests=rounds,
            rounds_with_differing_answers=answers_differ, slowest_answer_s=slowest)
