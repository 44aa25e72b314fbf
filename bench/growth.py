"""Has understanding made the SMS webhook dearer? This tree against an earlier revision, side by side.

    .venv/bin/python -m bench.growth [--base REV] [--count 200] [--rounds 3] [--dbs sqlite]

The earlier revision (by default the last one before the hotline read messages the way a dispatcher
does: no corpus, no lexicons, no OpenCC, no language detector) is unpacked into a temporary folder
with `git archive`, its catalogs compiled, and this tree's bench/stages.py put into it, so both are
measured by the same code. Then, in turns (base, this tree, base, this tree, …, so that a change in
the machine's load falls on both), each takes `--count` SMS in-process on a fresh database
(bench/stages.py: the same signed SMS from new numbers, by stage). Each figure is the median over the
rounds of the per-round medians.

The stages are grouped as the issue names them: reading (the number and the words), deciding (the
use case's own code, Flask, the reply's sentences and TwiML: what is neither reading nor the
database) and storing (database reads and writes). The target: no stage, and not the total, grows by
more than a fifth. Prints a table and writes it to docs/growth.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "growth.md"
BASE = "dae6feb^"  # the last revision before the labelled corpus and the reading rules as data
LIMIT = 1.2  # a fifth
GROUPS = {  # the stages, from bench/stages.py's
    "reading": ("reading",),
    "deciding": ("signature", "reply rendering", "other"),
    "storing": ("database reads", "database writes"),
}


def say(line: str = "") -> None:
    print(line, flush=True)


def unpack(revision: str, into: Path) -> str:
    """Put `revision`'s files in `into` with this tree's bench/stages.py; return its short commit."""
    commit = subprocess.run(["git", "rev-parse", "--short", revision], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    shutil.copy(ROOT / "bench" / "stages.py", into / "bench" / "stages.py")
    pybabel = Path(sys.executable).with_name("pybabel")
    for domain in ("hotline", "messages"):
        if any((into / "locales").glob(f"*/LC_MESSAGES/{domain}.po")):
            subprocess.run([str(pybabel), "compile", "--domain", domain, "--directory", "locales"], cwd=into,
                           check=True, capture_output=True)
    return commit


def run_stages(tree: Path, count: int, databases: str, out: Path) -> dict:
    """One measure of `tree` by bench/stages.py in its own interpreter; its figures per database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "TWILIO_", "FLASK_"))}
    env["PYTHONPATH"] = str(tree)
    subprocess.run([sys.executable, "-m", "bench.stages", "--count", str(count), "--dbs", databases,
                    "--json", str(out)], cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text(encoding="utf-8"))


def grouped(figures: dict) -> dict[str, float]:
    """The issue's stages and the total, in milliseconds, from one measure of one database."""
    medians = figures["median_ms"]
    groups = {group: sum(medians[stage] for stage in stages) for group, stages in GROUPS.items()}
    return groups | {"total": figures["total_ms"], "CPU": figures["cpu_ms"], "statements": figures["statements"]}


def median_of(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}


def report(base: str, results: dict[str, dict[str, dict[str, float]]], args, started: datetime) -> list[str]:
    load = os.getloadavg()[0]
    lines = [
        "# Cost of understanding: the SMS webhook before and after",
        "",
        f"Written by `make bench-growth` (bench/growth.py) on {started:%Y-%m-%d %H:%M} UTC, on this machine: "
        f"{os.cpu_count()} cores, CPython {platform.python_version()}; 1-minute load average {load:.2f} at the end "
        "(other work may share this machine: the two trees are measured in turns, so the load falls on both).",
        "",
        f"Base: `{base}`, the last revision before the labelled corpus and the reading rules as data. Each tree "
        f"takes {args.count} signed SMS from new numbers in-process (bench/stages.py), {args.rounds} rounds in "
        "turns; the figures are the median of the rounds' medians, in milliseconds per SMS. Reading: the number "
        "and the words; deciding: the use case, Flask, the reply; storing: database reads and writes.",
        "",
        "| database | figure | base | now | now / base | within a fifth |",
        "|---|---|---:|---:|---:|---|",
    ]
    for database, trees in results.items():
        before, after = trees["base"], trees["now"]
        for key in (*GROUPS, "total", "CPU", "statements"):
            ratio = after[key] / before[key] if before[key] else float("inf")
            verdict = "yes" if ratio <= LIMIT else "**no**"
            lines.append(f"| {database} | {key} | {before[key]:.2f} | {after[key]:.2f} | {ratio:.2f} | {verdict} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the SMS webhook's cost, this tree against an earlier revision")
    parser.add_argument("--base", default=BASE)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dbs", default="sqlite")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="hotline-growth-") as tmp:
        tree = Path(tmp) / "base"
        base = unpack(args.base, tree)
        say(f"base {base} unpacked in {tree}")
        rounds: dict[str, dict[str, list]] = {}
        for n in range(args.rounds):
            for name, where in (("base", tree), ("now", ROOT)):
                figures = run_stages(where, args.count, args.dbs, Path(tmp) / f"{name}-{n}.json")
                for database, measured in figures.items():
                    rounds.setdefault(database, {}).setdefault(name, []).append(grouped(measured))
                say(f"round {n + 1}: {name} measured")
    results = {database: {name: median_of(r) for name, r in trees.items()} for database, trees in rounds.items()}
    lines = report(base, results, args, started)
    say("\n".join(lines))
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
