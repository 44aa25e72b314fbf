"""Broadcasts: each resident of the chosen buildings gets the text in their language through the bulk lane."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from hotline.domain import outbox
from hotline.extensions import db
from hotline.models import Broadcast, Lane, Outbox, OutStatus, Purpose
from tests.admin.actions import AdminActions
from tests.helpers import LIU, TOM, WANG_LANDLINE, load_roster

RESIDENTS = """name,phone,building,room,language,flags
Tom Baker,+86 139 1234 5678,7,1101,en,
刘伯伯,138 0013 8000,7,1201,zh,elderly;chronic
王阿姨,+86 21 6000 1234,7,302,zh,elderly;alone
Ann Lee,13700007777,7,402,en,
别楼,13700008888,8,101,zh,
"""
OPTED_OUT = "+8613700007777"


@pytest.fixture(autouse=True)
def compound(app, clock):
    load_roster(app, residents=RESIDENTS)
    with app.app_context():
        outbox.set_opt_out(db.session, OPTED_OUT, True)
        db.session.commit()


def form(coordinator, **changes) -> dict:
    page = coordinator.get("/admin/broadcast").get_data(as_text=True)
    broadcast_id = re.search(r'name="broadcast_id" type="hidden" value="([0-9a-f]{12})"', page).group(1)
    data = {"broadcast_id": broadcast_id, "text_zh": "明天上午9点在7号楼下发放蔬菜。",
            "text_en": "Vegetables at building 7, 9 am.", "buildings": ["7"], "by_sms": "y", "action": "preview"}
    data.update(changes)
    return data


def bulk(app) -> list[Outbox]:
    with app.app_context():
        rows = db.session.scalars(select(Outbox).where(Outbox.lane == Lane.BULK).order_by(Outbox.id)).all()
        db.session.expunge_all()
        return rows


def test_a_preview_counts_who_is_reached_and_sends_nothing(app, coordinator):
    page = coordinator.post("/admin/broadcast", form(coordinator)).get_data(as_text=True)
    assert 'id="preview"' in page
    assert re.search(r"4 位居民：短信 2 条，电话 1 通，跳过 1 个|4 residents: 2 SMS, 1 calls, 1 skipped", page)
    assert 'value="send"' in page and bulk(app) == []


def test_sending_reaches_each_resident_in_their_language_once(app, coordinator):
    data = form(coordinator, action="send")
    response = coordinator.post("/admin/broadcast", data)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/broadcast/{data['broadcast_id']}"
    rows = bulk(app)
    by_phone = {r.to: r for r in rows}
    assert set(by_phone) == {TOM, LIU, WANG_LANDLINE, OPTED_OUT}  # building 8 is not reached
    assert by_phone[TOM].body.startswith("Vegetables") and by_phone[LIU].body.startswith("明天")
    assert by_phone[WANG_LANDLINE].kind == "call"  # a landline hears it
    assert by_phone[OPTED_OUT].status == OutStatus.SKIPPED
    with app.app_context():
        sent = db.session.scalars(select(Broadcast)).one()
        told = (sent.key, sent.sent_by.username, sent.buildings, sent.texts["en"], sent.by_sms, sent.by_call)
        assert told == (data["broadcast_id"], "sun", [7], "Vegetables at building 7, 9 am.", True, False)
        assert (sent.residents, sent.sms, sent.calls, sent.skipped) == (4, 2, 1, 1)  # what the preview said
    assert {(r.purpose, r.broadcast_id) for r in rows} == {(Purpose.BROADCAST, sent.id)}
    coordinator.post("/admin/broadcast", data)  # the same form again (a double click) sends nothing more
    assert len(bulk(app)) == 4


def test_by_voice_too_every_resident_also_gets_a_call(app, coordinator):
    coordinator.post("/admin/broadcast", form(coordinator, action="send", by_call="y"))
    kinds = sorted((r.to, r.kind) for r in bulk(app) if r.status != OutStatus.SKIPPED)
    assert kinds == sorted([(TOM, "sms"), (TOM, "call"), (LIU, "sms"), (LIU, "call"), (WANG_LANDLINE, "call")])


def test_one_language_serves_everybody(app, coordinator):
    coordinator.post("/admin/broadcast", form(coordinator, action="send", text_en=""))
    assert {r.body for r in bulk(app)} == {"明天上午9点在7号楼下发放蔬菜。"}


def test_a_broadcast_needs_text_a_building_and_a_way(app, coordinator):
    for bad in ({"text_zh": "", "text_en": ""}, {"buildings": []}, {"by_sms": ""}, {"text_zh": "长" * 1601}):
        data = form(coordinator, action="send", **bad)
        if data.get("by_sms") == "":
            del data["by_sms"]
        assert coordinator.post("/admin/broadcast", data).status_code == 400, bad
    assert bulk(app) == []


def test_progress_follows_the_outbox(app, coordinator):
    app.config["HOTLINE_SEND_RATE"] = 1.0
    data = form(coordinator, action="send")
    coordinator.post("/admin/broadcast", data)
    url = f"/admin/broadcast/{data['broadcast_id']}.json"
    progress = coordinator.get(url).get_json()
    assert (progress["total"], progress["done"], progress["skipped"], progress["finished"]) == (4, 1, 1, False)
    assert progress["eta_seconds"] == 3.0  # 3 one-segment messages waiting, 1 segment per second
    with app.app_context():
        for row in db.session.scalars(select(Outbox).where(Outbox.status == OutStatus.QUEUED)):
            row.status = OutStatus.SENT
        db.session.commit()
    progress = coordinator.get(url).get_json()
    assert (progress["done"], progress["sent"], progress["finished"], progress["eta_seconds"]) == (4, 3, True, 0)
    page = coordinator.get(f"/admin/broadcast/{data['broadcast_id']}").get_data(as_text=True)
    assert '<progress id="progress-bar" max="4" value="4">' in page
    assert coordinator.get("/admin/broadcast/ffffffffffff").status_code == 404
    assert coordinator.get("/admin/broadcast/not-an-id.json").status_code == 404
    assert data["broadcast_id"] in coordinator.get("/admin/broadcast").get_data(as_text=True)  # listed as recent


def test_a_broadcast_scheduled_in_local_time_is_kept_in_utc_and_waits(app, coordinator):
    data = form(coordinator, action="send", send_at="2022-04-12T18:00")  # 18:00 in Shanghai; it is 10:00 now
    response = coordinator.post("/admin/broadcast", data, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "2022-04-12 18:00" in page and 'id="stop-form"' in page
    with app.app_context():
        sent = db.session.scalars(select(Broadcast)).one()
        assert sent.send_at == datetime(2022, 4, 12, 10, 0, tzinfo=UTC)
    assert {r.next_attempt_at for r in bulk(app) if r.status == OutStatus.QUEUED} == {sent.send_at}
    assert coordinator.get(f"/admin/broadcast/{data['broadcast_id']}.json").get_json()["waiting"] == 3


def test_a_time_gone_by_or_joins_closing_before_it_goes_are_refused(app, coordinator):
    for bad in ({"send_at": "2022-04-12T09:00"}, {"send_at": "2022-04-13T09:00", "offer_item": "鸡蛋",
                                                 "offer_deadline": "2022-04-13T08:00"}):
        response = coordinator.post("/admin/broadcast", form(coordinator, action="send", **bad))
        assert response.status_code == 400, bad
        assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert bulk(app) == []


def test_a_group_buy_preview_shows_the_join_instructions(coordinator):
    data = form(coordinator, offer_item="鸡蛋30个", offer_deadline="2022-04-13T20:00")
    page = coordinator.post("/admin/broadcast", data).get_data(as_text=True)
    assert "明天上午9点在7号楼下发放蔬菜。\n回复&#34;参加 2&#34;报名2份" in page
    assert "Vegetables at building 7, 9 am.\nReply &#34;JOIN 2&#34; to order 2" in page


def test_stopping_cancels_what_has_not_gone_and_the_page_counts_it(app, coordinator, viewer):
    data = form(coordinator, action="send")
    coordinator.post("/admin/broadcast", data)
    key = data["broadcast_id"]
    with app.app_context():  # one went out before the stop
        first = db.session.scalars(select(Outbox).where(Outbox.to == TOM)).one()
        first.status = OutStatus.SENT
        db.session.commit()
    assert coordinator.post(f"/admin/broadcast/{key}/stop", csrf=False).status_code == 400  # a forged form
    assert viewer.post(f"/admin/broadcast/{key}/stop").status_code in (302, 403)
    assert OutStatus.CANCELLED not in {r.status for r in bulk(app)}  # a viewer cannot stop it
    response = coordinator.post(f"/admin/broadcast/{key}/stop")
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/broadcast/{key}"
    assert sorted(r.status for r in bulk(app)) == sorted(
        [OutStatus.SENT, OutStatus.CANCELLED, OutStatus.CANCELLED, OutStatus.SKIPPED])
    page = coordinator.get(f"/admin/broadcast/{key}").get_data(as_text=True)
    assert re.search(r'id="cancelled-count">2<', page) and 'id="stop-form"' not in page
    assert re.search(r'<tr data-building="7"><th scope="row">[^<]*7[^<]*</th>'
                     r'<td data-label="[^"]*">3</td>', page)  # 3 residents reached, the opted-out one aside
    progress = coordinator.get(f"/admin/broadcast/{key}.json").get_json()
    assert (progress["cancelled"], progress["stopped"], progress["finished"]) == (2, True, True)
    coordinator.post(f"/admin/broadcast/{key}/stop")  # again: nothing more
    assert coordinator.get(f"/admin/broadcast/{key}.json").get_json()["cancelled"] == 2
    assert coordinator.post("/admin/broadcast/ffffffffffff/stop").status_code == 404


def test_the_page_says_who_stopped_it_and_when_in_chinese_and_english(app, coordinator, users):
    data = form(coordinator, action="send")
    coordinator.post("/admin/broadcast", data)
    key = data["broadcast_id"]
    page = coordinator.get(f"/admin/broadcast/{key}?lang=zh").get_data(as_text=True)
    assert "停止了它" not in page  # nobody stopped it yet
    coordinator.post(f"/admin/broadcast/{key}/stop")
    with app.app_context():
        stopped = db.session.scalars(select(Broadcast).where(Broadcast.key == key)).one()
        assert stopped.stopped_by == "sun" and stopped.stopped_at is not None
        first_stop = stopped.stopped_at
    boss = AdminActions(app.test_client())
    assert boss.login("boss").status_code == 302
    boss.post(f"/admin/broadcast/{key}/stop")  # a second stop changes neither who nor when
    with app.app_context():
        again = db.session.scalars(select(Broadcast).where(Broadcast.key == key)).one()
        assert (again.stopped_by, again.stopped_at) == ("sun", first_stop)
    note = re.compile(r'id="stopped-note">([^<]*)</p>')
    zh = note.search(coordinator.get(f"/admin/broadcast/{key}?lang=zh").get_data(as_text=True)).group(1)
    assert "sun 于" in zh and "停止了它" in zh and "取消了 3 条" in zh
    en = note.search(coordinator.get(f"/admin/broadcast/{key}?lang=en").get_data(as_text=True)).group(1)
    assert re.fullmatch(r"Stopped at .+ by sun: what had gone stays sent, 3 messages were cancelled\.", en), en


def test_a_time_that_is_no_time_is_refused_in_the_form(app, coordinator):
    for bad in ("tomorrow", "2022-13-40T25:00", "<script>", "2022-04-12 18:00'; DROP TABLE outbox;--"):
        response = coordinator.post("/admin/broadcast", form(coordinator, action="send", send_at=bad))
        assert response.status_code == 400, bad
        assert 'id="send_at-error"' in response.get_data(as_text=True)
    assert bulk(app) == []
    assert coordinator.get("/admin/broadcast/ffffffffffff/stop").status_code == 405


@pytest.mark.parametrize("bad", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_a_time_at_the_calendar_s_very_ends_is_refused_not_a_500(app, coordinator, bad):
    """The first and last minutes Python's calendar holds have no time in UTC east (or west) of it."""
    for fields in ({"offer_item": "鸡蛋", "offer_deadline": bad}, {"send_at": bad}):
        response = coordinator.post("/admin/broadcast", form(coordinator, action="send", **fields))
        assert response.status_code == 400, fields
        page = response.get_data(as_text=True)
        assert f'id="{next(iter(fields.keys() - {"offer_item"}))}-error"' in page and "不是有效的日期与时间值" in page
    assert bulk(app) == []
