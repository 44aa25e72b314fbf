"""The bench's floor (bench/bare.py `POST /floor`) does what an SMS's answer needs and no less: it refuses a
form that is not signed, reads the flat, the need and the language, writes one row and answers with its number."""

import gc
import importlib

import pytest
import sqlalchemy as sa

from bench import loadgen

TOKEN = "floor-token"


@pytest.fixture
def floor(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/bench.db"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("HOTLINE_BUILDINGS", "1-36")
    from bench import bare

    bare = importlib.reload(bare)  # the module reads its settings as it loads, as gunicorn loads it
    gc.unfreeze()
    bare.create_table(url)
    yield bare
    bare.engine.dispose()


def _post(bare, form: dict, signature: str):
    return bare.app.test_client().post("/floor", data=form, headers={"X-Twilio-Signature": signature})


def _rows(bare) -> list[str]:
    with bare.engine.connect() as conn:
        return list(conn.scalars(sa.select(bare.rows.c.text)))


def test_a_signed_sms_writes_its_request_and_is_answered_with_its_number_in_the_senders_language(floor):
    for i, (body, said) in enumerate([("12号楼302室 需要买菜，大米两袋", "请求 #1（食物，12-302）"),
                                      ("I need food please, rice and milk. Building 3 room 101", "#2 (food, 3-101)")]):
        form = loadgen.sms_form(i, "+8613700000001") | {"Body": body}
        answer = _post(floor, form, loadgen.signature(TOKEN, "http://localhost/floor", form))
        assert answer.status_code == 200 and answer.content_type.startswith("text/xml")
        assert said in answer.text, answer.text
    written = _rows(floor)
    assert written[0].startswith("need food 12-302") and written[1].startswith("need food 3-101"), written


def test_a_form_not_signed_with_the_token_is_refused_and_writes_nothing(floor):
    form = loadgen.sms_form(0, "+8613700000001")
    for signature in ("", loadgen.signature("another-token", "http://localhost/floor", form)):
        assert _post(floor, form, signature).status_code == 403
    assert _rows(floor) == []
