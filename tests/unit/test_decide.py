"""`decide` chooses what a numbered word is about from the sender's situation, with no database: the request
the number names if it is the sender's (a volunteer's: any request), else the answer that it is not found."""

from __future__ import annotations

from hotline.domain import decide, message
from hotline.domain.parsing import Word
from tests.understanding import fast


def decided(sender: str, text: str) -> decide.Decision:
    who = fast.situation(sender)
    return decide.decide(message.read(message.normalise(text), fast.POLICY.buildings), who, fast.POLICY)


def test_a_residents_numbered_cancel_is_about_the_request_found_or_answered_not_found():
    found = decided("asker", "取消 41").act
    assert isinstance(found, decide.ResidentWord) and found.word == Word.CANCEL and found.only.number == 41
    assert decided("asker", "取消 42").act == decide.Answer("resident.not_found", number=42)


def test_a_volunteers_numbered_word_carries_each_job_found():
    act = decided("volunteer", "OK 127 999").act
    assert isinstance(act, decide.VolunteerWord) and act.numbers == (127, 999)
    assert [job.number if job else None for job in act.jobs] == [127, None]
