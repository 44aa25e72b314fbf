"""The labelled corpus judged two ways, side by side: read and decided in memory (tests/understanding/fast.py,
what `make test` runs on every line) against texted to the real hotline through its signed webhook
(tests/understanding/harness.py, what `make test` runs on a sample), line by line.

    .venv/bin/python -m bench.corpus [--every N]

Prints the time per line of each way (median and total, on this machine as it is loaded) and their ratio,
and the lines on which the two ways disagree on any judged field (none, when the webhook does what was
decided).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from tests.conftest import SteppingClock, hotline_env
from tests.understanding import fast
from tests.understanding.harness import CALLERS, FIELDS, Compound, corpus_files, judge, load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", type=int, default=1, help="take every Nth texted line (default: all)")
    args = parser.parse_args()
    lines = [line for path in corpus_files() for line in load(path) if line.sender not in CALLERS][::args.every]
    compound = Compound(Path(tempfile.mkdtemp(prefix="corpus-bench-")),
                        hotline_env("sqlite://", HOTLINE_CRISIS_LINE="12356"), SteppingClock())
    for line in lines[:3]:  # the lexicons, the converters and the app's first request, outside the timing
        fast.run(line)
        compound.run(line)
    in_memory, webhook, apart = [], [], []
    for line in lines:
        started = time.perf_counter()
        decided = fast.run(line)
        in_memory.append(time.perf_counter() - started)
        started = time.perf_counter()
        done = compound.run(line)
        webhook.append(time.perf_counter() - started)
        if differences := judge(replace(line, expect={name: decided.value(name) for name in FIELDS}), done):
            apart.append(f"  {line.where} {line.text!r} ({line.sender}): " + "; ".join(differences))
    print(f"{len(lines)} texted lines of the corpus, each way in turn")
    print(f"{'way':<32} {'median ms/line':>15} {'total s':>9}")
    for name, times in (("read + decide, in memory", in_memory), ("through the webhook, SQLite", webhook)):
        print(f"{name:<32} {statistics.median(times) * 1000:>15.2f} {sum(times):>9.2f}")
    print(f"webhook / in memory: {statistics.median(webhook) / statistics.median(in_memory):.0f} x (median),"
          f" {sum(webhook) / sum(in_memory):.0f} x (total)")
    print(f"the two ways agree on {len(lines) - len(apart)} of {len(lines)} lines, on every judged field")
    print("\n".join(apart))


if __name__ == "__main__":
    main()
