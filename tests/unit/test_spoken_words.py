"""Written for the ear: households, volunteers' names and the compound's name, as each language says them."""

from __future__ import annotations

import pytest

from hotline.domain import spoken


@pytest.mark.parametrize(
    ("building", "room", "zh", "en"),
    [
        (12, "302", "12号楼302室", "building 12, room 302"),
        (5, "1201", "5号楼1201室", "building 5, room 1201"),
        ("7", "", "7号楼", "building 7"),
    ],
)
def test_a_household_is_said_as_building_and_room(building, room, zh, en):
    assert spoken.address(building, room, "zh") == zh
    assert spoken.address(building, room, "en") == en


@pytest.mark.parametrize(
    ("name", "zh", "en"),
    [
        ("李伟", "李伟", "Li Wei"),  # a Chinese name, whole; in pinyin for an English voice
        ("欧阳娜娜", "欧阳娜娜", "Ouyang Nana"),  # a surname of two characters
        ("曾小明", "曾小明", "Zeng Xiaoming"),  # a surname said otherwise than its everyday sound (ceng)
        ("吕 布", "吕布", "Lu Bu"),
        ("Li Wei", "Li Wei", "Li Wei"),  # pinyin: never "志愿者Li", the surname alone
        ("Sun Hong", "Sun Hong", "Sun Hong"),
        ("Tom Baker", "Tom", "Tom"),  # a first name
        ("Anna Müller", "Anna", "Anna"),
        ("Wang", "Wang", "Wang"),
        ("", "", ""),
    ],
)
def test_a_volunteer_is_named_as_the_listeners_language_names_them(name, zh, en):
    assert spoken.person(name, "zh") == zh
    assert spoken.person(name, "en") == en


def test_the_compounds_name_is_said_in_pinyin_in_english():
    assert spoken.place("春华苑", "zh") == "春华苑"
    assert spoken.place("春华苑", "en") == "Chun Hua Yuan"
    assert spoken.place("Sunny  Garden", "en") == "Sunny Garden"
