"""Time the residents list and the check-ins page at scale: 432 residents (12 per building), 100,000 requests
made for them over 60 days, an SMS from each of them on some days, and 30 days of check-in calls.

    .venv/bin/python -m bench.residents [--dbs sqlite,postgres] [--requests 100000]

Times, per database, what the pages ask: one page of the residents list unfiltered, filtered by "not heard from
for 3 days" (with when each was last heard from), by flags and a building, the whole filtered list a one-tap
round reads, and a page of check-in calls; the median of 7 runs after one that warms the caches.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from bench.run import after_bulk_insert, fill, say
from tests.helpers import postgres_reason
from tests.reliability.stack import Stack, roster_csv
from tests.reliability.standin import RecordingStandin

PER_BUILDING = 12


def people(stack: Stack, seed: int = 11) -> int:
    """Add residents to the first flats, tie each request of their flat to them, and give them texts and calls."""
    import sqlalchemy as sa

    from hotline.models import CheckIn, CheckInStatus, Household, Inbound, Request, Resident

    rng = random.Random(seed)
    now = datetime.now(UTC)
    with stack.db() as session:
        conn = session.connection()
        homes = conn.execute(sa.select(Household.id, Household.building).order_by(Household.id)).all()
        chosen = [h for b in range(1, 37) for h in [h for h in homes if h.building == b][:PER_BUILDING]]
        residents = [{"id": i + 1, "name": f"住户{i}", "phone": f"+86136{i:08d}", "household_id": h.id,
                      "language": "zh", "elderly": i % 3 == 0, "alone": i % 4 == 0, "mobility": False,
                      "chronic": i % 5 == 0, "no_phone": i % 9 == 0, "prefers_voice": False,
                      "created_at": now - timedelta(days=90), "updated_at": now} for i, h in enumerate(chosen)]
        conn.execute(sa.insert(Resident.__table__), residents)
        for r in residents:
            conn.execute(sa.update(Request).where(Request.household_id == r["household_id"])
                         .values(resident_id=r["id"]))
        inbound, calls = [], []
        for r in residents:
            for day in range(60):
                if rng.random() < 0.3:
                    at = now - timedelta(days=day, minutes=rng.uniform(0, 1440))
                    inbound.append({"sid": f"SM{r['id']:06d}{day:03d}", "kind": "sms", "phone": r["phone"],
                                    "body": "要米", "reply": "", "received_at": at})
            if r["elderly"]:
                for day in range(30):
                    status = rng.choice([CheckInStatus.FINE] * 8 + [CheckInStatus.UNREACHED])
                    at = now - timedelta(days=day)
                    calls.append({"resident_id": r["id"], "day": at.date(), "status": status, "attempts": 1,
                                  "created_at": at, "call_at": at,
                                  "answered_at": at if status == CheckInStatus.FINE else None})
        conn.execute(sa.insert(Inbound.__table__), inbound)
        conn.execute(sa.insert(CheckIn.__table__), calls)
        after_bulk_insert(conn, ("resident", "inbound", "check_in"))
        session.commit()
    return len(residents)


def measure(stack: Stack) -> dict[str, float]:
    """The median milliseconds of what the residents and check-ins pages ask."""
    from hotline.domain import checkins, lists
    from hotline.extensions import db

    parts = {
        "residents page": lambda: lists.ResidentFilter(),
        "not heard from 3 days": lambda: lists.ResidentFilter(silent_days=3),
        "elderly + alone, building 12": lambda: lists.ResidentFilter(flags=("elderly", "alone"), building=12),
    }
    took: dict[str, list[float]] = {}
    with stack.app.app_context():
        for _ in range(8):
            for name, f in parts.items():
                t = time.perf_counter()
                page = lists.paginate(db.session, lists.resident_query(f()), 1)
                [(r.last_heard, r.household.label) for r in page.items]
                took.setdefault(name, []).append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            everyone = list(db.session.scalars(lists.resident_query(lists.ResidentFilter(silent_days=1))))
            took.setdefault("whole list for a round (silent 1 day)", []).append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            page = lists.paginate(db.session, checkins.calls_query(), 1)
            [(c.resident.name, c.resident.household.label) for c in page.items]
            took.setdefault("check-in calls page", []).append((time.perf_counter() - t) * 1000)
            db.session.rollback()
    say(f"    (the round's list held {len(everyone)} residents)")
    return {name: statistics.median(times[1:]) for name, times in took.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="time the residents list and the check-ins page at scale")
    parser.add_argument("--dbs", default="sqlite,postgres")
    parser.add_argument("--requests", type=int, default=100_000)
    args = parser.parse_args(argv)
    databases = [d for d in args.dbs.split(",") if d]
    if "postgres" in databases and (reason := postgres_reason()):
        say(f"PostgreSQL left out: {reason}")
        databases.remove("postgres")
    with RecordingStandin() as standin:
        for database in databases:
            stack = Stack(database, standin.url, name=f"bench-residents-{database}")
            try:
                stack.init(roster_csv())
                fill(stack, args.requests)
                n = people(stack)
                say(f"== {database}: {n} residents, {args.requests:,} requests (median of 7, ms)")
                for name, ms in measure(stack).items():
                    say(f"  {name}: {ms:.1f}")
            finally:
                stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
