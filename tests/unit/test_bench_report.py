"""The benchmark's report says how far the SMS's work could fall: what its answer needs whatever the design
(the signature, reading the words, rendering the reply) against the one-row insert, from the figures given."""

from bench import run, stages


def _stages(answer_ms: float) -> dict:
    medians = {stage: 0.0 for stage in stages.STAGES}
    return {"count": 3, "median_ms": medians, "total_ms": 5.0, "p90_total_ms": 6.0, "statements": 9, "by_kind": {},
            "repeated": 0, "insert_ms": 0.5, "cpu_ms": 5.0, "insert_cpu_ms": 0.5, "loadavg": 0.1,
            "answer_ms": answer_ms}


def _ladder(first_service_ms: float) -> dict:
    return _steps((run.RATES[0], first_service_ms))


def test_the_stages_table_says_what_the_answer_alone_costs_against_the_insert():
    lines = stages.table({"sqlite": _stages(answer_ms=1.25)})
    assert lines[-1] == ("- sqlite: what the answer needs whatever the design (signature, reading, reply rendering) "
                         "1.25 ms, 2.5x the one-row insert; the rest of an SMS 3.75 ms")


def test_the_work_verdict_gives_the_ratio_an_sms_doing_only_its_answer_would_have():
    insert, sms = run.INSERT[0], run.SMS[0]
    verdicts: list[str] = []
    run.worker_section({"sqlite": {1: {insert: _ladder(2.0), sms: _ladder(8.0)}}}, verdicts,
                       {"sqlite": _stages(answer_ms=1.5)})
    work = next(v for v in verdicts if "the work of an SMS" in v)
    assert work == ("- sqlite, 1 worker: the work of an SMS is 4.00x the one-row insert's, target <= 2: **MISSED** "
                    "(an SMS that did only what its answer needs, 1.50 ms in-process, and the insert's one row would "
                    "be 1.75x)")


def test_without_the_stages_the_work_verdict_stands_alone():
    insert, sms = run.INSERT[0], run.SMS[0]
    verdicts: list[str] = []
    run.worker_section({"sqlite": {1: {insert: _ladder(2.0), sms: _ladder(3.0)}}}, verdicts)
    assert "- sqlite, 1 worker: the work of an SMS is 1.50x the one-row insert's, target <= 2: **MET**" in verdicts


def test_with_the_floor_measured_the_verdicts_give_its_ratios_side_by_side():
    verdicts: list[str] = []
    ladders = {run.INSERT[0]: _ladder(2.0), run.FLOOR[0]: _ladder(3.0), run.SMS[0]: _ladder(8.0)}
    lines = run.worker_section({"sqlite": {1: ladders}}, verdicts, {"sqlite": _stages(answer_ms=1.5)})
    assert ("- sqlite, 1 worker: the work of an SMS is 4.00x the one-row insert's, target <= 2: **MISSED** (an SMS "
            "that did only what its answer needs, measured side by side: 1.50x)") in verdicts
    assert ("- sqlite, 1 worker: the CPU of an SMS is 4.00x the one-row insert's, target <= 2: **MISSED** (an SMS "
            "that did only what its answer needs, measured side by side: 1.50x)") in verdicts
    assert lines[-1] == ("| sqlite | 1 | 25 | 25 | 25 | 9.0 | none | 1.00 | 1.00 | 8.0 / 3.0 / 2.0 | 4.00, 1.50 | "
                         "8.00 / 3.00 / 2.00 at 25/s | 4.00, 1.50 |")


def _steps(*cpu_by_rate: tuple[float, float]) -> dict:
    steps = [{"offered_rate": rate, "service_p50_ms": cpu, "held": True, "throughput": rate, "p99_ms": 9.0,
              "errors": 0, "cpu_ms": cpu} for rate, cpu in cpu_by_rate]
    return {"steps": steps, "missing": None}


def test_the_cpu_ratios_are_taken_at_the_rates_the_insert_the_floor_and_the_sms_all_held():
    insert = _steps((25, 1.0), (50, 1.0), (75, 1.0), (100, 0.5))
    floor = _steps((25, 3.0), (50, 2.0), (75, 2.0), (100, 0.5))  # held 100 too, where the SMS did not
    sms = _steps((25, 6.0), (50, 4.0))
    verdicts: list[str] = []
    lines = run.worker_section({"sqlite": {1: {run.INSERT[0]: insert, run.FLOOR[0]: floor, run.SMS[0]: sms}}},
                               verdicts)
    assert lines[-1].endswith("| 4.00 / 2.00 / 1.00 at 50/s | 5.00, 2.50 |"), lines[-1]


def test_a_floor_that_did_not_answer_is_not_measured():
    verdicts: list[str] = []
    missing = {"missing": "answers {403: 1}", "steps": []}
    lines = run.worker_section({"postgres": {4: {run.INSERT[0]: _ladder(2.0), run.FLOOR[0]: missing,
                                                 run.SMS[0]: _ladder(8.0)}}}, verdicts)
    assert lines[-1] == ("| postgres | 4 | 25 | - | 25 | 9.0 | none | 1.00 | - | 8.0 / - / 2.0 | 4.00, - | "
                         "8.00 / - / 2.00 at 25/s | 4.00, - |")
    assert verdicts == ["- postgres, 4 workers: `/twilio/sms` holds 25 req/s against 25 for the insert, target >= "
                        "half: **MET**"]
