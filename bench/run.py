"""`make bench`: our webhooks against bare Flask endpoints, and the admin queries at 100,000 requests.

    .venv/bin/python -m bench.run [--step 5] [--dbs sqlite,postgres] [--requests 100000]

For each database (a SQLite file, a fresh database on the machine's PostgreSQL):
1. the hotline under gunicorn (`-w 2`, with one worker process sending to a local Twilio
   stand-in at the default 1 SMS/s) and bench/bare.py under gunicorn (`-w 2`, same database);
2. a rate ladder per endpoint, open loop from a second process (bench/loadgen.py): a bare
   `GET /`, `POST /insert` (one row), our signed `POST /twilio/sms` (a realistic body, a distinct
   MessageSid and sender each) and our signed `POST /twilio/voice` (the first step of a call);
   a step is HELD when every request got a 2xx, p99 < 50 ms, and throughput kept up (>= 95 %);
   each endpoint climbs until a step is not held;
3. a fresh database bulk-filled with 100,000 requests (and their timelines and messages), in
   which the admin dashboard's queries and escalation sweeps (`requests.run_timers`) are timed.

Prints the tables and writes them to docs/performance.md.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.helpers import postgres_reason
from tests.reliability.stack import ROOT, Stack, roster_csv, run_loadgen
from tests.reliability.standin import RecordingStandin

RATES = [25, 50, 100, 150, 200, 250, 300, 350, 400, 500, 600, 700, 800, 1000, 1200, 1500, 2000]
P99_LIMIT_MS = 50.0
KEEP_UP = 0.95
DASHBOARD_LIMIT_MS, SWEEP_LIMIT_MS = 200.0, 1000.0
SWEEP_DUE = (0, 100, 500)  # 500: the most one sweep takes (run_timers' LIMIT)
OUT = ROOT / "docs" / "performance.md"
ENDPOINTS = [  # name, which server, loadgen kind, path
    ("bare GET /", "bare", "get", "/"),
    ("bare POST /insert (1 row)", "bare", "post", "/insert"),
    ("our POST /twilio/sms", "hotline", "sms", "/twilio/sms"),
    ("our POST /twilio/voice (1st step)", "hotline", "voice", "/twilio/voice"),
]
series = itertools.count(1)


def say(line: str = "") -> None:
    print(line, flush=True)


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------


def run_step(base_url: str, kind: str, path: str, rate: float, seconds: float) -> dict:
    result = run_loadgen(base_url, kind, rate, seconds, "--path", path, "--series", str(next(series)))
    result["held"] = (result["errors"] == 0 and result["p99_ms"] is not None and result["p99_ms"] < P99_LIMIT_MS
                      and result["throughput"] >= KEEP_UP * rate)
    return result


def probe(base_url: str, kind: str, path: str) -> str | None:
    """None when the endpoint answers 2xx to one request; else why not."""
    result = run_step(base_url, kind, path, rate=1, seconds=1)
    if result["ok"] == 1:
        return None
    return f"answers {result['statuses'] or result['error_kinds']}"


def ladder(base_url: str, kind: str, path: str, seconds: float) -> list[dict]:
    """Climb the rates; a step not held is run once more (the machine is shared) before the climb ends."""
    steps = []
    for rate in RATES:
        for attempt in (1, 2):
            load = os.getloadavg()[0]
            result = run_step(base_url, kind, path, rate, seconds)
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


def http_bench(database: str, standin: RecordingStandin, seconds: float) -> dict:
    stack = Stack(database, standin.url, name=f"bench-{database}", HOTLINE_SEND_RATE="1",
                  HOTLINE_RETRY_DELAYS="300,900")
    try:
        stack.init(roster_csv())
        from bench.bare import create_table

        create_table(stack.database_url)
        stack.start_server()
        stack.start_worker()
        bare_url = stack.start_app("bare", "bench.bare:app")
        results = {}
        for name, server, kind, path in ENDPOINTS:
            base = bare_url if server == "bare" else stack.url
            say(f"  {database}: {name}")
            missing = probe(base, kind, path)
            if missing:
                say(f"    MISSING: {path} {missing}")
                results[name] = {"missing": missing, "steps": []}
                continue
            results[name] = {"missing": None, "steps": ladder(base, kind, path, seconds)}
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
    """Bulk-insert `total` requests (with timelines and one sent alert each) over the last 60 days."""
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
        if conn.dialect.name == "postgresql":
            for table in ("household", "request"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))")
            conn.exec_driver_sql("ANALYZE")
        session.commit()
    return {s.value: c for s, c in counts.items()}


def dashboard_page(session, policy, now) -> dict[str, float]:
    """Run the queries admin/views/dashboard.py makes for the page; return the milliseconds each took."""
    from hotline.domain import act_now, outbox
    from hotline.domain import dashboard as q

    parts = {
        "per_day": lambda: q.per_day(session, policy.timezone, now, 14),
        "oldest_waiting": lambda: q.oldest_waiting(session),
        "counts": lambda: q.counts(session, policy, now),
        "building_grid": lambda: q.building_grid(session, policy, now),
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


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def fmt(value, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def report(http: dict, scale: dict, args, started: float) -> str:
    lines = [
        "# Performance",
        "",
        f"Written by `make bench` (bench/run.py) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, on this machine: "
        f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; the run took {(time.time() - started) / 60:.1f} min; 1-minute "
        f"load average {args.load_at_start:.2f} at its start, {os.getloadavg()[0]:.2f} at its end (other work shares "
        "this machine).",
        "",
        "Each endpoint runs under gunicorn (`-w 2`, sync workers), on a SQLite file (WAL) and on the local",
        "PostgreSQL. The load comes from a second process on the same machine (bench/loadgen.py): open loop,",
        f"one new connection per request, {args.step:g} s per step, latency measured from the moment each request",
        f"was scheduled. A step is **held** when every request got a 2xx, p99 < {P99_LIMIT_MS:g} ms and the",
        f"throughput kept up with the offered rate (>= {KEEP_UP:.0%}); the ladder "
        f"({', '.join(map(str, RATES))} req/s) stops at the first step that is not held twice in a row (a step",
        "that fails is run once more: the machine is shared, and the 1-minute load average before each step is",
        "in the last table).",
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
                (("bare", ENDPOINTS[0][0]), ("insert", ENDPOINTS[1][0]))}
        for name, *_ in ENDPOINTS:
            entry = results[name]
            if entry["missing"]:
                lines.append(f"| {database} | {name} | MISSING: {entry['missing']} | | | | | | | |")
                continue
            top = held(entry)
            rate = top["offered_rate"] if top else 0
            failed = entry["steps"][-1] if entry["steps"] and not entry["steps"][-1]["held"] else None
            failing = (f"{failed['offered_rate']:g}/s: p99 {fmt(failed['p99_ms'])} ms, {failed['errors']} errors, "
                       f"{failed['throughput']:.0f}/s" if failed else "none (top of the ladder)")
            ratio = [f"{rate / base[k]:.2f}" if base[k] else "-" for k in ("insert", "bare")]
            lines.append(f"| {database} | {name} | {rate:g} | {fmt(top and top['throughput'])} | "
                         f"{fmt(top and top['p50_ms'])} | {fmt(top and top['p99_ms'])} | "
                         f"{top['errors'] if top else '-'} | {failing} | {ratio[0]} | {ratio[1]} |")
        sms = held(results[ENDPOINTS[2][0]])
        sms_rate = sms["offered_rate"] if sms else 0
        met = bool(base["insert"]) and sms_rate >= base["insert"] / 2
        verdicts.append(f"- {database}: `/twilio/sms` holds {sms_rate:g} req/s (no errors, p99 "
                        f"{fmt(sms and sms['p99_ms'])} ms) against {base['insert']:g} req/s for the one-row insert: "
                        f"ratio {sms_rate / base['insert'] if base['insert'] else 0:.2f}, target >= 0.50: "
                        f"**{'MET' if met else 'MISSED'}**")
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
    lines += ["", "## Targets", "", *verdicts, "", "## Every step", "",
              "| database | endpoint | offered (req/s) | throughput (req/s) | p50 (ms) | p90 (ms) | p99 (ms) | "
              "max (ms) | errors | held | load avg before |", "|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|"]
    for database, results in http.items():
        for name, *_ in ENDPOINTS:
            for st in results[name]["steps"]:
                errors = f"{st['errors']} {st['error_kinds'] or ''}".strip()
                lines.append(f"| {database} | {name} | {st['offered_rate']:g} | {st['throughput']:.1f} | "
                             f"{fmt(st['p50_ms'])} | {fmt(st['p90_ms'])} | {fmt(st['p99_ms'])} | {fmt(st['max_ms'])} | "
                             f"{errors} | {'yes' if st['held'] else 'no'} | {st.get('loadavg', '-')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the hotline's bench")
    parser.add_argument("--step", type=float, default=5.0, help="seconds per ladder step")
    parser.add_argument("--dbs", default="sqlite,postgres")
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--parts", default="http,scale", help="http (the rate ladders), scale (100,000 requests)")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    started = time.time()
    args.load_at_start = os.getloadavg()[0]
    databases = [d for d in args.dbs.split(",") if d]
    if "postgres" in databases and (reason := postgres_reason()):
        say(f"PostgreSQL left out: {reason}")
        databases.remove("postgres")
    http, scale = {}, {}
    with RecordingStandin() as standin:
        for database in databases if "http" in args.parts else ():
            say(f"== {database}: webhooks and bare endpoints")
            http[database] = http_bench(database, standin, args.step)
        for database in databases if "scale" in args.parts else ():
            say(f"== {database}: {args.requests:,} requests")
            scale[database] = scale_bench(database, standin, args.requests)
    text = report(http, scale, args, started)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text, encoding="utf-8")
    say()
    say(text)
    say(f"(written to {args.out})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
