"""The benchmark's report says how far the SMS's work could fall: what its answer needs whatever the design
(the signature, reading the words, rendering the reply) against the one-row insert, from the figures given."""

from bench import run, stages


def _stages(answer_ms: float) -> dict:
    medians = {stage: 0.0 for stage in stages.STAGES}
    return {"count": 3, "median_ms": medians, "total_ms": 5.0, "p90_total_ms": 6.0, "statements": 9, "by_kind": {},
            "repeated": 0, "insert_ms": 0.5, "cpu_ms": 5.0, "insert_cpu_ms": 0.5, "loadavg": 0.1,
            "answer_ms": answer_ms}


def _ladder(first_service_ms: float) -> dict:
    step = {"offered_rate": run.RATES[0], "service_p50_ms": first_service_ms, "held": True, "throughput": 25.0,
            "p99_ms": 9.0, "errors": 0, "cpu_ms": first_service_ms}
    return {"steps": [step], "missing": None}


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
