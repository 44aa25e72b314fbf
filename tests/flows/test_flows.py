"""Every flow of ivr_flows/: valid, wholly reachable, spoken from the catalogs, options from the menus."""

from __future__ import annotations

import ast
import copy
import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from hotline.domain import voice
from ivr_flows import engine, load_all

ROOT = Path(__file__).resolve().parents[2]
FLOWS = load_all()
CATALOGS = ("zh_Hans", "en")
PARAMS = set(voice._params({}, "zh", None))  # what hotline.domain.voice fills in


def catalog(locale: str) -> dict[str, str]:
    with (ROOT / "locales" / locale / "LC_MESSAGES" / "hotline.po").open("rb") as f:
        return {m.id: m.string for m in read_po(f, locale=locale) if m.id}


PO = {locale: catalog(locale) for locale in CATALOGS}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def option_ids(flow: engine.Flow) -> set[str]:
    found = {entry["prompt"] for node in flow.nodes.values() for entry in node.get("menu", {}).values()}
    return found | {flow.defaults["repeat_option"]["prompt"]}


def test_the_flows_are_there():
    assert {"voice", "receipt"} <= set(FLOWS)


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_every_target_exists_and_every_node_is_reachable(name):
    flow = FLOWS[name]
    seen, todo = set(), [flow.start]
    while todo:
        node_id = todo.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        for target in engine.targets(flow.node(node_id), flow.defaults):
            assert target in flow.nodes, f"{node_id} -> {target}"
            todo.append(target)
    assert seen == set(flow.nodes)


@pytest.mark.parametrize("name", sorted(FLOWS))
@pytest.mark.parametrize("locale", CATALOGS)
def test_every_message_id_is_in_every_catalog_with_the_placeholders_the_domain_fills(name, locale):
    for msgid in sorted(FLOWS[name].message_ids() | set(voice.KEY_NAMES.values())):
        assert PO[locale].get(msgid), f"{locale}: {msgid} is missing or empty"
        assert fields(PO[locale][msgid]) <= PARAMS, f"{locale}: {msgid} asks for what the call does not know"
        assert fields(PO[locale][msgid]) == fields(PO["zh_Hans"][msgid])


@pytest.mark.parametrize("name", sorted(FLOWS))
@pytest.mark.parametrize("locale", CATALOGS)
def test_an_option_says_its_key_from_the_menu_and_never_a_key_of_its_own(name, locale):
    for msgid in option_ids(FLOWS[name]):
        text = PO[locale][msgid]
        assert "{key}" in text and not re.search(r"\d", text), f"{locale}: {msgid} = {text!r}"


def spoken_keys(flow: engine.Flow, node_id: str, lang: str) -> list[str]:
    """The keys a caller hears for a menu, read back out of the rendered sentences."""
    prompts = engine.options(flow, flow.node(node_id), lang)
    star = {"zh": "星号键", "en": "star"}
    keys = []
    for say in voice.speak(tuple(prompts), {"lang": lang}):
        digits = re.findall(r"\d", say.text)
        keys.append(digits[-1] if digits else "*" if star[say.lang] in say.text else "?")
    return keys


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_spoken_options_are_generated_from_the_menu_entries(lang):
    flow = FLOWS["voice"]
    for node_id, node in flow.nodes.items():
        if node["type"] == "menu":
            assert spoken_keys(flow, node_id, lang) == [*node["menu"], "*"]
    # Move food to key 7: what is said follows what the keys do.
    data = copy.deepcopy({"name": flow.name, "languages": list(flow.languages), "start": flow.start,
                          "defaults": dict(flow.defaults), "nodes": dict(flow.nodes)})
    main = copy.deepcopy(data["nodes"]["main"])
    main["menu"] = {"7" if key == "1" else key: entry for key, entry in main["menu"].items()}
    data["nodes"]["main"] = main
    moved = engine.validate(data, "moved")
    assert spoken_keys(moved, "main", lang) == ["7", "2", "3", "4", "5", "0", "9", "*"]


def test_the_main_menu_is_the_specs():
    main = FLOWS["voice"].node("main")["menu"]
    assert list(main) == ["1", "2", "3", "4", "5", "0", "9"]
    assert {key: entry.get("set", {}).get("category") for key, entry in main.items() if key in "123"} == {
        "1": "food", "2": "medicine", "3": "help"}
    assert (main["4"]["goto"], main["5"]["set"], main["0"]["goto"], main["9"]["languages"]) == (
        "my_requests", {"for_other": True}, "person", ["en", "zh"])
    assert FLOWS["voice"].defaults["repeat_key"] == "*" and FLOWS["voice"].languages[0] == "zh"
    hints = set(engine.hints(FLOWS["voice"].node("main"), "zh")) | set(engine.hints(FLOWS["voice"].node("main"), "en"))
    assert {"买菜", "吃的", "药", "配药", "帮忙", "food", "medicine", "help"} <= hints


def test_paced_for_the_elderly():
    for flow in FLOWS.values():
        for node in flow.nodes.values():
            if node["type"] in engine.LISTENING:
                assert int(flow.setting(node, "timeout_s")) >= 8 and int(flow.setting(node, "max_retries")) == (
                    3 if flow.name == "voice" else 2)
            if node["type"] == "record":
                assert 60 <= int(flow.setting(node, "max_length_s")) <= 120


@pytest.mark.parametrize("key", ["1", "2", "3"])
def test_nothing_stands_between_a_known_callers_category_and_the_beep(key):
    flow = FLOWS["voice"]
    state, _ = engine.start(flow, {"known": True})
    state, turn = engine.step(flow, state, engine.Inbound(digits=key))
    assert isinstance(turn.then, engine.RecordMessage) and [p.msgid for p in turn.prompts] == ["voice.record_now"]


@pytest.mark.parametrize("known", [False, True])
def test_an_unknown_caller_or_key_five_goes_building_room_readback_beep(known):
    flow = FLOWS["voice"]
    state, _ = engine.start(flow, {"known": known})
    keys = ["5", "1"] if known else ["1"]
    for key in keys:
        state, turn = engine.step(flow, state, engine.Inbound(digits=key))
    waits = []
    for digits in ("12", "302", "1"):
        waits.append(state["node"])
        state, turn = engine.step(flow, state, engine.Inbound(digits=digits), {"building": str.isdigit})
    assert waits == ["building", "room", "confirm"] and isinstance(turn.then, engine.RecordMessage)


@pytest.mark.parametrize("module", ["hotline/domain/voice.py", "hotline/domain/voice_calls.py",
                                    "ivr_flows/engine.py", "ivr_flows/__init__.py"])
def test_the_call_domain_and_the_engine_import_neither_flask_nor_twilio(module):
    tree = ast.parse((ROOT / module).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.split(".")[0] in ("flask", "twilio", "werkzeug")}
