"""The worker killed with SIGKILL mid-send, again and again, while Twilio is slow to answer.

Each round starts a worker process, waits until the stand-in holds one of its sends (Twilio is
slow: every answer takes DELAY s), and SIGKILLs it at a random moment around that answer: before
Twilio took the message, just after, or while the next one waits for its slot. Then a last worker
runs until the leases of the dead ones have run out and everything is sent.

Proven: no message is lost (every row ends `sent` and Twilio took every body at least once), the
copies beyond the first are no more than the crashes, and no more than the duplicates the rows
count (`Outbox.duplicates`, also `possible_duplicates` in /api/v1/outbox/stats).

FAST: 3 kills, workers with a 3 s lease (tests/reliability/leased_worker.py: the same command
with hotline.worker.LEASE shortened). FULL: 20 kills of the unmodified `flask --app hotline
worker`, whose 60 s lease the last worker waits out.
"""

from __future__ import annotations

import os
import random
import signal
import time

import pytest

from tests.reliability.stack import scale, wait_until

pytestmark = [pytest.mark.reliability, pytest.mark.xdist_group("reliability-a")]

DELAY = 0.4  # seconds the stand-in takes to answer each send
KILL_RATE = "2"  # segments per second while killing: a claim books about 5 rows (2 s ahead)


def test_sigkill_mid_send_loses_nothing_and_counts_its_copies(make_stack, standin, database, figures):
    kills = scale(3, 20)
    lease = scale(3.0, None)  # None: the real 60 s lease
    seed = int(os.environ.get("HOTLINE_RELIABILITY_SEED") or time.time())
    rng = random.Random(seed)
    stack = make_stack(database, HOTLINE_SEND_RATE=KILL_RATE).init()
    total = kills * 8 + 10
    stack.queue([(f"+86138{i % 50:08d}", f"kill test message {i:04d}") for i in range(total)])
    standin.delay = DELAY

    killed_holding = 0
    for k in range(kills):
        arrived = standin.arrivals
        worker = stack.start_worker(lease_seconds=lease)
        assert standin.wait_arrivals(arrived + 1, timeout=60), f"kill {k}: no send began\n{stack.log_tail()}"
        pause = rng.uniform(0, DELAY * 1.6)
        time.sleep(pause)
        killed_holding += pause < DELAY
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)

    standin.delay = 0.0
    stack.start_worker(lease_seconds=lease, HOTLINE_SEND_RATE="100")
    rows = wait_until(lambda: (rs := stack.outbox()) and all(r["status"] == "sent" for r in rs) and rs,
                      timeout=(lease or 62) + 60, what="every row to be sent after the crashes")

    copies = standin.copies()
    lost = [r["body"] for r in rows if copies[r["body"]] == 0]
    extra = sum(n - 1 for n in copies.values())
    counted = sum(r["duplicates"] for r in rows)
    stats = stack.api("/api/v1/outbox/stats")
    figures(db=database, seed=seed, kills=kills, killed_while_twilio_held_it=killed_holding, rows=len(rows),
            posts=len(standin.posts("Messages")), copies=sum(copies.values()), extra_copies=extra,
            duplicates_counted=counted, lease_s=lease or 60)
    assert not lost, f"{len(lost)} messages never reached Twilio: {lost[:5]}"
    assert set(copies) == {r["body"] for r in rows}
    assert extra <= kills, f"{extra} extra copies after {kills} crashes"
    assert extra <= counted, f"{extra} extra copies but only {counted} counted as possible duplicates"
    assert stats["possible_duplicates"] == counted and stats["backlog"] == 0
    assert all(max(copies[r["body"]] - 1, 0) <= r["duplicates"] for r in rows)
