"""The words a caller says, heard right: each word of hearing.tsv and the slip that motivated it."""

from __future__ import annotations

import pytest

from hotline.domain import hearing

BUILDINGS = frozenset(range(1, 37))


@pytest.mark.parametrize("word", hearing.words(), ids=lambda w: w.word)
def test_every_word_is_heard_in_the_words_that_motivated_it(word):
    heard = hearing.hear(word.heard, BUILDINGS)
    assert word.word in heard.text, f"{word.heard!r} is not heard as {word.word!r}"
    if word.names:  # what it names is read, or offered as the closest choice
        read = heard.parsed.category.value if heard.parsed.category else None
        assert read == word.names or heard.near[:1] == (word.names,), (read, heard.near)


@pytest.mark.parametrize(("said", "heard"), [
    ("将压要吃完了", "降压药吃完了"),  # the recogniser's slip, read as the drug
    ("我要买点水果和牛奶", "我要买点水果和牛奶"),  # 果 is rarely read guan: no 水管 here
    ("五号楼一二零一", "五号楼一二零一"),  # a room said digit by digit is not 120
    ("帮我打一二零", "帮我打120"),
    ("I need food", "I need food"),
    ("收到喇 下次唔使咁赶㗎", "收到喇 下次唔使咁赶㗎"),  # 㗎 has no pinyin: the readings after it keep their place
    ("㗎将压要吃完了", "㗎降压药吃完了"),
])
def test_only_what_sounds_exactly_like_a_word_is_written_as_it(said, heard):
    assert hearing.heard_right(said) == heard


def test_a_word_that_only_sounds_close_is_offered_never_acted_on():
    heard = hearing.hear("胰岛树没有了", BUILDINGS)  # a southern sh for s
    assert heard.text == "胰岛树没有了" and heard.parsed.category is None and heard.near == ("medicine",)


def test_the_closest_come_first_then_the_first_said():
    assert hearing.near("奶粉没了马桶也堵了") == ("food", "help")
    assert hearing.near("胰岛树和马桶") == ("help", "medicine")  # exactly 马桶 beats nearly 胰岛素
    assert hearing.near("今天天气不错") == ()


def test_a_clear_need_or_an_emergency_has_no_choices():
    assert hearing.hear("降压药吃完了", BUILDINGS).near == ()
    assert hearing.hear("马桶堵了 我摔倒了", BUILDINGS).parsed.emergency


@pytest.mark.parametrize(("syllable", "folded"), [("zhi", "zi"), ("shu", "su"), ("nai", "lai"), ("hu", "fu"),
                                                   ("huang", "fuan"), ("xing", "xin"), ("hao", "hao")])
def test_the_sounds_a_southern_speaker_does_not_tell_apart(syllable, folded):
    assert hearing.fold(syllable) == folded
