"""A slow Twilio API must not hold up inbound webhooks (SPEC "Twilio webhooks": a webhook answers well
within Twilio's 15 s whatever happens downstream; slow work goes to the worker).

The stand-in takes 3 s to answer each send while a worker process sends a few; meanwhile residents
text in through the gunicorn server. Each webhook must answer within 2 s: the worker's wait for
Twilio must not hold the database (on SQLite: its write lock).

FAST: 3 webhooks while 4 sends wait. FULL: 10 webhooks while 12 sends wait.
"""

from __future__ import annotations

import time

import pytest

from tests.reliability.stack import roster_csv, scale

pytestmark = [pytest.mark.reliability, pytest.mark.xdist_group("reliability-a")]


def test_a_slow_twilio_api_does_not_hold_up_inbound_webhooks(make_stack, standin, database, figures):
    standin.delay = 3.0
    stack = make_stack(database).init(roster_csv())
    stack.start_server()
    stack.queue([(f"+8613800139{i:03d}", f"slow twilio {i}") for i in range(scale(4, 12))])
    stack.start_worker()
    assert standin.wait_arrivals(1, timeout=30), stack.log_tail()
    time.sleep(0.5)
    answers = [stack.sms(f"+8613711100{i:03d}", f"{i + 1}号楼302室 需要买菜") for i in range(scale(3, 10))]
    slowest = max(took for _, _, took in answers)
    figures(db=database, twilio_answer_s=standin.delay, webhooks=len(answers),
            statuses=[status for status, _, _ in answers], slowest_webhook_s=slowest)
    assert all(status == 200 for status, _, _ in answers), answers
    assert slowest < 2.0, (f"a webhook took {slowest:.1f} s while the worker waited {standin.delay:g} s for Twilio "
                           "(the worker holds its database transaction across the HTTP call)")
