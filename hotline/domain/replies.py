"""What the domain answers with: typed verbs that the Twilio adapter renders as TwiML.

A reply is a tuple of verbs. SMS replies hold `Message`s; voice replies hold the rest. Texts
are already in the person's language; `lang` is `zh` or `en` and the adapter maps it to
Twilio's `<Say language voice>` and `<Gather language>`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """An SMS sent back as the TwiML answer to an incoming SMS (about request `number`, if any)."""

    text: str
    lang: str = "zh"
    number: int | None = None


@dataclass(frozen=True)
class Say:
    """Words spoken to the caller, slowly."""

    text: str
    lang: str


@dataclass(frozen=True)
class Pause:
    """Silence on the line."""

    seconds: int = 1


@dataclass(frozen=True)
class Gather:
    """Prompts spoken while waiting for keys (and speech, when `speech` is set)."""

    action: str
    prompts: tuple[Say | Pause, ...]
    lang: str
    timeout: int = 8
    num_digits: int | None = None
    finish_on_key: str = "#"
    speech: bool = False
    hints: tuple[str, ...] = ()
    action_on_empty: bool = False


@dataclass(frozen=True)
class Record:
    """A voice message after the beep."""

    action: str
    max_length: int = 90
    timeout: int = 6
    finish_on_key: str = "#"
    recording_status_callback: str | None = None


@dataclass(frozen=True)
class Redirect:
    """Continue the call at another step."""

    url: str


@dataclass(frozen=True)
class Dial:
    """Put the caller through to a person; the outcome comes back to `action`."""

    number: str
    action: str
    timeout: int = 25
    caller_id: str | None = None


@dataclass(frozen=True)
class Hangup:
    """End the call."""


Verb = Message | Say | Pause | Gather | Record | Redirect | Dial | Hangup
Reply = tuple[Verb, ...]
