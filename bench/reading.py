"""The reading of one SMS alone: every question the hotline may ask of its words, with no database.

    .venv/bin/python -m bench.reading [--count 2000]

The load generator's bodies (`12号楼302室 需要买菜…`; more of them than the process's caches keep) are read
as `intake` reads them and asked every question a `message.Reading` answers; prints the median
milliseconds per text over five rounds.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.loadgen import sms_form
from hotline.domain import message, reading

BUILDINGS = frozenset(range(1, 37))
QUESTIONS = ("language", "reply_language", "command", "resident_word", "resident_sentence", "volunteer_reply",
             "volunteer_note", "visit", "yes_or_no", "intent", "asks", "asks_after", "asks_for_more", "asks_besides",
             "distressed", "grave", "job_numbers", "hurries", "only_thanks", "parsed", "named", "about_someone_else",
             "says_more")


def read_all(bodies: list[str]) -> None:
    for body in bodies:
        said = message.read(message.normalise(body), BUILDINGS)
        for question in QUESTIONS:
            getattr(said, question)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the reading of one SMS, with no database")
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args(argv)
    reading.prepare()
    rounds = []
    bodies = [sms_form(i, "")["Body"] for i in range(args.count)]
    for _ in range(5):
        start = time.perf_counter()
        read_all(bodies)
        rounds.append((time.perf_counter() - start) * 1000 / args.count)
    print(f"reading: {statistics.median(rounds):.3f} ms per SMS (median of 5 rounds of {args.count})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
