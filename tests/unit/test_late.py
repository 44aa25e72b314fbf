"""The coordinators' list of late requests, packed into as few SMS as it fits in (no database)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline import texts
from hotline.domain import late


@pytest.mark.parametrize(("waited", "zh", "en"), [
    (timedelta(seconds=59), "0分钟", "0 min"), (timedelta(minutes=59), "59分钟", "59 min"),
    (timedelta(hours=3, minutes=59), "3小时", "3 h"), (timedelta(hours=47), "47小时", "47 h"),
    (timedelta(days=3, hours=5), "3天", "3 d"), (timedelta(seconds=-5), "0分钟", "0 min"),
])
def test_age_reads_in_the_unit_that_reads_best(waited, zh, en):
    assert (late.age("zh", waited), late.age("en", waited)) == (zh, en)


def more(count: int) -> str:
    return texts.t("zh", "coordinator.late_more", count=count)


def test_a_short_list_is_one_message():
    lines = [f"#{n} 12-{n} 食物 3小时 无人接单" for n in range(100, 105)]
    assert late.pack("头", lines, more) == ["\n".join(["头", *lines])]


def test_a_long_list_is_split_only_past_five_segments_and_the_rest_counted():
    lines = [f"#{n} 12-{n} 食物 3小时 无人接单" for n in range(100, 200)]
    messages = late.pack("头", lines, more)
    assert len(messages) == late.MAX_MESSAGES
    assert all(texts.segments(m) == late.SEGMENTS_PER_SMS for m in messages)  # each one as full as it can be
    shown = sum(m.count("#") for m in messages)
    assert messages[-1].endswith(more(100 - shown)) and messages[0].startswith("头\n#100 ")


def test_each_message_holds_as_many_lines_as_fit():
    lines = [f"#{n} 12-{n} 食物 3小时 无人接单" for n in range(100, 140)]
    first, *rest = late.pack("头", lines, more, max_messages=10)
    assert texts.segments(f"{first}\n{lines[first.count('#')]}") > late.SEGMENTS_PER_SMS
    assert sum(m.count("#") for m in [first, *rest]) == 40 and not any("还有" in m for m in rest)
