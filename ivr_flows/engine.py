"""A small, pure engine for conversations kept as data: `step(flow, state, inbound) -> (state, turn)`.

The contract (RapidPro's idea, at our scale). A flow is named nodes; the state is a JSON-able dict
that remembers the node the call waits at (`node`), the failed tries there (`tries`), the caller's
language (`lang`) and whatever the flow's menus `set`. The engine imports nothing of the hotline,
of Flask or of Twilio: it says which message ids to speak and what to wait for next, and the domain
renders that as typed replies.

Node types (every field is checked by `validate` when the flow is loaded):

    say     speak `prompts`, go on to `next` without waiting
    branch  `if` names state flags (all must hold; a leading `!` negates) -> `then`, else `else`
    menu    speak `prompts`, then one option per `menu` entry, generated from the entry's `prompt`
            and its key, so what the caller hears and what the keys do cannot disagree; wait for
            one key or for words: what the domain read the words to mean (an entry's `means`),
            else the entry's `speech` words (also the recogniser's hints). Words that mean no
            entry but come close to some (`Inbound.choices`) go to the node's `unsure` menu, which
            speaks only those entries (its `offer` names the state key that holds them)
    digits  speak `prompts`; wait for keys ended by `#` (or words the domain turned into digits),
            keep them in `store` when the domain's `check` accepts them, go on to `next`
    do      ask the domain to do `action`; its outcome (an event) picks `on[event]`, else `next`
    record  wait for a voice message after the beep, then go on to `next`
    dial    wait for a call to a person; its outcome picks `on[outcome]`, else `else`
    end     speak `prompts` and hang up

At a menu or digits node the repeat key (`*`) and silence repeat the node (or go to its
`repeat_goto`); silence, a key that is no option and digits the check refuses are failed tries, and
after `max_retries` of them the call goes to `exhausted` (the node's, else the flow's default: a
person).

Interrupts: words that mean something grave (`Inbound.means`, e.g. `emergency`) leave any menu or
digits node for the target the flow's `interrupts` give that meaning (`{"goto", "set"}`), whatever
the node was asking; a node's own `interrupts` add to the flow's (`null` takes one away there); an
interrupt whose `set` already holds is not taken again. Words that are acted on (an entry chosen by
what they mean, an interrupt, choices offered) keep what else they said (`Inbound.facts`: the
details, the urgency, an address) in the state.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LISTENING = ("menu", "digits")
WAITING = (*LISTENING, "record", "dial", "do", "end")
NODE_TYPES = ("say", "branch", *WAITING)
KEYS = frozenset("0123456789*#")
MIN_TIMEOUT_S = 8  # elderly callers: never rush a key press
MAX_HOPS = 64  # a flow that loops through non-waiting nodes is a defect, not a conversation


class FlowError(ValueError):
    """A flow file that cannot be run: a missing target, an unreachable node, a bad field."""


@dataclass(frozen=True)
class Flow:
    """A validated flow: its name, its start node, defaults and nodes (plain data from JSON)."""

    name: str
    start: str
    languages: tuple[str, ...]
    defaults: Mapping[str, Any]
    nodes: Mapping[str, Mapping[str, Any]]

    def node(self, node_id: str) -> Mapping[str, Any]:
        """Return a node by id."""
        return self.nodes[node_id]

    def setting(self, node: Mapping[str, Any], name: str) -> Any:
        """Return a node's setting, else the flow's default for it."""
        return flow_setting(node, self.defaults, name)

    def message_ids(self) -> set[str]:
        """Return every message id the flow can speak."""
        ids: set[str] = set()
        for node in self.nodes.values():
            ids.update(node.get("prompts", ()))
            if "invalid" in node:
                ids.add(node["invalid"]["prompt"])
            for key in ("wrong", "repeat_option"):
                if key in node:
                    ids.add(node[key]["prompt"])
            for entry in node.get("menu", {}).values():
                ids.add(entry["prompt"])
        for key in ("wrong", "repeat_option"):
            if key in self.defaults:
                ids.add(self.defaults[key]["prompt"])
        return ids


@dataclass(frozen=True)
class Inbound:
    """What the caller did at a waiting node, or what the domain reports for it.

    digits   keys pressed, without the finish key ("" when none)
    speech   the words the recogniser heard ("" when none)
    event    a `do` action's outcome, a dial outcome (`completed`, `no-answer`…) or `recorded`
    means    what the domain read the words to mean: an `interrupts` name or an entry's `means`
    choices  the keys of the entries the words come close to, closest first, when they mean none
    facts    what else the words said (details, urgency, address), kept when they are acted on
    Nothing at all is silence: the wait timed out.
    """

    digits: str = ""
    speech: str = ""
    event: str | None = None
    means: str | None = None
    choices: tuple[str, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Prompt:
    """One message to speak: its id, the language to speak it in, and the key an option is on."""

    msgid: str
    lang: str
    key: str | None = None


@dataclass(frozen=True)
class Listen:
    """Wait for keys (and words): one key at a menu, keys ended by `#` for digits."""

    node: str
    kind: str  # `menu` or `digits`
    timeout_s: int
    num_digits: int | None
    finish_on_key: str
    speech: bool
    hints: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordMessage:
    """Record a voice message after the beep; it ends on `#` or `silence_s` of silence."""

    max_length_s: int
    silence_s: int


@dataclass(frozen=True)
class CallPerson:
    """Put the caller through to a person (the domain knows who), ringing `timeout_s`."""

    timeout_s: int


@dataclass(frozen=True)
class Do:
    """Ask the domain to do `action`, then step again with its outcome as the event."""

    action: str


@dataclass(frozen=True)
class End:
    """Hang up."""


Next = Listen | RecordMessage | CallPerson | Do | End


@dataclass(frozen=True)
class Turn:
    """What to say, then what to wait for."""

    prompts: tuple[Prompt, ...]
    then: Next
    failed: bool = field(default=False)  # the input was silence or wrong (a try was used up)


Check = Callable[[str], bool]


# --------------------------------------------------------------------------------------------
# Stepping
# --------------------------------------------------------------------------------------------
def start(flow: Flow, state: Mapping[str, Any] | None = None, node: str | None = None) -> tuple[dict, Turn]:
    """Enter the flow at its start (or at `node`) and run to the first thing to wait for."""
    state = dict(state or {})
    state.setdefault("lang", flow.languages[0])
    return _enter(flow, state, node or flow.start, [])


def step(
    flow: Flow, state: Mapping[str, Any], inbound: Inbound, checks: Mapping[str, Check] | None = None
) -> tuple[dict, Turn]:
    """Take what happened at the node the state waits at; return the new state and the next turn.

    `checks` are the domain's named checks for digits nodes (`building`: is it the compound's?).
    The state given is never changed.
    """
    state = dict(state)
    node_id = state.get("node") or flow.start
    if node_id not in flow.nodes:
        return _enter(flow, state, flow.start, [])
    node = flow.node(node_id)
    kind = node["type"]
    interrupt = _interrupt(flow, state, node, inbound) if kind in LISTENING else None
    if interrupt is not None:
        state.update(inbound.facts)
        state.update(interrupt.get("set", {}))
        return _enter(flow, state, interrupt["goto"], [])
    if kind == "menu":
        return _menu_input(flow, state, node_id, node, inbound)
    if kind == "digits":
        return _digits_input(flow, state, node_id, node, inbound, checks or {})
    if kind == "do":
        target = node.get("on", {}).get(inbound.event or "", node.get("next"))
        return _enter(flow, state, target, [])
    if kind == "record":
        return _enter(flow, state, node["next"], [])
    if kind == "dial":
        target = node.get("on", {}).get(inbound.event or "", node["else"])
        return _enter(flow, state, target, [])
    # an ended call (or a non-waiting node) that hears more: say goodbye again
    return _enter(flow, state, node_id, [])


def options(flow: Flow, node: Mapping[str, Any], lang: str, state: Mapping[str, Any] | None = None) -> list[Prompt]:
    """The spoken options of a menu, one per entry, in the menu's order, then the repeat key.

    A menu that `offer`s only some entries speaks those the state names, in the state's order
    (all of them when it names none).
    """
    menu = node["menu"]
    offered = [key for key in (state or {}).get(node["offer"], ()) if key in menu] if "offer" in node else []
    spoken = []
    for key in offered or menu:
        switch = _language_of(menu[key], lang)
        spoken.append(Prompt(menu[key]["prompt"], switch or lang, key))
    repeat = flow.defaults.get("repeat_key")
    repeat_option = flow.setting(node, "repeat_option")
    if repeat and repeat_option and flow.setting(node, "say_repeat") is not False:
        spoken.append(Prompt(repeat_option["prompt"], lang, repeat))
    return spoken


def hints(node: Mapping[str, Any], lang: str) -> tuple[str, ...]:
    """The words a menu listens for in `lang`, for the recogniser."""
    words: list[str] = []
    for entry in node.get("menu", {}).values():
        words.extend(entry.get("speech", {}).get(lang, ()))
    return tuple(dict.fromkeys(words))


def choose(node: Mapping[str, Any], speech: str, lang: str) -> str | None:
    """The menu key that words in `lang` mean: the entry with the longest word heard ("不对" beats "对").

    Chinese words are found anywhere in what was heard; English words only as whole words
    ("no" is not in "know").
    """
    heard = " ".join(speech.lower().split())
    if not heard:
        return None
    best: tuple[int, str] | None = None
    for key, entry in node.get("menu", {}).items():
        for word in entry.get("speech", {}).get(lang, ()):
            word = word.lower()
            found = re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", heard) if word.isascii() else word in heard
            if found and (best is None or len(word) > best[0]):
                best = (len(word), key)
    return best[1] if best else None


def meant(node: Mapping[str, Any], means: str | None) -> str | None:
    """The menu key whose entry `means` what the words were read to mean."""
    if not means:
        return None
    return next((key for key, entry in node.get("menu", {}).items() if entry.get("means") == means), None)


def _menu_input(flow: Flow, state: dict, node_id: str, node: Mapping, inbound: Inbound) -> tuple[dict, Turn]:
    lang = state["lang"]
    by_words = not inbound.digits and bool(inbound.speech)
    if inbound.digits:
        key = inbound.digits[:1]
    else:
        key = meant(node, inbound.means) or choose(node, inbound.speech, lang)
    if key and key == flow.defaults.get("repeat_key") and key not in node["menu"]:
        return _enter(flow, state, node.get("repeat_goto", node_id), [])
    if key is None and not inbound.digits and not inbound.speech:
        return _failed(flow, state, node_id, node, [])
    entry = node["menu"].get(key) if key else None
    if entry is None and by_words and inbound.choices and "unsure" in node:
        unsure = flow.node(node["unsure"])
        offered = [k for k in dict.fromkeys(inbound.choices) if k in unsure["menu"]]
        if offered:
            state.update(inbound.facts)
            state[unsure["offer"]] = offered
            return _enter(flow, state, node["unsure"], [])
    if entry is None:
        wrong = node.get("wrong", flow.defaults.get("wrong"))
        return _failed(flow, state, node_id, node, [Prompt(wrong["prompt"], lang)] if wrong else [])
    for name, value in entry.get("set", {}).items():
        state[name] = value
    if by_words and inbound.means:
        state.update(inbound.facts)
    switch = _language_of(entry, lang)
    if switch:
        state["lang"] = switch
    return _enter(flow, state, entry["goto"], [])


def _digits_input(
    flow: Flow, state: dict, node_id: str, node: Mapping, inbound: Inbound, checks: Mapping[str, Check]
) -> tuple[dict, Turn]:
    value = inbound.digits.strip().rstrip("#")
    if "*" in value:
        return _enter(flow, state, node_id, [])
    if not value:
        return _failed(flow, state, node_id, node, [])
    check = checks.get(node.get("check", ""))
    if check is not None and not check(value):
        state["input"] = value
        invalid = node.get("invalid")
        return _failed(flow, state, node_id, node, [Prompt(invalid["prompt"], state["lang"])] if invalid else [])
    state[node["store"]] = value
    return _enter(flow, state, node["next"], [])


def _interrupt(flow: Flow, state: Mapping, node: Mapping, inbound: Inbound) -> Mapping | None:
    """The interrupt the words call for, unless its `set` already holds (taken once)."""
    if not inbound.means or inbound.digits:
        return None
    interrupt = interrupts(node, flow.defaults).get(inbound.means)
    if interrupt is None:
        return None
    done = interrupt.get("set") and all(state.get(name) == value for name, value in interrupt["set"].items())
    return None if done else interrupt


def _failed(flow: Flow, state: dict, node_id: str, node: Mapping, said: list[Prompt]) -> tuple[dict, Turn]:
    """A silent or wrong try: repeat the node, or after the last try go where the node says."""
    state["tries"] = int(state.get("tries", 0)) + 1
    if state["tries"] >= int(flow.setting(node, "max_retries")):
        state, turn = _enter(flow, state, flow.setting(node, "exhausted"), said)
    else:
        state, turn = _enter(flow, state, node_id, said)
    return state, Turn(turn.prompts, turn.then, failed=True)


def _enter(flow: Flow, state: dict, node_id: str, said: list[Prompt]) -> tuple[dict, Turn]:
    """Run from `node_id` through say and branch nodes to the first node that waits."""
    prompts = list(said)
    for _ in range(MAX_HOPS):
        node = flow.node(node_id)
        if node_id != state.get("node"):  # a new node: its tries start again; a repeat keeps them
            state["tries"] = 0
        state["node"] = node_id
        lang = state["lang"]
        kind = node["type"]
        if kind == "branch":
            node_id = node["then"] if _holds(state, node["if"]) else node["else"]
            continue
        prompts.extend(Prompt(msgid, lang) for msgid in node.get("prompts", ()))
        if kind == "say":
            node_id = node["next"]
            continue
        then = _wait(flow, node_id, node, state, prompts)  # a menu adds its spoken options
        return state, Turn(tuple(prompts), then)
    raise FlowError(f"{flow.name}: more than {MAX_HOPS} nodes without waiting, from {node_id}")


def _wait(flow: Flow, node_id: str, node: Mapping, state: Mapping, prompts: list[Prompt]) -> Next:
    kind = node["type"]
    lang = state["lang"]
    if kind == "menu":
        prompts.extend(options(flow, node, lang, state))
        return Listen(node_id, "menu", int(flow.setting(node, "timeout_s")), 1, "", _speech(flow, node),
                      hints(node, lang))
    if kind == "digits":
        return Listen(node_id, "digits", int(flow.setting(node, "digits_timeout_s") or flow.setting(node, "timeout_s")),
                      None, "#", _speech(flow, node))
    if kind == "record":
        return RecordMessage(int(flow.setting(node, "max_length_s")), int(flow.setting(node, "silence_s")))
    if kind == "dial":
        return CallPerson(int(flow.setting(node, "ring_s")))
    if kind == "do":
        return Do(node["action"])
    return End()


def _speech(flow: Flow, node: Mapping) -> bool:
    return bool(flow.setting(node, "speech"))


def _holds(state: Mapping[str, Any], condition: str | list[str]) -> bool:
    flags = [condition] if isinstance(condition, str) else condition
    return all(not state.get(f[1:]) if f.startswith("!") else bool(state.get(f)) for f in flags)


def _language_of(entry: Mapping, lang: str) -> str | None:
    """The language an entry switches to: the first of its `languages` that is not the caller's."""
    return next((other for other in entry.get("languages", ()) if other != lang), None)


# --------------------------------------------------------------------------------------------
# Loading and validating
# --------------------------------------------------------------------------------------------
FLOWS_DIR = Path(__file__).resolve().parent


def load(name: str, directory: Path = FLOWS_DIR) -> Flow:
    """Read `<name>.json` and validate it; a bad flow raises FlowError."""
    path = directory / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise FlowError(f"{path.name}: {e}") from e
    return validate(data, name)


def load_all(directory: Path = FLOWS_DIR) -> dict[str, Flow]:
    """Load and validate every flow file of the folder."""
    return {path.stem: load(path.stem, directory) for path in sorted(directory.glob("*.json"))}


def validate(data: Any, name: str = "flow") -> Flow:
    """Check a flow's shape, targets, reachability and timeouts; return it as a Flow."""
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict) or not data["nodes"]:
        raise FlowError(f"{name}: a flow is an object with `nodes`")
    nodes: dict = data["nodes"]
    defaults: dict = data.get("defaults", {})
    languages = tuple(data.get("languages", ()))
    problems: list[str] = []
    if not languages:
        problems.append("no `languages`")
    start_id = data.get("start")
    if start_id not in nodes:
        problems.append(f"start {start_id!r} is not a node")
    if defaults.get("exhausted") is not None and defaults["exhausted"] not in nodes:
        problems.append(f"defaults.exhausted {defaults['exhausted']!r} is not a node")
    if defaults.get("repeat_key") is not None and defaults["repeat_key"] not in KEYS:
        problems.append("defaults.repeat_key is not a phone key")
    problems.extend(f"defaults: {p}" for p in _interrupt_problems(defaults.get("interrupts"), nodes))
    for node_id, node in nodes.items():
        problems.extend(f"{node_id}: {p}" for p in _node_problems(node_id, node, nodes, defaults, languages))
    if not problems:
        reachable = _reachable(start_id, nodes, defaults)
        problems.extend(f"{node_id}: not reachable from {start_id}" for node_id in nodes if node_id not in reachable)
    if problems:
        raise FlowError(f"{name}: " + "; ".join(problems))
    return Flow(name=data.get("name", name), start=start_id, languages=languages, defaults=defaults, nodes=nodes)


def targets(node: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> list[str]:
    """Every node a node can lead to."""
    found = [node[k] for k in ("next", "then", "else", "unsure", "repeat_goto") if isinstance(node.get(k), str)]
    found += [entry.get("goto") for entry in node.get("menu", {}).values()]
    found += list(node.get("on", {}).values())
    if node.get("type") in LISTENING:
        exhausted = node.get("exhausted", (defaults or {}).get("exhausted"))
        found.append(exhausted)
        found += [entry.get("goto") for entry in interrupts(node, defaults).values() if isinstance(entry, dict)]
    return [t for t in found if t is not None]


def _node_problems(node_id: str, node: Any, nodes: dict, defaults: dict, languages: tuple[str, ...]) -> list[str]:
    if not isinstance(node, dict):
        return ["a node is an object"]
    kind = node.get("type")
    if kind not in NODE_TYPES:
        return [f"unknown type {kind!r}"]
    problems = []
    required = {
        "say": ("next",), "branch": ("if", "then", "else"), "menu": ("menu",), "digits": ("store", "next"),
        "do": ("action",), "record": ("next",), "dial": ("else",), "end": (),
    }[kind]
    problems += [f"{kind} needs `{key}`" for key in required if key not in node]
    prompts = node.get("prompts", [])
    if not isinstance(prompts, list) or not all(isinstance(p, str) and p for p in prompts):
        problems.append("`prompts` is a list of message ids")
    if kind == "do" and "next" not in node and not node.get("on"):
        problems.append("do needs `next` or `on`")
    for target in targets(node, defaults):
        if target not in nodes:
            problems.append(f"target {target!r} is not a node")
    if kind in LISTENING:
        if flow_setting(node, defaults, "exhausted") is None:
            problems.append("no `exhausted` target (node or defaults)")
        if int(flow_setting(node, defaults, "max_retries") or 0) < 1:
            problems.append("`max_retries` must be at least 1")
        timeout = flow_setting(node, defaults, "digits_timeout_s" if kind == "digits" else "timeout_s")
        timeout = timeout or flow_setting(node, defaults, "timeout_s")
        if int(timeout or 0) < MIN_TIMEOUT_S:
            problems.append(f"timeout under {MIN_TIMEOUT_S} s")
    if kind == "menu":
        problems += _menu_problems(node, defaults, languages)
        problems += _unsure_problems(node, nodes)
    if "interrupts" in node:
        problems += _interrupt_problems(node["interrupts"], nodes)
    if kind == "record":
        for key in ("max_length_s", "silence_s"):
            if not int(flow_setting(node, defaults, key) or 0):
                problems.append(f"record needs `{key}`")
    if kind == "dial" and not int(flow_setting(node, defaults, "ring_s") or 0):
        problems.append("dial needs `ring_s`")
    for key in ("invalid", "wrong", "repeat_option"):
        if key in node and not (isinstance(node[key], dict) and isinstance(node[key].get("prompt"), str)):
            problems.append(f"`{key}` is {{\"prompt\": message id}}")
    return problems


def _menu_problems(node: dict, defaults: dict, languages: tuple[str, ...]) -> list[str]:
    problems = []
    menu = node["menu"]
    if not isinstance(menu, dict) or not menu:
        return ["`menu` is a non-empty object"]
    for key, entry in menu.items():
        if key not in KEYS or len(key) != 1:
            problems.append(f"menu key {key!r} is not a phone key")
        if key == defaults.get("repeat_key"):
            problems.append(f"menu key {key!r} is the repeat key")
        if not isinstance(entry, dict) or not isinstance(entry.get("prompt"), str) or "goto" not in entry:
            problems.append(f"menu {key!r} needs `prompt` and `goto`")
            continue
        speech = entry.get("speech", {})
        if not isinstance(speech, dict) or any(lang not in languages for lang in speech):
            problems.append(f"menu {key!r}: `speech` maps a flow language to words")
        if any(lang not in languages for lang in entry.get("languages", ())):
            problems.append(f"menu {key!r}: switches to a language the flow does not have")
    return problems


def interrupts(node: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> dict[str, Mapping]:
    """The interrupts at a node: the flow's, with the node's own added (or, as `null`, taken away)."""
    given = [(defaults or {}).get("interrupts"), node.get("interrupts")]
    merged = {name: entry for each in given if isinstance(each, dict) for name, entry in each.items()}
    return {name: entry for name, entry in merged.items() if entry is not None}


def _unsure_problems(node: dict, nodes: dict) -> list[str]:
    """A menu's `unsure` menu offers from the state, and its keys are the menu's own (the same option)."""
    problems = []
    if "offer" in node and not (isinstance(node["offer"], str) and node["offer"]):
        problems.append("`offer` names the state key of the keys to offer")
    if "unsure" in node:
        unsure = nodes.get(node["unsure"])
        if not isinstance(unsure, dict) or unsure.get("type") != "menu" or "offer" not in unsure:
            problems.append(f"unsure {node['unsure']!r} is not a menu that `offer`s")
        else:
            menu, offered = node["menu"], unsure.get("menu", {})
            problems += [f"unsure {node['unsure']!r}: key {key!r} is another option there"
                         for key, entry in offered.items()
                         if isinstance(entry, dict) and key in menu and entry.get("prompt") != menu[key].get("prompt")]
    return problems


def _interrupt_problems(given: Any, nodes: dict) -> list[str]:
    if given is None:
        return []
    if not isinstance(given, dict):
        return ["`interrupts` maps a meaning to {\"goto\", \"set\"}"]
    problems = []
    for name, entry in given.items():
        if entry is None:
            continue  # a node taking the flow's interrupt away
        if not isinstance(entry, dict) or not isinstance(entry.get("goto"), str):
            problems.append(f"interrupt {name!r} needs `goto`")
        elif entry["goto"] not in nodes:
            problems.append(f"interrupt {name!r}: target {entry['goto']!r} is not a node")
        elif not isinstance(entry.get("set", {}), dict):
            problems.append(f"interrupt {name!r}: `set` is an object")
    return problems


def flow_setting(node: Mapping, defaults: Mapping, name: str) -> Any:
    """A node's setting, else the default (before a Flow exists)."""
    return node.get(name, defaults.get(name))


def _reachable(start_id: str, nodes: dict, defaults: dict) -> set[str]:
    seen, todo = set(), [start_id]
    while todo:
        node_id = todo.pop()
        if node_id in seen or node_id not in nodes:
            continue
        seen.add(node_id)
        todo.extend(targets(nodes[node_id], defaults))
    return seen
