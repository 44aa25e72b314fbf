"""`make bench`: our webhooks against bare Flask endpoints, and the admin queries at 100,000 requests.

    .venv/bin/python -m bench.run [--step 5] [--dbs sqlite,postgres] [--workers 1,2,3,4] [--requests 100000]
                                  [--parts stages,http,scale,desk] [--count 300] [PART ...]
    .venv/bin/python -m bench.run desk      # the coordinator's desk alone (a few minutes)

For each database (a SQLite file, a fresh database on the machine's PostgreSQL):
1. where the time of one SMS goes (bench/stages.py): SMS taken in-process, by stage, with the SQL
   statements each makes, beside the bare one-row insert;
2. for each number of gunicorn workers: the hotline under `gunicorn -w N` (with one worker process
   sending to a local Twilio stand-in at the default 1 SMS/s) and bench/bare.py under `gunicorn -w N`
   (same database), side by side;
3. a rate ladder per endpoint, open loop from a second process (bench/loadgen.py): at 2 workers a
   bare `GET /`, `POST /insert` (one row), our signed `POST /twilio/sms` (a realistic body, a
   distinct MessageSid, sender and flat each: a whole new request) and our signed `POST /twilio/voice`
   (the first step of a call); at every number of workers the insert and the SMS; a step is HELD when every request got
   a 2xx, p99 < 50 ms, and throughput kept up (>= 95 %); each endpoint climbs until a step is not held;
4. a fresh database bulk-filled with 100,000 requests (and their timelines and messages), in
   which the admin dashboard's queries and escalation sweeps (`requests.run_timers`) are timed;
5. the coordinator's desk in such a database: the dashboard, the part with the last day's numbers
   that it fetches right after itself, and the act-now list as a logged-in coordinator gets them
   (in-process, through the app's test client: views, queries and templates), and their queries
   alone, beside a trivial query (`SELECT 1`) and `/healthz` as references.

Prints the tables and writes them to docs/performance.md; `desk` run alone replaces only its own
section there.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from bench import stages as bench_stages
from tests.helpers import postgres_reason
from tests.reliability.stack import ROOT, Stack, roster_csv, run_loadgen
from tests.reliability.standin import RecordingStandin

RATES = [25, 50, 75, 100, 125, 150, 175, 200, 250, 300, 350, 400, 500, 600, 700, 800, 1000, 1200, 1500, 2000]
P99_LIMIT_MS = 50.0
KEEP_UP = 0.95
DASHBOARD_LIMIT_MS, SWEEP_LIMIT_MS = 200.0, 1000.0
DESK_RUNS = 15  # timed rounds of the desk, after one to warm up
DESK_START, DESK_END = "<!-- desk -->", "<!-- /desk -->"  # its section in docs/performance.md
DASHBOARD, NUMBERS_PART = "GET /admin/ (dashboard)", "GET /admin/numbers/day (its numbers, fetched after)"
WITH_NUMBERS = "dashboard then its numbers"  # a round's two requests added up: until the chart is on the screen
SWEEP_DUE = (0, 100, 500)  # 500: the most one sweep takes (run_timers' LIMIT)
OUT = ROOT / "docs" / "performance.md"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")  # the unit of /proc/PID/stat's CPU times
# name, which server, loadgen kind, path
BARE = ("bare GET /", "bare", "get", "/")
INSERT = ("bare POST /insert (1 row)", "bare", "post", "/insert")
FLOOR = ("bare POST /floor (what an SMS's answer needs)", "bare", "sms", "/floor")  # bench/bare.py says what
SMS = ("our POST /twilio/sms", "hotline", "sms", "/twilio/sms")
VOICE = ("our POST /twilio/voice (1st step)", "hotline", "voice", "/twilio/voice")
ENDPOINTS = [BARE, INSERT, FLOOR, SMS, VOICE]
SIDE_BY_SIDE = [INSERT, FLOOR, SMS]  # the workers' table: each number of workers
series = itertools.count(1)


def say(line: str = "") -> None:
    print(line, flush=True)


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------


def cpu_times(pids: list[int]) -> dict[int, float]:
    """The CPU seconds (user and system) each of `pids` has used so far; processes gone are left out."""
    times = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        times[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime: stat's 14th and 15th
    return times


def serving(master: int, database: str | None) -> list[int]:
    """The processes that serve a request: gunicorn's master `master` and its workers, and, on PostgreSQL,
    the server's backends connected to `database` (their process titles name it)."""
    pids = [master]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == master or (
                database and title.startswith("postgres: ") and f" {database} " in title):
            pids.append(int(entry.name))
    return pids


def run_step(base_url: str, kind: str, path: str, rate: float, seconds: float,
             processes: Callable[[], list[int]] | None = None) -> dict:
    """One step of the ladder; with `processes` (those serving the endpoint), the CPU they used per request
    answered (`cpu_ms`): work the machine did, which waiting for an idle core to wake up does not inflate."""
    before = cpu_times(processes()) if processes else {}
    result = run_loadgen(base_url, kind, rate, seconds, "--path", path, "--series", str(next(series)))
    if processes:
        after = cpu_times(processes())
        used = sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
        result["cpu_ms"] = round(used * 1000 / result["ok"], 3) if result["ok"] else None
    result["held"] = (result["errors"] == 0 and result["p99_ms"] is not None and result["p99_ms"] < P99_LIMIT_MS
                      and result["throughput"] >= KEEP_UP * rate)
    return result


def probe(base_url: str, kind: str, path: str) -> str | None:
    """None when the endpoint answers 2xx to one request; else why not."""
    result = run_step(base_url, kind, path, rate=1, seconds=1)
    if result["ok"] == 1:
        return None
    return f"answers {result['statuses'] or result['error_kinds']}"


def ladder(base_url: str, kind: str, path: str, seconds: float,
           processes: Callable[[], list[int]] | None = None) -> list[dict]:
    """Climb the rates; a step not held is run once more (the machine is shared) before the climb ends."""
    steps = []
    for rate in RATES:
        for attempt in (1, 2):
            load = os.getloadavg()[0]
            result = run_step(base_url, kind, path, rate, seconds, processes)
            result["attempt"], result["loadavg"] = attempt, round(load, 2)
            steps.append(result)
            say(f"    {rate:>5}/s: {result['throughput']:>7.1f}/s done, p50 {result['p50_ms']} ms, "
                f"p99 {result['p99_ms']} ms, errors {result['errors']} {result['error_kinds'] or ''}"
                f"(load {load:.2f}){'' if result['held'] else '  <- not held'}")
            time.sleep(1 if result["held"] else 3)
            if result["held"]:
                break
        if not result["held"]:
            break
    return steps


def http_bench(database: str, standin: RecordingStandin, seconds: float, workers: int = 2,
               endpoints: list[tuple[str, str, str, str]] = ENDPOINTS) -> dict:
    """Ladder `endpoints` with the hotline and the bare app each under `gunicorn -w WORKERS`."""
    stack = Stack(database, standin.url, name=f"bench-{database}", HOTLINE_SEND_RATE="1",
                  HOTLINE_RETRY_DELAYS="300,900")
    try:
        stack.init(roster_csv())
        from bench.bare import create_table

        create_table(stack.database_url)
        stack.start_server(workers=workers)
        stack.start_worker()
        bare_url = stack.start_app("bare", "bench.bare:app", workers=workers)
        masters = {"hotline": stack.server.pid, "bare": [proc for name, proc in stack.procs if name == "bare"][-1].pid}
        url = make_url(stack.database_url)
        database_name = url.database if url.get_backend_name() == "postgresql" else None
        results = {}
        for name, server, kind, path in endpoints:
            base = bare_url if server == "bare" else stack.url
            say(f"  {database}, {workers} worker(s): {name}")
            missing = probe(base, kind, path)
            if missing:
                say(f"    MISSING: {path} {missing}")
                results[name] = {"missing": missing, "steps": []}
                continue
            processes = functools.partial(serving, masters[server], database_name)
            results[name] = {"missing": None, "steps": ladder(base, kind, path, seconds, processes)}
        return results
    finally:
        stack.stop()


def held(entry: dict) -> dict | None:
    """The highest step held, or None."""
    good = [s for s in entry["steps"] if s["held"]]
    return good[-1] if good else None


# --------------------------------------------------------------------------------------------
# 100,000 requests
# --------------------------------------------------------------------------------------------


def fill(stack: Stack, total: int, seed: int = 7) -> dict:
    """Bulk-insert `total` requests (with timelines and one sent alert each) over the last 60 days; on PostgreSQL,
    vacuum them as autovacuum would have."""
    import sqlalchemy as sa

    from hotline.models import (
        Category,
        Channel,
        Household,
        Lane,
        Outbox,
        OutStatus,
        Request,
        RequestEvent,
        Status,
        VolunteerBuilding,
    )

    rng = random.Random(seed)
    now = datetime.now(UTC)
    with stack.db() as session:
        by_building = dict(session.execute(sa.select(VolunteerBuilding.building, VolunteerBuilding.volunteer_id)).all())
        conn = session.connection()
        homes = [{"id": i + 1, "building": b, "room": f"{r // 4 + 1}{r % 4 + 1:02d}", "created_at": now}
                 for i, (b, r) in enumerate(itertools.product(range(1, 37), range(60)))]
        conn.execute(sa.insert(Household.__table__), homes)
        statuses = [Status.DELIVERED] * 930 + [Status.CANCELLED] * 30 + [Status.ACCEPTED] * 15 + \
            [Status.ASSIGNED] * 20 + [Status.NEW] * 5
        counts = {s: 0 for s in Status}
        for start in range(0, total, 10_000):
            reqs, events, outbox = [], [], []
            for n in range(start + 1, min(start + 10_000, total) + 1):
                home = homes[rng.randrange(len(homes))]
                status = rng.choice(statuses)
                counts[status] += 1
                is_open = status in (Status.NEW, Status.ASSIGNED, Status.ACCEPTED)
                created = now - timedelta(seconds=rng.uniform(60, 2 * 86400 if is_open else 60 * 86400))
                volunteer = by_building.get(home["building"]) if status != Status.NEW else None
                row = {"id": n, "category": rng.choice(list(Category)), "urgent": rng.random() < 0.05,
                       "emergency": False, "household_id": home["id"], "requester_phone": f"+86137{n:08d}",
                       "details": "需要买菜，大米和鸡蛋", "language": "zh", "channel": Channel.SMS, "status": status,
                       "volunteer_id": volunteer, "created_at": created, "updated_at": created,
                       "assigned_at": None, "accepted_at": None, "delivered_at": None, "closed_at": None,
                       "escalate_at": None}
                kinds = [("created", created)]
                if volunteer:
                    row["assigned_at"] = created + timedelta(seconds=1)
                    kinds.append(("assigned", row["assigned_at"]))
                if status in (Status.ACCEPTED, Status.DELIVERED):
                    row["accepted_at"] = created + timedelta(minutes=rng.uniform(1, 14))
                    kinds.append(("accepted", row["accepted_at"]))
                if status == Status.DELIVERED:
                    row["delivered_at"] = row["closed_at"] = row["accepted_at"] + timedelta(hours=rng.uniform(0.2, 5))
                    kinds.append(("delivered", row["delivered_at"]))
                if status == Status.CANCELLED:
                    row["closed_at"] = created + timedelta(minutes=30)
                    kinds.append(("cancelled", row["closed_at"]))
                if status == Status.ASSIGNED:  # timers not yet due; a sweep makes some due first
                    row["escalate_at"] = now + timedelta(minutes=rng.uniform(5, 15))
                if status == Status.ACCEPTED:
                    row["escalate_at"] = now + timedelta(hours=rng.uniform(1, 6))
                reqs.append(row)
                events += [{"request_id": n, "at": at, "kind": kind, "actor_kind": "system", "channel": "sms",
                            "volunteer_id": volunteer if kind != "created" else None, "note": ""}
                           for kind, at in kinds]
                if volunteer:
                    outbox.append({"kind": "sms", "to": f"+86139500{home['building']:05d}", "body": f"#{n} 需要买菜",
                                   "lang": "zh", "lane": Lane.NORMAL, "status": OutStatus.SENT, "request_id": n,
                                   "segments": 1, "attempts": 1, "next_attempt_at": created, "duplicates": 0,
                                   "created_at": created, "sent_at": created, "delivery_status": "delivered"})
            conn.execute(sa.insert(Request.__table__), reqs)
            conn.execute(sa.insert(RequestEvent.__table__), events)
            conn.execute(sa.insert(Outbox.__table__), outbox)
        after_bulk_insert(conn, ("household", "request"))
        session.commit()
    if stack.dialect == "postgresql":  # as autovacuum leaves a database that grew over 60 days: pages marked
        with stack.app.app_context():  # all-visible, so a count can be read from an index alone
            from hotline.extensions import db

            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
    return {s.value: c for s, c in counts.items()}


def after_bulk_insert(conn, tables: tuple[str, ...]) -> None:
    """On PostgreSQL, move the id sequences of `tables` past the rows inserted with their ids, and let the
    planner know the new sizes (ANALYZE); SQLite needs neither."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    conn.exec_driver_sql("ANALYZE")


def dashboard_page(session, policy, now) -> dict[str, float]:
    """Run the queries admin/views/dashboard.py makes for the page (its numbers come after, on their own); return
    the milliseconds each took."""
    from hotline.domain import act_now, outbox
    from hotline.domain import dashboard as q

    parts = {
        "per_day": lambda: q.per_day(session, policy.timezone, now, 14),
        "oldest_waiting": lambda: q.oldest_waiting(session),
        "counts_and_grid": lambda: q.overview(session, policy, now),
        "outbox_stats": lambda: outbox.stats(session, policy.send_rate),
        "live_stamp": lambda: q.live_stamp(session),
        "act_now": lambda: act_now.act_now(session, policy, now),
    }
    took = {}
    for name, part in parts.items():
        t = time.perf_counter()
        part()
        took[name] = (time.perf_counter() - t) * 1000
    return took


def scale_bench(database: str, standin: RecordingStandin, total: int) -> dict:
    import sqlalchemy as sa

    from hotline import clock
    from hotline.domain import requests as lifecycle
    from hotline.domain.policy import Policy
    from hotline.extensions import db
    from hotline.models import Request, Status

    stack = Stack(database, standin.url, name=f"bench-scale-{database}")
    try:
        stack.init(roster_csv())
        started = time.perf_counter()
        counts = fill(stack, total)
        fill_s = time.perf_counter() - started
        say(f"  {database}: {total:,} requests inserted in {fill_s:.1f} s ({counts})")
        out = {"fill_s": fill_s, "counts": counts}
        policy = Policy.from_config(stack.app.config)
        times, parts = [], []
        with stack.app.app_context():
            for _ in range(8):
                t = time.perf_counter()
                parts.append(dashboard_page(db.session, policy, clock.now()))
                db.session.rollback()
                times.append((time.perf_counter() - t) * 1000)
        times, parts = times[1:], parts[1:]  # the first one warms the caches
        out["dashboard"] = {"median_ms": statistics.median(times), "max_ms": max(times), "runs": len(times),
                            "parts": {k: statistics.median(p[k] for p in parts) for k in parts[0]}}
        say(f"  {database}: dashboard queries median {out['dashboard']['median_ms']:.1f} ms, "
            f"max {out['dashboard']['max_ms']:.1f} ms ("
            + ", ".join(f"{k} {v:.1f}" for k, v in out["dashboard"]["parts"].items()) + ")")
        sweeps = {}
        with stack.app.app_context():
            for due in SWEEP_DUE:
                now = clock.now()
                ids = db.session.scalars(sa.select(Request.id).where(Request.status == Status.ASSIGNED,
                                                                     Request.escalate_at > now)
                                         .order_by(Request.id).limit(due)).all()
                if ids:
                    db.session.execute(sa.update(Request).where(Request.id.in_(ids))
                                       .values(escalate_at=now - timedelta(minutes=1)))
                db.session.commit()
                t = time.perf_counter()
                moved = lifecycle.run_timers(db.session, policy)
                db.session.commit()
                sweeps[due] = {"ms": (time.perf_counter() - t) * 1000, "moved": moved}
                say(f"  {database}: sweep with {due} due: {sweeps[due]['ms']:.1f} ms ({moved} moved)")
        out["sweeps"] = sweeps
        return out
    finally:
        stack.stop()


def desk_bench(database: str, standin: RecordingStandin, total: int, runs: int = DESK_RUNS) -> dict:
    """Time the desk at `total` requests: each measure in turn, `runs` rounds after one to warm up; medians."""
    import sqlalchemy as sa

    from hotline import clock
    from hotline.domain import act_now, numbers
    from hotline.domain.policy import Policy
    from hotline.extensions import db
    from tests.admin.actions import AdminActions, add_users

    stack = Stack(database, standin.url, name=f"bench-desk-{database}")
    try:
        stack.init(roster_csv())
        started = time.perf_counter()
        counts = fill(stack, total)
        say(f"  {database}: {total:,} requests inserted in {time.perf_counter() - started:.1f} s ({counts})")
        add_users(stack.app)
        coordinator = AdminActions(stack.app.test_client())
        assert coordinator.login("sun").status_code == 302, "the bench's coordinator could not log in"
        policy = Policy.from_config(stack.app.config)

        def get(path: str):
            def run():
                response = coordinator.get(path)
                assert response.status_code == 200, f"{path} answered {response.status_code}"
            return run

        def query(work):
            def run():
                with stack.app.app_context():
                    work(db.session)
                    db.session.rollback()
            return run

        parts: list[dict[str, float]] = []
        measures = {
            "trivial query (SELECT 1)": query(lambda session: session.execute(sa.text("SELECT 1")).one()),
            "GET /healthz": get("/healthz"),
            "dashboard queries": query(lambda session: parts.append(dashboard_page(session, policy, clock.now()))),
            "act-now query": query(lambda session: act_now.act_now(session, policy, clock.now())),
            "numbers query (last day)": query(lambda session: numbers.numbers(
                session, policy, clock.now(), numbers.WINDOWS["day"], volunteers=False)),
            "GET /admin/ (dashboard)": get("/admin/"),
            NUMBERS_PART: get("/admin/numbers/day"),  # what the dashboard fetches right after itself
            "GET /admin/act-now": get("/admin/act-now"),
        }
        took: dict[str, list[float]] = {name: [] for name in measures}
        for _round in range(runs + 1):
            for name, run in measures.items():
                t = time.perf_counter()
                run()
                took[name].append((time.perf_counter() - t) * 1000)
        took[WITH_NUMBERS] = [a + b for a, b in zip(took[DASHBOARD], took[NUMBERS_PART], strict=True)]
        out = {name: {"median_ms": statistics.median(times[1:]), "max_ms": max(times[1:])}
               for name, times in took.items()}
        by_part = {k: statistics.median(p[k] for p in parts[1:]) for k in parts[0]}
        say(f"  {database}: " + ", ".join(f"{name} {m['median_ms']:.1f} ms" for name, m in out.items()))
        say(f"  {database}: dashboard queries, median per query: "
            + ", ".join(f"{k} {v:.1f} ms" for k, v in by_part.items()))
        return {"counts": counts, "runs": runs, "measures": out, "parts": by_part, "load": os.getloadavg()[0]}
    finally:
        stack.stop()


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def fmt(value, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def stage_section(stages: dict) -> list[str]:
    """Where the time of one SMS goes (bench/stages.py), in-process."""
    if not stages:
        return []
    return ["", "## Where the time of one SMS goes", "",
            f"bench/stages.py: {next(iter(stages.values()))['count']} distinct signed SMS from new numbers "
            "(`12号楼302室 需要买菜…`), taken in-process through the WSGI app (no HTTP server), after "
            f"{bench_stages.WARM_UP} to warm up; median milliseconds per SMS in each stage, each instant counted "
            "once, in the innermost stage running (signature: X-Twilio-Signature; reading: the number and the "
            "words; database reads: SELECTs and the ORM around them; database writes: BEGIN, locks, INSERT, "
            "UPDATE, COMMIT, the ORM's flush and the writes that stand in for it (database.write_new, "
            "insert_added); reply rendering: catalog sentences and TwiML; other: Flask and "
            "the use case's own code). The one-row insert is bench/bare.py's, through its own test client in "
            "the same process. Wall-clock times grow with the machine's load (its load average is given); the "
            "CPU of this process and the statements do not; the stages' medians need not add up to the median "
            "total.", "",
            *bench_stages.table(stages)]


def first_not_held(entry: dict, none: str) -> str:
    """The step the ladder ended on, not held (rate, p99, errors, throughput); `none` when it ended held."""
    failed = entry["steps"][-1] if entry["steps"] and not entry["steps"][-1]["held"] else None
    if failed is None:
        return none
    return (f"{failed['offered_rate']:g}/s: p99 {fmt(failed['p99_ms'])} ms, {failed['errors']} errors, "
            f"{failed['throughput']:.0f}/s")


def first_service(entry: dict) -> float | None:
    """The median service time at the ladder's first rate, the better of its attempts (a process's
    first request may have waited for the machine)."""
    first = [s["service_p50_ms"] for s in entry["steps"] if s["offered_rate"] == RATES[0] and s["service_p50_ms"]]
    return min(first) if first else None


def cpu_by_rate(entry: dict) -> dict[float, float]:
    """The CPU per request answered (ms) at each rate the ladder held."""
    return {s["offered_rate"]: s["cpu_ms"] for s in entry["steps"] if s["held"] and s.get("cpu_ms")}


def cpu_side_by_side(ours: dict, insert: dict, *others: dict) -> tuple[float, float, float, float] | None:
    """The CPU per request (ms) of `ours` and the insert at the highest rate both held (and every one of `others`:
    the endpoints compared with the insert in the same table), that rate, and the median over those rates of ours
    against the insert's at the same rate (a core runs slower when it idles between requests: at a low rate each
    request takes more of its time); None when no rate was held by all."""
    theirs, mine = cpu_by_rate(insert), cpu_by_rate(ours)
    common = sorted(set(theirs).intersection(mine, *map(cpu_by_rate, others)))
    if not common:
        return None
    top = common[-1]
    return mine[top], theirs[top], top, statistics.median(mine[rate] / theirs[rate] for rate in common)


def worker_section(ladders: dict, verdicts: list[str], stages: dict | None = None) -> list[str]:
    """`/twilio/sms`, the floor and the one-row insert under 1, 2, … gunicorn workers, side by side; adds the
    verdicts. The work and CPU verdicts say what an SMS that did nothing but what its answer needs whatever the
    design would cost: the floor's ratios where it was measured (bench/bare.py's `/floor`), else, with the stages
    measured, the in-process time of bench.stages.ANSWER added to the insert's."""
    if not ladders:
        return []
    lines = ["", "## Workers: `/twilio/sms` against the one-row insert", "",
             "Each row is one run of the three ladders with the hotline and bench/bare.py each under `gunicorn -w N` "
             "(and the hotline's worker process). *Floor* is bench/bare.py's `POST /floor`: the least an SMS's "
             "answer needs as the contract asks it, whatever the design (the signature checked, the words read "
             "by the hotline's reader, one row inserted for the request and its number, the reply rendered as "
             "TwiML in the sender's language), the same SMS as the hotline's. *Work* is the median service time at "
             "the first rate (25 req/s: no queue; the better of its attempts), against the insert's; it includes "
             "the load generator's side of each request and an idle core's wake-up, the same for all. *CPU* is "
             "what the processes serving the endpoint used per request answered (gunicorn's master and workers, "
             "from /proc; on PostgreSQL also the server's backends connected to the bench's database; not the "
             "hotline's worker process nor the load generator), shown at the highest rate all three held; its ratio "
             "is the median, over the rates all three held, of the endpoint's against the insert's at the same rate "
             "(an idle core slows down, so a request at a low rate takes more CPU time). On SQLite, a transaction "
             "that may write waits for its turn "
             "on a lock file beside the database (hotline.database.WriteLock, handed on within a millisecond) "
             "instead of in SQLite's busy handler, which sleeps in growing steps of up to 100 ms: more workers "
             "share one writer, so they add what happens outside the transaction (HTTP, Flask, the signature, "
             "reading the words) and never take away. On PostgreSQL an SMS holds only its own sender.", "",
             "| database | workers | insert held (req/s) | floor held (req/s) | SMS held (req/s) | SMS p99 there (ms) "
             "| SMS first step not held | SMS / insert rate | SMS against 1 worker | work: SMS / floor / insert (ms) "
             "| work ratio: SMS, floor | CPU: SMS / floor / insert (ms) | CPU ratio: SMS, floor |",
             "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for database, runs in ladders.items():
        alone = None
        for workers, results in sorted(runs.items()):
            insert, sms, floor = results[INSERT[0]], results[SMS[0]], results.get(FLOOR[0])
            floor = floor if floor and not floor["missing"] else None  # a floor that did not answer is not measured
            insert_rate, sms_rate, floor_rate = (
                (held(entry) or {}).get("offered_rate", 0) if entry else 0 for entry in (insert, sms, floor))
            sms_top = held(sms)
            alone = sms_rate if workers == 1 else alone
            failing = first_not_held(sms, "none")
            base = first_service(insert)
            work = {name: first_service(entry) if entry else None for name, entry in (("sms", sms), ("floor", floor))}
            work_ratio = {name: ms / base if ms and base else None for name, ms in work.items()}
            both = (sms, floor) if floor else (sms,)  # the SMS and the floor at the same rates, where both were held
            cpu = {"sms": cpu_side_by_side(sms, insert, *both),
                   "floor": floor and cpu_side_by_side(floor, insert, *both)}
            cpu_ratio = {name: found[3] if found else None for name, found in cpu.items()}
            cpu_shown = (f"{cpu['sms'][0]:.2f} / {fmt(cpu['floor'] and cpu['floor'][0], 2)} / {cpu['sms'][1]:.2f} at "
                         f"{cpu['sms'][2]:g}/s" if cpu["sms"] else "-")
            floor_held = f"{floor_rate:g}" if floor else "-"
            lines.append(f"| {database} | {workers} | {insert_rate:g} | {floor_held} | {sms_rate:g} | "
                         f"{fmt(sms_top and sms_top['p99_ms'])} | {failing} | "
                         f"{sms_rate / insert_rate if insert_rate else 0:.2f} | "
                         f"{f'{sms_rate / alone:.2f}' if alone else '-'} | "
                         f"{fmt(work['sms'])} / {fmt(work['floor'])} / {fmt(base)} | "
                         f"{fmt(work_ratio['sms'], 2)}, {fmt(work_ratio['floor'], 2)} | {cpu_shown} | "
                         f"{fmt(cpu_ratio['sms'], 2)}, {fmt(cpu_ratio['floor'], 2)} |")
            if workers == 1 and work_ratio["sms"] is not None:
                answer = (stages or {}).get(database, {}).get("answer_ms")
                least = (f" (an SMS that did only what its answer needs, measured side by side: "
                         f"{work_ratio['floor']:.2f}x)" if work_ratio["floor"] is not None else
                         f" (an SMS that did only what its answer needs, {answer:.2f} ms in-process, and the insert's "
                         f"one row would be {(base + answer) / base:.2f}x)" if answer else "")
                verdicts.append(f"- {database}, 1 worker: the work of an SMS is {work_ratio['sms']:.2f}x the one-row "
                                f"insert's, target <= 2: **{'MET' if work_ratio['sms'] <= 2 else 'MISSED'}**{least}")
            if workers == 1 and cpu_ratio["sms"] is not None:
                least = (f" (an SMS that did only what its answer needs, measured side by side: "
                         f"{cpu_ratio['floor']:.2f}x)" if cpu_ratio["floor"] is not None else "")
                verdicts.append(f"- {database}, 1 worker: the CPU of an SMS is {cpu_ratio['sms']:.2f}x the one-row "
                                f"insert's, target <= 2: **{'MET' if cpu_ratio['sms'] <= 2 else 'MISSED'}**{least}")
            if database == "sqlite" and workers > 1 and alone is not None:
                verdict = "NOT MEASURED (one worker held no step)" if not alone else \
                    "MET" if sms_rate >= alone else "MISSED"
                verdicts.append(f"- sqlite, {workers} workers: `/twilio/sms` holds {sms_rate:g} req/s against "
                                f"{alone:g} with one worker, target: never less: **{verdict}**")
            if database == "sqlite" and workers == 3:
                verdicts.append(f"- sqlite, 3 workers: `/twilio/sms` holds {sms_rate:g} req/s with p99 < "
                                f"{P99_LIMIT_MS:g} ms, target >= 100: **{'MET' if sms_rate >= 100 else 'MISSED'}**")
            if database == "postgres" and workers == 4:
                met = bool(insert_rate) and sms_rate >= insert_rate / 2
                least = f" (the floor holds {floor_rate:g})" if floor else ""
                verdicts.append(f"- postgres, 4 workers: `/twilio/sms` holds {sms_rate:g} req/s against "
                                f"{insert_rate:g} for the insert, target >= half: **{'MET' if met else 'MISSED'}**"
                                f"{least}")
    return lines


def desk_section(desk: dict, requests: int) -> tuple[list[str], list[str]]:
    """The desk's table and its verdicts, between the markers that let `desk` alone replace it."""
    from hotline.domain import act_now

    if not desk:
        return [], []
    names = list(next(iter(desk.values()))["measures"])
    lines = [DESK_START, "", f"## The coordinator's desk at {requests:,} requests", "",
             f"`python -m bench.run desk` (bench/run.py, desk_bench), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: a fresh "
             f"database bulk-filled with {requests:,} requests over 60 days (with their timelines and messages), "
             "then, in turn and in-process, a trivial query and `/healthz` as references, the queries of the "
             "dashboard, of the act-now list alone (its "
             f"{act_now.SHOWN} most urgent items and the count of all) and of the last day's numbers per building, "
             "and, as a logged-in coordinator gets them through the app's test client (view, queries and template, "
             "no HTTP server), the dashboard, the part with its numbers that its script fetches right after it "
             "(chart and table: they are counted from the day's timelines), and the act-now list; *dashboard then "
             "its numbers* adds up each round's two requests, the time until the chart is on the screen. "
             f"Median and max of {next(iter(desk.values()))['runs']} rounds after one to warm up, in milliseconds; "
             "the 1-minute load average at the end of each database's run is given (the 2 cores are shared).", "",
             "| database | " + " | ".join(names) + " | load avg |",
             "|---|" + "---:|" * (len(names) + 1)]
    verdicts, part_lines = [], []
    for database, d in desk.items():
        cells = [f"{fmt(d['measures'][n]['median_ms'])} (max {fmt(d['measures'][n]['max_ms'])})" for n in names]
        lines.append(f"| {database} | " + " | ".join(cells) + f" | {d['load']:.2f} |")
        part_lines.append(f"- {database}: " + ", ".join(f"{k} {v:.1f} ms" for k, v in d.get("parts", {}).items()))
        for name in (DASHBOARD, "GET /admin/act-now"):
            median = d["measures"][name]["median_ms"]
            verdicts.append(f"- {database}: `{name}` {fmt(median)} ms median at {requests:,} requests, target < "
                            f"{DASHBOARD_LIMIT_MS:g} ms: **{'MET' if median < DASHBOARD_LIMIT_MS else 'MISSED'}**")
        verdicts.append(f"- {database}: its numbers follow in {fmt(d['measures'][NUMBERS_PART]['median_ms'])} ms "
                        f"(`{NUMBERS_PART}`); the dashboard then its numbers: "
                        f"{fmt(d['measures'][WITH_NUMBERS]['median_ms'])} ms median")
    lines += ["", "The dashboard's queries, median per query:", "", *part_lines]
    return [*lines, "", *verdicts, "", DESK_END], verdicts


def write_desk_section(path: Path, section: list[str]) -> None:
    """Put the desk's section into the report at `path` in place of the one there (or at its end)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    block = "\n".join(section)
    if DESK_START in text and DESK_END in text:
        head, rest = text.split(DESK_START, 1)
        text = head + block + rest.split(DESK_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def report(http: dict, scale: dict, args, started: float, ladders: dict | None = None,
           stages: dict | None = None, desk: dict | None = None) -> str:
    lines = [
        "# Performance",
        "",
        f"Written by `make bench` (bench/run.py) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, on this machine: "
        f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; the run took {(time.time() - started) / 60:.1f} min; 1-minute "
        f"load average {args.load_at_start:.2f} at its start, {os.getloadavg()[0]:.2f} at its end (other work shares "
        "this machine).",
        "",
        "Each endpoint runs under gunicorn (sync workers: `-w 2` for the first table, 1 to 4 in the workers' table),",
        "on a SQLite file (WAL) and on the local PostgreSQL. The load comes from a second process on the same",
        "machine (bench/loadgen.py): open loop,",
        f"one new connection per request, {args.step:g} s per step, latency measured from the moment each request",
        f"was scheduled. A step is **held** when every request got a 2xx, p99 < {P99_LIMIT_MS:g} ms and the",
        f"throughput kept up with the offered rate (>= {KEEP_UP:.0%}); the ladder "
        f"({', '.join(map(str, RATES))} req/s) stops at the first step that is not held twice in a row (a step",
        "that fails is run once more: the machine is shared, and the 1-minute load average before each step is",
        "in the last table).",
        "Each SMS is a whole request from a new number for a flat no earlier step named (`N号楼M室 需要…`), so",
        "each files a request of its own; runs before 2026-12-05 named the same flats at every step, and past the",
        "first step most of their SMS were folded into the request open for the flat, a dearer path (about 1.5x",
        "the statements).",
        "The hotline's worker runs during the test (sending to a local Twilio stand-in at 1 SMS/s). Because the",
        "load generator shares the 2 cores with the servers, the ratios matter more than the absolute rates.",
        "",
        "## Webhooks against bare endpoints",
        "",
        "| database | endpoint | rate held (req/s) | throughput (req/s) | p50 (ms) | p99 (ms) | errors | "
        "first step not held | ratio to insert | ratio to bare |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    verdicts = []
    for database, results in http.items():
        base = {key: (held(results[name]) or {}).get("offered_rate", 0) for key, name in
                (("bare", BARE[0]), ("insert", INSERT[0]))}
        for name, *_ in ENDPOINTS:
            entry = results[name]
            if entry["missing"]:
                lines.append(f"| {database} | {name} | MISSING: {entry['missing']} | | | | | | | |")
                continue
            top = held(entry)
            rate = top["offered_rate"] if top else 0
            failing = first_not_held(entry, "none (top of the ladder)")
            ratio = [f"{rate / base[k]:.2f}" if base[k] else "-" for k in ("insert", "bare")]
            lines.append(f"| {database} | {name} | {rate:g} | {fmt(top and top['throughput'])} | "
                         f"{fmt(top and top['p50_ms'])} | {fmt(top and top['p99_ms'])} | "
                         f"{top['errors'] if top else '-'} | {failing} | {ratio[0]} | {ratio[1]} |")
        sms = held(results[SMS[0]])
        sms_rate = sms["offered_rate"] if sms else 0
        met = bool(base["insert"]) and sms_rate >= base["insert"] / 2
        verdicts.append(f"- {database}: `/twilio/sms` holds {sms_rate:g} req/s (no errors, p99 "
                        f"{fmt(sms and sms['p99_ms'])} ms) against {base['insert']:g} req/s for the one-row insert: "
                        f"ratio {sms_rate / base['insert'] if base['insert'] else 0:.2f}, target >= 0.50: "
                        f"**{'MET' if met else 'MISSED'}**")
    lines += stage_section(stages or {})
    lines += worker_section(ladders or {}, verdicts, stages)
    lines += ["", f"## Admin dashboard and escalation sweep at {args.requests:,} requests", "",
              "The dashboard figure times the queries admin/views/dashboard.py makes for the page (per_day, "
              "oldest_waiting, counts, building_grid, the outbox stats, live_stamp), without rendering; median of 7 "
              "after one warm-up. Each sweep is one `requests.run_timers` call plus its commit, with that many "
              "requests' timers due (500 is the most one sweep takes).", "",
              "| database | requests | bulk insert (s) | dashboard median (ms) | dashboard max (ms) | "
              + " | ".join(f"sweep, {d} due (ms)" for d in SWEEP_DUE) + " |",
              "|---|---:|---:|---:|---:|" + "---:|" * len(SWEEP_DUE)]
    part_lines = []
    for database, s in scale.items():
        dash = s["dashboard"]
        cells = [fmt(dash["median_ms"]), fmt(dash["max_ms"])]
        sweeps = [f"{fmt(s['sweeps'][d]['ms'])} ({s['sweeps'][d]['moved']} moved)" for d in SWEEP_DUE]
        lines.append(f"| {database} | {args.requests:,} | {s['fill_s']:.1f} | {' | '.join(cells)} | "
                     f"{' | '.join(sweeps)} |")
        part_lines.append(f"- {database}: " + ", ".join(f"{k} {v:.1f} ms" for k, v in dash["parts"].items()))
        verdicts.append(f"- {database}: dashboard {fmt(dash['median_ms'])} ms median, {fmt(dash['max_ms'])} ms "
                        f"max, target < {DASHBOARD_LIMIT_MS:g} ms: "
                        f"**{'MET' if dash['max_ms'] < DASHBOARD_LIMIT_MS else 'MISSED'}**")
        worst = s["sweeps"][SWEEP_DUE[-1]]["ms"]
        verdicts.append(f"- {database}: sweep with {SWEEP_DUE[-1]} due {fmt(worst)} ms, target < "
                        f"{SWEEP_LIMIT_MS:g} ms: **{'MET' if worst < SWEEP_LIMIT_MS else 'MISSED'}**")
    if part_lines:
        lines += ["", "Dashboard, median per query:", "", *part_lines]
    desk_lines, desk_verdicts = desk_section(desk or {}, args.requests)
    lines += ["", *desk_lines] if desk_lines else []
    lines += ["", "## Targets", "", *verdicts, *desk_verdicts, "", "## Every step", "",
              "| database | workers | endpoint | offered (req/s) | throughput (req/s) | p50 (ms) | p90 (ms) | "
              "p99 (ms) | max (ms) | errors | held | CPU per request (ms) | load avg before |",
              "|---|---:|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|"]
    for database, runs in (ladders or {}).items():
        for workers, results in runs.items():
            for name, entry in results.items():
                for st in entry["steps"]:
                    errors = f"{st['errors']} {st['error_kinds'] or ''}".strip()
                    lines.append(f"| {database} | {workers} | {name} | {st['offered_rate']:g} | "
                                 f"{st['throughput']:.1f} | {fmt(st['p50_ms'])} | {fmt(st['p90_ms'])} | "
                                 f"{fmt(st['p99_ms'])} | {fmt(st['max_ms'])} | {errors} | "
                                 f"{'yes' if st['held'] else 'no'} | {fmt(st.get('cpu_ms'), 2)} | "
                                 f"{st.get('loadavg', '-')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the hotline's bench")
    parser.add_argument("--step", type=float, default=5.0, help="seconds per ladder step")
    parser.add_argument("--dbs", default="sqlite,postgres")
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--parts", default="stages,http,scale,desk",
                        help="stages (one SMS in-process, by stage), http (the rate ladders), scale (100,000 "
                             "requests), desk (the dashboard and the act-now list at 100,000 requests)")
    parser.add_argument("only", nargs="*", choices=[[], "stages", "http", "scale", "desk"], default=[],
                        help="run only these parts (the same as --parts)")
    parser.add_argument("--workers", default="1,2,3,4",
                        help="gunicorn workers of the ladders (every endpoint at 2; the insert and the SMS at each)")
    parser.add_argument("--count", type=int, default=300, help="SMS the stages part takes")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    if args.only:
        args.parts = ",".join(args.only)
    started = time.time()
    args.load_at_start = os.getloadavg()[0]
    databases = [d for d in args.dbs.split(",") if d]
    if "postgres" in databases and (reason := postgres_reason()):
        say(f"PostgreSQL left out: {reason}")
        databases.remove("postgres")
    http, ladders, scale, stages, desk = {}, {}, {}, {}, {}
    workers = [int(w) for w in args.workers.split(",") if w]
    for database in databases if "stages" in args.parts else ():
        say(f"== {database}: {args.count} SMS in-process, by stage")
        stages[database] = bench_stages.measure(database, args.count)
    with RecordingStandin() as standin:
        for database in databases if "http" in args.parts else ():
            for n in workers:
                say(f"== {database}: webhooks and bare endpoints, gunicorn -w {n}")
                results = http_bench(database, standin, args.step, n, ENDPOINTS if n == 2 else SIDE_BY_SIDE)
                ladders.setdefault(database, {})[n] = results
                if n == 2:
                    http[database] = results
        for database in databases if "scale" in args.parts else ():
            say(f"== {database}: {args.requests:,} requests")
            scale[database] = scale_bench(database, standin, args.requests)
        for database in databases if "desk" in args.parts else ():
            say(f"== {database}: the coordinator's desk at {args.requests:,} requests")
            desk[database] = desk_bench(database, standin, args.requests)
    if args.parts.split(",") == ["desk"]:  # alone: only its section of the report is replaced
        section, _verdicts = desk_section(desk, args.requests)
        write_desk_section(Path(args.out), section)
        say("\n".join(section))
        say(f"(its section written to {args.out})")
        return 0
    text = report(http, scale, args, started, ladders, stages, desk)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text, encoding="utf-8")
    say()
    say(text)
    say(f"(written to {args.out})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
