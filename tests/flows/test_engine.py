"""The flow engine on small flows of its own: stepping, retries, checks, languages, validation."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest

from ivr_flows import engine
from ivr_flows.engine import FlowError, Inbound

MINI = {
    "name": "mini",
    "languages": ["zh", "en"],
    "start": "hello",
    "defaults": {"timeout_s": 8, "max_retries": 3, "exhausted": "person", "speech": True, "repeat_key": "*",
                 "repeat_option": {"prompt": "repeat"}, "wrong": {"prompt": "wrong"}, "max_length_s": 90,
                 "silence_s": 8, "ring_s": 20},
    "nodes": {
        "hello": {"type": "branch", "if": ["known", "!other"], "then": "hi_known", "else": "hi"},
        "hi_known": {"type": "say", "prompts": ["hi.known"], "next": "menu"},
        "hi": {"type": "say", "prompts": ["hi"], "next": "menu"},
        "menu": {"type": "menu", "menu": {
            "1": {"prompt": "opt.food", "set": {"category": "food"}, "goto": "where",
                  "speech": {"zh": ["买菜"], "en": ["food"]}},
            "2": {"prompt": "opt.medicine", "set": {"category": "medicine"}, "goto": "where",
                  "speech": {"zh": ["药"], "en": ["medicine"]}},
            "9": {"prompt": "opt.language", "languages": ["en", "zh"], "goto": "hello",
                  "speech": {"zh": ["英语"], "en": ["chinese"]}},
        }},
        "where": {"type": "branch", "if": "known", "then": "record", "else": "building"},
        "building": {"type": "digits", "prompts": ["ask.building"], "store": "building", "check": "building",
                     "invalid": {"prompt": "bad.building"}, "next": "confirm", "digits_timeout_s": 10},
        "confirm": {"type": "menu", "prompts": ["readback"], "menu": {
            "1": {"prompt": "opt.yes", "goto": "record", "speech": {"zh": ["对"], "en": ["yes"]}},
            "2": {"prompt": "opt.no", "goto": "building", "speech": {"zh": ["不对"], "en": ["no"]}},
        }},
        "record": {"type": "record", "prompts": ["beep"], "next": "file"},
        "file": {"type": "do", "action": "open", "next": "done"},
        "done": {"type": "end", "prompts": ["number"]},
        "person": {"type": "dial", "prompts": ["connecting"], "on": {"completed": "bye"}, "else": "sorry"},
        "sorry": {"type": "end", "prompts": ["callback"]},
        "bye": {"type": "end"},
    },
}


@pytest.fixture
def flow():
    return engine.validate(copy.deepcopy(MINI), "mini")


def ids(turn) -> list[str]:
    return [p.msgid for p in turn.prompts]


def test_start_runs_through_branch_and_say_to_the_menu_and_speaks_its_options(flow):
    state, turn = engine.start(flow, {"known": True})
    assert state["node"] == "menu" and state["lang"] == "zh" and state["tries"] == 0
    assert ids(turn) == ["hi.known", "opt.food", "opt.medicine", "opt.language", "repeat"]
    assert [p.key for p in turn.prompts] == [None, "1", "2", "9", "*"]
    assert [p.lang for p in turn.prompts] == ["zh", "zh", "zh", "en", "zh"]  # the other language, in it
    listen = turn.then
    assert (listen.kind, listen.num_digits, listen.timeout_s, listen.speech) == ("menu", 1, 8, True)
    assert listen.hints == ("买菜", "药", "英语")


def test_a_negated_flag_in_a_branch(flow):
    _, turn = engine.start(flow, {"known": True, "other": True})
    assert ids(turn)[0] == "hi"


def test_a_key_sets_what_the_entry_says_and_goes_on(flow):
    state, _ = engine.start(flow, {"known": True})
    state, turn = engine.step(flow, state, Inbound(digits="2"))
    assert state["category"] == "medicine" and state["node"] == "record"
    assert ids(turn) == ["beep"] and turn.then == engine.RecordMessage(90, 8)
    state, turn = engine.step(flow, state, Inbound(event="recorded"))
    assert turn.then == engine.Do("open") and state["node"] == "file"
    state, turn = engine.step(flow, state, Inbound(event="done"))
    assert ids(turn) == ["number"] and isinstance(turn.then, engine.End)


def test_step_never_changes_the_state_it_is_given(flow):
    state, _ = engine.start(flow, {})
    frozen = copy.deepcopy(state)
    engine.step(flow, state, Inbound(digits="1"))
    engine.step(flow, state, Inbound())
    assert state == frozen


def test_silence_and_wrong_keys_repeat_then_the_third_goes_to_a_person(flow):
    state, _ = engine.start(flow, {})
    state, turn = engine.step(flow, state, Inbound())
    assert turn.failed and state["tries"] == 1 and ids(turn)[0] == "opt.food"
    state, turn = engine.step(flow, state, Inbound(digits="7"))
    assert state["tries"] == 2 and ids(turn)[:2] == ["wrong", "opt.food"]
    state, turn = engine.step(flow, state, Inbound(speech="今天天气不错"))
    assert state["node"] == "person" and state["tries"] == 0 and ids(turn) == ["wrong", "connecting"]
    assert turn.then == engine.CallPerson(20)


def test_the_repeat_key_repeats_without_using_up_a_try(flow):
    state, _ = engine.start(flow, {})
    state, _ = engine.step(flow, state, Inbound())
    for _ in range(5):
        state, turn = engine.step(flow, state, Inbound(digits="*"))
        assert not turn.failed and state["tries"] == 1 and ids(turn)[0] == "opt.food"


def test_a_new_node_starts_its_tries_again(flow):
    state, _ = engine.start(flow, {})
    state, _ = engine.step(flow, state, Inbound())
    state, _ = engine.step(flow, state, Inbound())
    state, turn = engine.step(flow, state, Inbound(digits="1"))
    assert state["node"] == "building" and state["tries"] == 0
    assert turn.then.kind == "digits" and turn.then.finish_on_key == "#" and turn.then.timeout_s == 10


def test_digits_are_checked_and_kept(flow):
    checks = {"building": lambda value: value in {"5", "12"}}
    state, _ = engine.start(flow, {})
    state, _ = engine.step(flow, state, Inbound(digits="1"), checks)
    state, turn = engine.step(flow, state, Inbound(digits="99"), checks)
    assert ids(turn) == ["bad.building", "ask.building"] and state["input"] == "99" and "building" not in state
    state, turn = engine.step(flow, state, Inbound(digits="*"), checks)
    assert ids(turn) == ["ask.building"] and state["tries"] == 1
    state, turn = engine.step(flow, state, Inbound(digits="12"), checks)
    assert state["building"] == "12" and ids(turn)[0] == "readback"


def test_the_longest_word_heard_wins_and_english_words_are_whole_words(flow):
    node = flow.node("confirm")
    assert engine.choose(node, "不对，不对", "zh") == "2"
    assert engine.choose(node, "对的", "zh") == "1"
    assert engine.choose(node, "I don't know", "en") is None  # "no" is not in "know"
    assert engine.choose(node, "No.", "en") == "2"
    assert engine.choose(node, "yes", "zh") is None  # words are heard in the call's language only


def test_a_language_entry_switches_to_the_other_language_each_way(flow):
    state, _ = engine.start(flow, {})
    state, turn = engine.step(flow, state, Inbound(digits="9"))
    assert state["lang"] == "en" and ids(turn)[0] == "hi"
    assert [p.lang for p in turn.prompts] == ["en", "en", "en", "zh", "en"]
    state, turn = engine.step(flow, state, Inbound(speech="Chinese please"))
    assert state["lang"] == "zh"


def test_dial_outcomes(flow):
    state, _ = engine.start(flow, {"node": "x"}, node="person")
    _, turn = engine.step(flow, state, Inbound(event="completed"))
    assert ids(turn) == [] and isinstance(turn.then, engine.End)
    _, turn = engine.step(flow, state, Inbound(event="no-answer"))
    assert ids(turn) == ["callback"]


def test_an_unknown_node_in_the_state_starts_again(flow):
    state, turn = engine.step(flow, {"node": "gone", "lang": "zh"}, Inbound(digits="1"))
    assert state["node"] == "menu"


@pytest.mark.parametrize(("change", "message"), [
    (lambda f: f["nodes"]["menu"]["menu"]["1"].update(goto="nowhere"), "target 'nowhere' is not a node"),
    (lambda f: f["nodes"].update(island={"type": "end"}), "island: not reachable"),
    (lambda f: f["nodes"]["menu"].update(timeout_s=5), "timeout under 8 s"),
    (lambda f: f["nodes"]["menu"]["menu"].update({"*": {"prompt": "x", "goto": "hello"}}), "is the repeat key"),
    (lambda f: f["nodes"]["menu"]["menu"].update({"12": {"prompt": "x", "goto": "hello"}}), "not a phone key"),
    (lambda f: f["nodes"]["hi"].update(prompts="hi"), "`prompts` is a list"),
    (lambda f: f["nodes"]["hi"].update(type="speak"), "unknown type"),
    (lambda f: f.update(start="nope"), "start 'nope' is not a node"),
    (lambda f: f["nodes"]["menu"]["menu"]["1"].update(speech={"fr": ["manger"]}), "maps a flow language"),
    (lambda f: f["nodes"]["menu"]["menu"]["9"].update(languages=["yue"]), "a language the flow does not have"),
    (lambda f: f["nodes"]["record"].pop("next"), "record needs `next`"),
    (lambda f: f["defaults"].update(max_retries=0), "`max_retries` must be at least 1"),
])
def test_validation_refuses_a_broken_flow(change, message):
    broken = copy.deepcopy(MINI)
    change(broken)
    with pytest.raises(FlowError, match=message):
        engine.validate(broken, "mini")


def test_a_loop_without_waiting_is_caught():
    looping = copy.deepcopy(MINI)
    looping["nodes"]["hi"]["next"] = "hello"  # a stranger goes round hello -> hi -> hello
    flow = engine.validate(looping, "mini")
    with pytest.raises(FlowError, match="without waiting"):
        engine.start(flow, {})


# --------------------------------------------------------------------------------------------
# Words read by the domain: what they mean, an interrupt, the closest choices
# --------------------------------------------------------------------------------------------
def reading_flow() -> engine.Flow:
    """MINI with entries that mean something, an emergency interrupt and a menu of closest choices."""
    data = copy.deepcopy(MINI)
    data["defaults"]["interrupts"] = {"emergency": {"goto": "advice", "set": {"emergency": True}}}
    menu = data["nodes"]["menu"]
    menu["unsure"] = "unsure"
    menu["menu"]["1"]["means"], menu["menu"]["2"]["means"] = "food", "medicine"
    data["nodes"]["unsure"] = {"type": "menu", "prompts": ["unclear"], "offer": "choices", "repeat_goto": "menu",
                               "repeat_option": {"prompt": "all"},
                               "menu": {key: copy.deepcopy(menu["menu"][key]) for key in ("1", "2")}}
    data["nodes"]["advice"] = {"type": "say", "prompts": ["call.120"], "next": "person"}
    return engine.validate(data, "reading")


def test_words_that_mean_an_entry_choose_it_and_keep_what_else_they_said():
    flow = reading_flow()
    state, _ = engine.start(flow, {"known": True})
    words = Inbound(speech="降压药吃完了", means="medicine", facts={"urgent": True, "details": "降压药吃完了"})
    state, turn = engine.step(flow, state, words)
    assert (state["category"], state["urgent"], state["details"], state["node"]) == (
        "medicine", True, "降压药吃完了", "record")
    state, _ = engine.start(flow, {"known": True})
    state, _ = engine.step(flow, state, Inbound(speech="买菜", facts={"details": "买菜"}))  # the entry's own word
    assert state["category"] == "food" and "details" not in state  # facts go only with what the words meant
    state, _ = engine.start(flow, {"known": True})
    state, _ = engine.step(flow, state, Inbound(digits="2", means="food", facts={"urgent": True}))
    assert state["category"] == "medicine" and "urgent" not in state  # a key is a key


def test_an_interrupt_leaves_any_menu_or_number_entry_once():
    flow = reading_flow()
    for keys in ([], ["1"]):  # at the menu, at the building number
        state, _ = engine.start(flow, {})
        for key in keys:
            state, _ = engine.step(flow, state, Inbound(digits=key))
        state, turn = engine.step(flow, state, Inbound(speech="救命", means="emergency", facts={"details": "救命"}))
        assert ids(turn) == ["call.120", "connecting"] and turn.then == engine.CallPerson(20)
        assert state["emergency"] is True and state["details"] == "救命"
    state, _ = engine.start(flow, {"emergency": True}, node="building")
    state, turn = engine.step(flow, state, Inbound(speech="救命", means="emergency"))
    assert state["node"] == "building" and turn.failed  # already on its path: not taken again


def test_a_nodes_interrupts_add_to_the_flows_and_null_takes_one_away():
    flow = reading_flow()
    data = copy.deepcopy({"name": flow.name, "languages": list(flow.languages), "start": flow.start,
                          "defaults": dict(flow.defaults), "nodes": dict(flow.nodes)})
    data["nodes"]["menu"]["interrupts"] = {"thanks": {"goto": "hi"}}
    data["nodes"]["building"]["interrupts"] = {"emergency": None}
    flow = engine.validate(data, "merged")
    assert set(engine.interrupts(flow.node("menu"), flow.defaults)) == {"emergency", "thanks"}
    state, _ = engine.start(flow, {})
    thanked, turn = engine.step(flow, state, Inbound(speech="谢谢", means="thanks"))
    assert ids(turn)[0] == "hi" and thanked["node"] == "menu"
    state, _ = engine.step(flow, state, Inbound(digits="1"))
    state, turn = engine.step(flow, state, Inbound(speech="救命", means="emergency"))
    assert state["node"] == "building" and turn.failed  # taken away here


def test_unclear_words_go_to_the_closest_choices_which_speak_only_those():
    flow = reading_flow()
    state, _ = engine.start(flow, {"known": True})
    state, turn = engine.step(flow, state, Inbound(speech="胰岛树", choices=("2", "7", "1"), facts={"details": "x"}))
    assert state["node"] == "unsure" and state["choices"] == ["2", "1"] and state["details"] == "x"
    assert ids(turn) == ["unclear", "opt.medicine", "opt.food", "all"] and [p.key for p in turn.prompts][1:] == [
        "2", "1", "*"]
    again, turn = engine.step(flow, state, Inbound(digits="*"))
    assert again["node"] == "menu" and ids(turn)[0] == "opt.food"  # the star gives the whole menu
    state, turn = engine.step(flow, state, Inbound(digits="2"))
    assert state["category"] == "medicine" and state["node"] == "record"
    state, _ = engine.start(flow, {})
    state, turn = engine.step(flow, state, Inbound(speech="今天天气不错"))
    assert state["node"] == "menu" and ids(turn)[0] == "wrong"  # nothing close: the menu again


@pytest.mark.parametrize(("change", "message"), [
    (lambda f: f["defaults"]["interrupts"].update(fire={"goto": "nowhere"}), "interrupt 'fire': target 'nowhere'"),
    (lambda f: f["defaults"]["interrupts"].update(fire={"set": {}}), "interrupt 'fire' needs `goto`"),
    (lambda f: f["nodes"]["unsure"].pop("offer"), "is not a menu that `offer`s"),
    (lambda f: f["nodes"]["unsure"]["menu"]["1"].update(prompt="opt.medicine"), "key '1' is another option"),
])
def test_validation_refuses_broken_reading(change, message):
    flow = reading_flow()
    data = copy.deepcopy({"name": flow.name, "languages": list(flow.languages), "start": flow.start,
                          "defaults": dict(flow.defaults), "nodes": dict(flow.nodes)})
    change(data)
    with pytest.raises(FlowError, match=message):
        engine.validate(data, "broken")


def test_the_engine_imports_neither_flask_nor_twilio():
    code = ("import sys, ivr_flows, ivr_flows.engine; ivr_flows.flow('voice'); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'twilio', 'hotline')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
