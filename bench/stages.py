"""Where the time of one SMS goes: the webhook in-process, by stage, with its SQL statements.

    .venv/bin/python -m bench.stages [--count 300] [--dbs sqlite,postgres] [--trace] [--profile FILE]

For each database (a SQLite file, a fresh database on the machine's PostgreSQL), an installation
made as `make bench` makes it (`flask init-db`, one volunteer per building and a coordinator) takes
`--count` distinct signed SMS from new numbers (the load generator's bodies: `12号楼302室 需要买菜…`, each
database's of flats of its own)
through the WSGI app's test client: no HTTP server, no other process. Each SMS's time is split
into stages, each instant counted once, in the innermost stage that runs:

- signature: checking X-Twilio-Signature;
- reading: the sender's number and the words (hotline.domain.reading, .parsing, .kinds, phones);
- database reads: SELECT statements, and the ORM's work around them (Session.execute/get);
- database writes: everything else sent to the database (BEGIN, locks, INSERT, UPDATE, COMMIT),
  the ORM's flush, and the writes that stand in for it (hotline.database's write_new and insert_added);
- reply rendering: sentences from the catalogs (texts.t) and the TwiML;
- other: the rest (Flask, werkzeug, the use case's own code).

The statements of each SMS are counted by kind (SQLAlchemy's cursor events), and the garbage
collector's full collections with their time, once what the warm-up loaded is frozen out of its
reach as gunicorn's master freezes it before it forks (hotline/serving.py). For comparison, the
bare one-row insert (bench/bare.py) is timed the same way in the same process.

The hooks wrap functions of the hotline in this process only, for the time of the measure.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import importlib
import json
import os
import statistics
import sys
import time
from collections import Counter
from types import ModuleType

DATABASES = ("sqlite", "postgres")  # what --dbs names
READING_MODULES = (
    "hotline.domain.reading", "hotline.domain.parsing", "hotline.domain.address", "hotline.domain.phones",
    "hotline.domain.kinds",
)
STAGES = ("signature", "reading", "database reads", "database writes", "reply rendering", "other")
ANSWER = ("signature", "reading", "reply rendering")  # what an SMS's answer needs, whatever the design
WARM_UP = 30  # SMS taken before measuring: caches filled, connections open
CLOCK = time.perf_counter


class Stopwatch:
    """Exclusive time per stage: a stack of the stages running, the innermost one charged."""

    def __init__(self):
        self.stack: list[str] = ["other"]
        self.mark = CLOCK()
        self.times: Counter[str] = Counter()

    def start(self) -> None:
        self.stack, self.times, self.mark = ["other"], Counter(), CLOCK()

    def enter(self, stage: str) -> None:
        now = CLOCK()
        self.times[self.stack[-1]] += now - self.mark
        self.mark = now
        self.stack.append(stage)

    def leave(self) -> None:
        now = CLOCK()
        self.times[self.stack.pop()] += now - self.mark
        self.mark = now

    def stop(self) -> dict[str, float]:
        """The milliseconds of each stage since `start`."""
        while len(self.stack) > 1:
            self.leave()
        self.leave()
        return {stage: self.times[stage] * 1000 for stage in STAGES}


class FullCollections:
    """The garbage collector's collections of its oldest generation, and their time (a gc callback)."""

    def __init__(self):
        self.count, self.seconds, self._began = 0, 0.0, 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._began = CLOCK()
        else:
            self.count, self.seconds = self.count + 1, self.seconds + CLOCK() - self._began


def statement_kind(statement: str) -> str:
    """SELECT, INSERT, UPDATE, DELETE, or `lock` (BEGIN, SET, advisory locks, savepoints)."""
    word = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
    if word == "SELECT" and "pg_advisory" in statement:
        return "lock"
    return word if word in ("SELECT", "INSERT", "UPDATE", "DELETE") else "lock"


class Hooks:
    """Wrap the hotline's functions and listen to its engine, charging a Stopwatch."""

    def __init__(self, watch: Stopwatch):
        self.watch = watch
        self.statements: list[tuple[str, str]] = []  # kind, statement with its parameters
        self.undo: list[tuple[object, str, object]] = []

    def wrap(self, owner: object, name: str, stage: str) -> None:
        original = getattr(owner, name)
        watch = self.watch

        @functools.wraps(original)
        def timed(*args, **kwargs):
            watch.enter(stage)
            try:
                return original(*args, **kwargs)
            finally:
                watch.leave()

        self.undo.append((owner, name, original))
        setattr(owner, name, timed)
        for module in list(sys.modules.values()):  # names imported elsewhere (`from … import t`)
            if isinstance(module, ModuleType) and module.__name__.startswith(("hotline", "admin")) \
                    and module is not owner and getattr(module, name, None) is original:
                self.undo.append((module, name, original))
                setattr(module, name, timed)

    def wrap_module(self, module: ModuleType, stage: str) -> None:
        """Every public function defined in `module`."""
        for name, value in list(vars(module).items()):
            if callable(value) and getattr(value, "__module__", None) == module.__name__ \
                    and isinstance(value, type(statement_kind)) and not name.startswith("__"):
                self.wrap(module, name, stage)

    def install(self, engine) -> None:
        from sqlalchemy import event
        from sqlalchemy.orm import Session

        from hotline import texts
        from hotline.channels import twilio

        self.wrap(twilio, "validate_signature", "signature")
        for name in READING_MODULES:
            try:  # an earlier revision measured beside this one (bench/growth.py) may not have them all
                module = importlib.import_module(name)
            except ImportError:
                continue
            self.wrap_module(module, "reading")
        self.wrap(texts, "t", "reply rendering")
        self.wrap(twilio, "render_sms", "reply rendering")
        for name in ("execute", "scalar", "scalars", "get"):
            self.wrap(Session, name, "database reads")
        for name in ("flush", "commit"):
            self.wrap(Session, name, "database writes")
        from hotline import database
        for name in ("write_new", "insert_added"):  # an earlier revision (bench/growth.py) may not have them
            if hasattr(database, name):
                self.wrap(database, name, "database writes")

        def before(conn, cursor, statement, parameters, context, executemany):
            kind = statement_kind(statement)
            self.statements.append((kind, f"{statement} {parameters!r}"))
            self.watch.enter("database reads" if kind == "SELECT" else "database writes")

        def after(conn, cursor, statement, parameters, context, executemany):
            self.watch.leave()

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        self.undo.append((None, "", lambda: (event.remove(engine, "before_cursor_execute", before),
                                             event.remove(engine, "after_cursor_execute", after))))

    def remove(self) -> None:
        for owner, name, original in reversed(self.undo):
            if owner is None:
                original()
            else:
                setattr(owner, name, original)
        self.undo.clear()


@contextlib.contextmanager
def installation(database: str):
    """An installation on `database` as `make bench` makes it, warmed up: yields `send(i)` (the i-th SMS
    through the app's test client, its TwiML returned), the bare insert's test client and the app's engine."""
    from bench import bare
    from bench.loadgen import sms_form
    from hotline.extensions import db
    from tests.helpers import sign
    from tests.reliability.stack import Stack, roster_csv

    stack = Stack(database, "http://127.0.0.1:9", name=f"stages-{database}")
    try:
        stack.init(roster_csv())
        bare.create_table(stack.database_url)
        bare.engine = bare.make_engine(stack.database_url)
        app, url = stack.app, stack.env["PUBLIC_BASE_URL"] + "/twilio/sms"
        client, bare_client = app.test_client(), bare.app.test_client()

        series = DATABASES.index(database)  # flats of their own: the words of one database's SMS are no other's,
        # so the reading caches each process keeps (reading.READ_AHEAD texts) give neither run the other's readings

        def send(i: int) -> str:
            form = sms_form(i, f"+86137900{i:05d}", series)
            response = client.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": sign(url, form)})
            assert response.status_code == 200, response.get_data(as_text=True)
            return response.get_data(as_text=True)

        for i in range(WARM_UP):
            send(i)
            bare_client.post("/insert", data={"text": "warm up"})
        with app.app_context():
            engine = db.engine
        try:
            yield send, bare_client, engine
        finally:
            bare.engine.dispose()
    finally:
        stack.stop()


def measure(database: str, count: int, trace: bool = False) -> dict:
    """Take `count` SMS through the app in-process on `database`; return the medians per stage."""
    with installation(database) as (send, bare_client, engine):
        watch = Stopwatch()
        hooks = Hooks(watch)
        hooks.install(engine)
        per_sms, cpus, kinds, repeated, replies = [], [], [], [], Counter()
        gc.freeze()  # as gunicorn's master does before it forks the workers
        collections = FullCollections()
        gc.callbacks.append(collections)
        try:
            for i in range(WARM_UP, WARM_UP + count):
                hooks.statements.clear()
                cpu = time.process_time()
                watch.start()
                xml = send(i)
                per_sms.append(watch.stop())
                cpus.append((time.process_time() - cpu) * 1000)
                kinds.append(Counter(kind for kind, _ in hooks.statements))
                seen = Counter(text for _, text in hooks.statements)
                repeated.append(sum(n - 1 for n in seen.values()))
                replies["created" if "#" in xml else "other"] += 1
                if trace and i == WARM_UP:
                    say(f"  {database}: the statements of one SMS")
                    for kind, text in hooks.statements:
                        say(f"    {kind:<6} {text[:300]}")
        finally:
            hooks.remove()
            gc.callbacks.remove(collections)
            gc.unfreeze()
        inserts, insert_cpus = [], []
        for i in range(count):
            t, cpu = CLOCK(), time.process_time()
            bare_client.post("/insert", data={"text": f"row {i}"})
            inserts.append((CLOCK() - t) * 1000)
            insert_cpus.append((time.process_time() - cpu) * 1000)
    totals = [sum(s.values()) for s in per_sms]
    all_kinds = sorted({k for c in kinds for k in c})
    return {
        "count": count,
        "median_ms": {stage: statistics.median(s[stage] for s in per_sms) for stage in STAGES},
        "total_ms": statistics.median(totals),
        "answer_ms": statistics.median(sum(s[stage] for stage in ANSWER) for s in per_sms),
        "p90_total_ms": sorted(totals)[int(0.9 * (len(totals) - 1))],
        "statements": statistics.median(sum(c.values()) for c in kinds),
        "by_kind": {k: statistics.median(c[k] for c in kinds) for k in all_kinds},
        "repeated": statistics.median(repeated),
        "full_collections": collections.count,
        "full_collections_ms": collections.seconds * 1000,
        "replies": dict(replies),
        "insert_ms": statistics.median(inserts),
        "cpu_ms": statistics.median(cpus),
        "insert_cpu_ms": statistics.median(insert_cpus),
        "loadavg": os.getloadavg()[0],
    }


def profile(database: str, count: int, out: str) -> None:
    """Take `count` SMS through the app on `database` under cProfile (no stage hooks); write the
    statistics to `out` and print the functions that cost most, by their own time and with callees."""
    import cProfile
    import pstats

    with installation(database) as (send, _, _):
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(WARM_UP, WARM_UP + count):
            send(i)
        profiler.disable()
    profiler.dump_stats(out)
    stats = pstats.Stats(out)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(60)


def say(line: str = "") -> None:
    print(line, flush=True)


def table(results: dict[str, dict]) -> list[str]:
    """The stages of each database as a Markdown table, then the statements."""
    lines = ["| database | " + " | ".join(STAGES) + " | total (p50) | total (p90) | one-row insert | ratio "
             "| CPU of this process: SMS / insert | load avg |",
             "|---|" + "---:|" * (len(STAGES) + 6)]
    for database, r in results.items():
        cells = [f"{r['median_ms'][stage]:.2f}" for stage in STAGES]
        lines.append(f"| {database} | {' | '.join(cells)} | {r['total_ms']:.2f} | {r['p90_total_ms']:.2f} | "
                     f"{r['insert_ms']:.2f} | {r['total_ms'] / r['insert_ms']:.1f}x | "
                     f"{r['cpu_ms']:.2f} / {r['insert_cpu_ms']:.2f} | {r['loadavg']:.2f} |")
    lines += ["", "| database | SQL statements per SMS | " + " | ".join(
        ("SELECT", "INSERT", "UPDATE", "DELETE", "lock")) + " | repeated (same statement, same values) "
              "| full garbage collections (all the SMS: count, ms) |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for database, r in results.items():
        kinds = [f"{r['by_kind'].get(k, 0):g}" for k in ("SELECT", "INSERT", "UPDATE", "DELETE", "lock")]
        collected = f"{r.get('full_collections', 0)}, {r.get('full_collections_ms', 0.0):.1f}"
        lines.append(f"| {database} | {r['statements']:g} | {' | '.join(kinds)} | {r['repeated']:g} | {collected} |")
    lines.append("")
    for database, r in results.items():
        if "answer_ms" in r:
            lines.append(f"- {database}: what the answer needs whatever the design ({', '.join(ANSWER)}) "
                         f"{r['answer_ms']:.2f} ms, {r['answer_ms'] / r['insert_ms']:.1f}x the one-row insert; "
                         f"the rest of an SMS {r['total_ms'] - r['answer_ms']:.2f} ms")
    return lines


def main(argv: list[str] | None = None) -> int:
    from tests.helpers import postgres_reason

    parser = argparse.ArgumentParser(description="where the time of one SMS goes")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--dbs", default=",".join(DATABASES))
    parser.add_argument("--trace", action="store_true", help="print the statements of the first SMS measured")
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE (bench/growth.py reads them)")
    parser.add_argument("--profile", metavar="FILE",
                        help="instead, profile the SMS on each database (cProfile, to FILE.<database>) and print it")
    args = parser.parse_args(argv)
    databases = [d for d in args.dbs.split(",") if d]
    if unknown := [d for d in databases if d not in DATABASES]:
        parser.error(f"--dbs: no database {', '.join(unknown)} (choose from {', '.join(DATABASES)})")
    if "postgres" in databases and (reason := postgres_reason()):
        say(f"PostgreSQL left out: {reason}")
        databases.remove("postgres")
    if args.profile:
        for database in databases:
            profile(database, args.count, f"{args.profile}.{database}")
        return 0
    results = {database: measure(database, args.count, args.trace) for database in databases}
    say("\n".join(table(results)))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(results, out)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
