"""What the hotline now reads as a dispatcher would, end to end through the signed SMS webhook:
volunteers' own words, crisis words, rumours, questions, spam, follow-ups, thanks with a need."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hotline import texts
from hotline.extensions import db
from hotline.models import Lane, Outbox, Request, Status
from tests.conftest import sqlite_database
from tests.helpers import LIU, SUN_HONG, TOM, WANG_FANG, get_request, load_roster, numbers_in

STRANGER = "+8613700003333"


@pytest.fixture
def database_url(sqlite_schema, tmp_path) -> str:
    """Reading is the same on both databases (the corpus runs on SQLite too); these run on SQLite only."""
    return sqlite_database(sqlite_schema, tmp_path)


@pytest.fixture(autouse=True)
def compound(app, clock):
    load_roster(app)


def requests_made(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Request.id)))


def two_requests_for_wang_fang(phone) -> list[int]:
    return [numbers_in(phone(LIU).reply(text))[0] for text in ("要米", "还要买降压药")]


@pytest.mark.parametrize("text", ["接 {a} {b}", "{a} {b} 我都接", "OK {a}, {b}", "#{a} #{b} 接了"])
def test_a_volunteer_takes_several_jobs_in_one_message(app, phone, text):
    a, b = two_requests_for_wang_fang(phone)
    answer = phone(WANG_FANG).reply(text.format(a=a, b=b))
    assert numbers_in(answer) == [a, b]
    assert get_request(app, a).status == get_request(app, b).status == Status.ACCEPTED


@pytest.mark.parametrize(("text", "status"), [("没空", Status.ASSIGNED), ("放门口了", Status.DELIVERED),
                                              ("好的马上去", Status.ACCEPTED), ("👍", Status.ACCEPTED)])
def test_a_volunteer_s_own_words_act_on_their_only_job(app, phone, text, status):
    [n] = numbers_in(phone(LIU).reply("要米"))
    if status == Status.DELIVERED:
        phone(WANG_FANG).reply("接")
    phone(WANG_FANG).reply(text)
    request = get_request(app, n)
    assert request.status == status
    assert (request.volunteer is None or request.volunteer.phone != WANG_FANG) == (text == "没空")


def test_a_word_that_fits_two_jobs_asks_which(app, phone):
    a, b = two_requests_for_wang_fang(phone)
    answer = phone(WANG_FANG).reply("收到")
    assert f"#{a}" in answer and f"#{b}" in answer
    assert get_request(app, a).status == get_request(app, b).status == Status.ASSIGNED


def test_time_and_address_numbers_are_no_job_numbers(app, phone):
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply("OK, be there in 20 min")
    assert get_request(app, n).status == Status.ACCEPTED
    assert numbers_in(phone(WANG_FANG).reply("5栋1201的米放在门口了")) == [n]


def test_crisis_words_get_the_crisis_line_and_a_coordinator_at_once(app, phone):
    answer = phone(LIU).reply("一个人关在家里 真的不想活了")
    assert "12356" in answer and texts.segments(answer) == 1
    [request] = [get_request(app, n) for n in range(1, 2)]
    assert request.urgent and request.volunteer.phone == SUN_HONG  # a coordinator, not the building's volunteer
    assert any("不想活" in m for m in phone(SUN_HONG).inbox())


def test_crisis_words_from_a_stranger_reach_the_coordinators_with_the_number(app, phone):
    answer = phone(STRANGER).reply("I want to die")
    assert "12356" in answer and answer.isascii()
    with app.app_context():
        alert = db.session.scalar(select(Outbox).where(Outbox.to == SUN_HONG, Outbox.purpose == "crisis"))
    assert "I want to die" in alert.body and requests_made(app) == 0


def test_the_crisis_line_is_a_setting(make_app, clock):
    app = make_app(HOTLINE_CRISIS_LINE="400-161-9995")
    load_roster(app)
    from tests.helpers import Phone

    assert "400-161-9995" in Phone(app, app.test_client(), STRANGER).reply("活不下去了")


def test_grave_words_read_no_surer_go_before_a_coordinator_at_once(app, phone):
    """Words that may mean a life is at stake, in a message that names no need (lexicon/grave.tsv) and that the
    second reader is not sure is an emergency: an urgent request for a coordinator, not the building's volunteer,
    and the sender told so. ("老伴头磕破了 地上有血", which it is sure of, is filed as an emergency.)"""
    answer = phone(LIU).reply("楼下好像有焦味 门把好烫")
    assert answer == texts.t("zh", "sms.grave", line="12356")
    [request] = [get_request(app, n) for n in range(1, 2)]
    assert request.urgent and request.volunteer.phone == SUN_HONG
    assert any("门把好烫" in m for m in phone(SUN_HONG).inbox())
    assert phone(LIU).reply("老伴头磕破了 地上有血") != answer


def test_grave_words_with_the_residents_own_building_still_go_before_a_coordinator(app, phone):
    """Naming one's own building, and no room, would ask "is it your own flat?" first: grave words do not wait
    for the answer."""
    assert phone(LIU).reply("5号楼 楼下好像有焦味 门把好烫") == texts.t("zh", "sms.grave", line="12356")
    assert any("门把好烫" in m for m in phone(SUN_HONG).inbox())


def test_a_stairwell_full_of_smoke_is_an_emergency_before_any_question(app, phone):
    """Smoke filling the stairwell is read as an emergency at once: call 120, the coordinators told, then the room."""
    replies = phone(LIU).text("5号楼 楼道里全是烟 门把好烫")
    assert replies[0] == texts.t("zh", "sms.emergency_call_first")
    assert any("楼道里全是烟" in m for m in phone(SUN_HONG).inbox())


def test_wide_crisis_words_from_a_stranger_get_the_crisis_line_and_reach_the_coordinators(app, phone):
    answer = phone(STRANGER).reply("我是大家的负担 以后不用再给我送菜了")
    assert answer == texts.t("zh", "sms.crisis", line="12356")
    with app.app_context():
        alert = db.session.scalar(select(Outbox).where(Outbox.to == SUN_HONG, Outbox.lane == Lane.URGENT))
    assert STRANGER in alert.body and "负担" in alert.body and requests_made(app) == 0


def test_a_need_with_grave_words_is_urgent(app, phone):
    [n] = numbers_in(phone(LIU).reply("老伴头磕破了 流了好多血 家里没有纱布了 帮忙买点"))
    assert get_request(app, n).urgent


def test_crisis_words_in_a_cancel_go_before_a_coordinator_and_cancel_nothing(app, phone):
    """"Don't deliver #41, don't waste it on me": not a cancel to carry out but despair, for a person."""
    [n] = numbers_in(phone(LIU).reply("需要买米"))
    answer = phone(LIU).reply(f"#{n}的米不用送了 我也吃不了几天了 别浪费在我身上")
    assert answer == texts.t("zh", "sms.crisis", line="12356")
    assert get_request(app, n).status != Status.CANCELLED
    assert any("别浪费在我身上" in m for m in phone(SUN_HONG).inbox())


def test_a_volunteer_s_news_of_someone_nobody_can_reach_is_a_welfare_check_for_that_flat(app, phone):
    """No job of theirs is named: a request for the flat they write, not a word about their jobs."""
    [n] = numbers_in(phone(WANG_FANG).reply("5号楼1201 送菜敲了三次门没人应 电话关机 登记的是独居老人"))
    request = get_request(app, n)
    assert (request.category, request.urgent, request.household.label) == ("welfare", True, "5-1201")


def test_an_emergency_a_volunteer_finds_at_a_door_reaches_the_coordinators_at_that_flat(app, phone):
    """"#n 送到了 老太太晕倒在地上 叫不醒": the delivery is recorded, and an emergency is filed at once at the job's
    flat for the coordinators, not only a DONE."""
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply("接")
    done, filed = phone(WANG_FANG).text(f"#{n} 送到了 老太太晕倒在地上 叫不醒")  # two answers: the word, the emergency
    job, emergency = get_request(app, n), get_request(app, numbers_in(filed)[0])
    assert numbers_in(done) == [n] and job.status == Status.DELIVERED and "120" in filed
    assert emergency.emergency and emergency.household.label == job.household.label
    assert any("叫不醒" in m for m in phone(SUN_HONG).inbox())


def test_a_volunteer_s_delivery_with_news_of_another_door_is_both(app, phone):
    """"#n 送好了 顺便讲下 5-1202门口放了两天的菜还在 敲门没反应": the delivery, and a welfare check of the other
    flat."""
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply("接")
    news = "顺便讲下 5号楼1202门口放了两天的菜还在 敲门没反应 里面是个独居老伯"
    done, filed = phone(WANG_FANG).text(f"#{n}送好了。{news}")
    check = get_request(app, numbers_in(filed)[0])
    assert numbers_in(done) == [n] and get_request(app, n).status == Status.DELIVERED
    assert (check.category, check.urgent, check.household.label) == ("welfare", True, "5-1202")


@pytest.mark.parametrize(("news", "category", "flat"), [
    ("5号楼502的阿婆讲伊降压药明朝吃完就没了 帮伊开个单", "medicine", "5-502"),
    ("fyi the lady in 5-1203 ran out of cat food, she asked if we can get some, no rush", "help", "5-1203"),
])
def test_a_volunteer_s_delivery_with_a_need_passed_on_is_both(app, phone, news, category, flat):
    """"done 20 … 12号楼602 帮伊开个单": the delivery, and a request for the flat whose need the volunteer passes on,
    with its own number in the answer; not only a DONE that leaves the need with nobody."""
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply("接")
    done, filed = phone(WANG_FANG).text(f"done {n} {news}")
    [m] = numbers_in(filed)
    passed_on = get_request(app, m)
    assert numbers_in(done) == [n] and get_request(app, n).status == Status.DELIVERED and m != n
    assert (passed_on.category, passed_on.household.label) == (category, flat)
    assert requests_made(app) == 2


def test_a_volunteer_s_delivery_naming_its_own_flat_and_items_is_only_the_delivery(app, phone):
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply("接")
    label = get_request(app, n).household.label
    phone(WANG_FANG).reply(f"#{n} 送到{label.replace('-', '号楼')}了 米都给了")
    assert get_request(app, n).status == Status.DELIVERED and requests_made(app) == 1


def test_a_volunteer_s_delivery_with_a_past_fall_is_only_the_delivery(app, phone):
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply("接")
    phone(WANG_FANG).reply(f"#{n} 送到了 她说上礼拜摔了一跤 现在好了")
    assert get_request(app, n).status == Status.DELIVERED and requests_made(app) == 1


@pytest.mark.parametrize(("word", "news", "status"), [
    ("Доставил {n}.", "У бабушки давление 220 и голова кружится, говорит что плохо видит", Status.DELIVERED),
    ("{n} teslim ettim.", "teyze yerde yatıyordu, sağ tarafını hiç oynatamıyor, konuşması bozuk", Status.DELIVERED),
    ("el {n} no puedo llevarlo hoy.", "la señora está inconsciente en el pasillo", Status.ASSIGNED),
])
def test_grave_news_after_a_volunteer_s_word_in_another_language_reaches_the_coordinators(app, phone, word, news,
                                                                                         status):
    """"Доставил 20. У бабушки давление 220…": the word about the job is recorded (a job given back goes to another
    volunteer), and what was found at its door goes before the coordinators at the job's flat, not only a DONE."""
    [n] = numbers_in(phone(LIU).reply("要米"))
    if status == Status.DELIVERED:
        phone(WANG_FANG).reply("接")
    phone(WANG_FANG).text(f"{word.format(n=n)} {news}")
    job, filed = get_request(app, n), get_request(app, n + 1)
    assert job.status == status and (status == Status.DELIVERED) == (job.volunteer.phone == WANG_FANG)
    assert filed.urgent and filed.household.label == job.household.label and requests_made(app) == 2
    assert filed.volunteer.phone == SUN_HONG or filed.emergency  # a coordinator's, or an emergency for all of them
    assert any(news[:20] in m for m in phone(SUN_HONG).inbox())


def test_a_volunteer_s_word_in_another_language_with_ordinary_news_is_only_the_word(app, phone):
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply("接")
    phone(WANG_FANG).text(f"{n} feito. ela caiu semana passada mas já tá boa, só queria conversar")
    assert get_request(app, n).status == Status.DELIVERED and requests_made(app) == 1
    assert phone(SUN_HONG).inbox() == []


@pytest.mark.parametrize("text", ["il {n} non è stato consegnato", "le {n} n'a pas encore été déposé",
                                  "hai consegnato il {n}?", "{n} giao rồi chưa?"])
def test_a_delivery_a_volunteer_denies_or_asks_about_in_another_language_closes_nothing(app, phone, text):
    """"il 21 non è stato consegnato": the "not" is read beside the word, in any language the rules read it in."""
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply("接")
    phone(WANG_FANG).text(text.format(n=n))
    assert get_request(app, n).status == Status.ACCEPTED and requests_made(app) == 1


def test_crisis_words_a_volunteer_passes_on_from_a_door_are_put_at_the_job_s_flat(app, phone):
    """"21 sudah diantar. tapi nenek … bilang lebih baik mati saja": the delivery, and the crisis of the one at its
    door before a coordinator at that flat."""
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply("接")
    answers = phone(WANG_FANG).text(f"{n} sudah diantar. tapi nenek nangis bilang lebih baik mati saja")
    job, filed = get_request(app, n), get_request(app, n + 1)
    assert job.status == Status.DELIVERED and filed.household.label == job.household.label and filed.urgent
    assert filed.volunteer.phone == SUN_HONG and texts.t("en", "sms.crisis", line="12356") in answers


@pytest.mark.parametrize("news", ["她说上礼拜摔了一跤 今天又摔了 起不来", "she says she's fine but her lips are blue"])
def test_a_volunteer_s_delivery_with_a_fright_not_over_reaches_the_coordinators(app, phone, news):
    """A past fall or "she's fine", then "again" or "but": what follows is news of now."""
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).reply("接")
    phone(WANG_FANG).text(f"#{n} 送到了 {news}")
    assert get_request(app, n).status == Status.DELIVERED and requests_made(app) == 2
    assert get_request(app, n + 1).urgent and any(news[:8] in m for m in phone(SUN_HONG).inbox())


def test_a_job_taken_with_news_of_a_door_nobody_answers_is_both(app, phone):
    """"127 accepted. … nobody answers and neighbours havent seen the old man for 3 days": the job taken, and a welfare
    check of its flat, urgent."""
    [n] = numbers_in(phone(LIU).reply("要米"))
    phone(WANG_FANG).text(f"{n} accepted. went by, nobody answers and neighbours havent seen the old man for 3 days")
    job, check = get_request(app, n), get_request(app, n + 1)
    assert job.status == Status.ACCEPTED and requests_made(app) == 2
    assert (check.category, check.urgent, check.household.label) == ("welfare", True, job.household.label)


def test_crisis_words_from_a_volunteer_reach_the_coordinators(app, phone):
    """A volunteer is a person too: "can't take it, I have no strength left to live" is no decline."""
    answer = phone(WANG_FANG).reply("接不了了。我已经没力气活下去了 东西都交给楼长吧")
    assert answer == texts.t("zh", "sms.crisis", line="12356")
    assert any(WANG_FANG in m and "没力气活下去" in m for m in phone(SUN_HONG).inbox())


@pytest.mark.parametrize("text", [
    "my dad's face went all droopy on one side and he's talking funny",  # signs.tsv: face, droop
    "老伴有糖尿病 现在一直出冷汗手抖 叫他也迷迷糊糊",  # diabetes, a low
])
def test_signs_of_an_emergency_in_any_wording_are_an_emergency(app, phone, text):
    reply = phone(LIU).reply(text)
    [n] = numbers_in(reply)
    assert "120" in reply and get_request(app, n).emergency


@pytest.mark.parametrize("text", ["笑死了 楼下的猫又来了", "累死了 排了两个小时核酸", "my phone battery died, sorry"])
def test_words_that_only_sound_grave_alert_nobody(app, phone, text):
    phone(LIU).reply(text)
    assert requests_made(app) == 0 and phone(SUN_HONG).inbox() == []


@pytest.mark.parametrize(("text", "msgid"), [
    ("听说7号楼有阳性 是真的吗", "sms.rumour"),
    ("Is building 7 positive?", "sms.rumour"),
    ("朋友圈说自来水被污染了，千万不要喝，用矿泉水！", "sms.hearsay"),  # news passed on: no word of health records
    ("明天全员核酸几点开始？", "sms.question"),
    ("垃圾放哪里 楼下的桶满了？", "sms.question"),
    ("Where can I get tested?", "sms.question"),
])
def test_rumours_and_questions_are_never_requests_and_reach_the_coordinators(app, phone, text, msgid):
    lang = "en" if text.isascii() else "zh"
    assert phone(STRANGER).reply(text) == texts.t(lang, msgid)
    assert requests_made(app) == 0
    assert text in phone(SUN_HONG).last()


def test_a_need_said_with_a_rumour_word_is_the_need_and_never_the_word(app, phone):
    [n] = numbers_in(phone(LIU).reply("我阳了 需要退烧药"))
    assert get_request(app, n).category == "medicine"


def test_spam_is_kept_and_answered_with_nothing(app, phone):
    assert phone(STRANGER).text("恭喜您中奖了！请点击 http://t.cn/A6xYzq 领取") == []
    assert requests_made(app) == 0 and phone(SUN_HONG).inbox() == []


@pytest.mark.parametrize("text", ["still nothing", "我的菜呢", "等了一天了", "？？？"])
def test_a_follow_up_on_an_open_request_is_answered_with_its_status(app, phone, text):
    [n] = numbers_in(phone(LIU).reply("要米"))
    assert numbers_in(phone(LIU).reply(text)) == [n] and requests_made(app) == 1


@pytest.mark.parametrize("text", ["麻烦帮我买点菜 谢谢", "Could someone bring rice? Thank you!",
                                  "谢谢 另外还需要鸡蛋"])
def test_a_need_said_with_thanks_is_a_need(app, phone, text):
    [n] = numbers_in(phone(TOM).reply(text))
    assert get_request(app, n).category == "food"


@pytest.mark.parametrize("text", ["收到 🙏🙏", "Merci beaucoup !", "감사합니다!", "谢谢你们送的菜"])
def test_nothing_but_thanks_is_thanks(app, phone, text):
    phone(TOM).reply(text)
    assert requests_made(app) == 0


def test_a_bare_cry_for_help_is_an_emergency_even_without_an_address(app, phone):
    replies = phone(STRANGER).text("救命")
    assert "120" in replies[0] and len(replies) == 2  # the 120 advice first, then where
    assert STRANGER in phone(SUN_HONG).last()


@pytest.mark.parametrize("text", ["12號樓302室 需要買菜和雞蛋", "wo xu yao mai cai 12 hao lou 302"])
def test_traditional_characters_and_pinyin_read_as_chinese(app, phone, text):
    answer = phone(STRANGER).reply(text)
    [n] = numbers_in(answer)
    request = get_request(app, n)
    assert (request.category, request.household.label, request.language) == ("food", "12-302", "zh")


@pytest.mark.parametrize("text", ["J'ai besoin de riz et de lait. Bâtiment 12, appartement 302",
                                  "쌀이 필요해요 12동 302호"])
def test_other_languages_are_answered_in_english(app, phone, text):
    answer = phone(STRANGER).reply(text)
    [n] = numbers_in(answer)
    assert answer.isascii() and get_request(app, n).household.label == "12-302"


def test_a_message_in_another_language_whose_need_is_not_read_goes_before_a_coordinator(app, phone):
    """Russian with a flat in it and nothing the hotline reads as a need: an urgent request for a coordinator, who
    reads the words (the sender is not asked in English what they need); one alert, not a second about the
    language."""
    text = "Здравствуйте. Мой отец, корпус 12, квартира 302, с понедельника молчит. Проверьте, пожалуйста."
    answer = phone(STRANGER).reply(text)
    assert answer == texts.t("en", "sms.grave", line="12356")
    [request] = [get_request(app, n) for n in range(1, 2)]
    assert request.urgent and request.volunteer.phone == SUN_HONG and request.household.label == "12-302"
    assert [m for m in phone(SUN_HONG).inbox() if "с понедельника молчит" in m] != []
    with app.app_context():
        assert db.session.scalar(select(Outbox).where(Outbox.purpose == "language")) is None


def test_a_message_in_another_language_whose_need_and_flat_are_not_read_goes_before_a_coordinator(app, phone):
    """Czech, with no flat the hotline reads and nothing it reads as a need, nor the second reader as grave: asked
    in English where they live, its sender could add nothing they could read, and the words may be of a fire. The
    coordinators get them at once, urgently; the sender is told a person has it and given the emergency number."""
    text = "Kouř na chodbě a něco hoří ve sklepě budovy 10!!"
    answer = phone(STRANGER).reply(text)
    assert answer == texts.t("en", "sms.grave", line="12356")
    assert [m for m in phone(SUN_HONG).inbox() if "něco hoří" in m] != []
    with app.app_context():
        urgent = db.session.scalars(select(Outbox).where(Outbox.to == SUN_HONG)).all()
        assert urgent and all(m.lane == Lane.URGENT for m in urgent if "něco hoří" in m.body)


def test_a_thanks_in_another_language_with_more_in_it_is_read_by_a_coordinator(app, phone):
    """Italian: a thanks the rules read, and words they do not (a grandmother alone with nothing left in the fridge)
    that the second reader does not read as thanks either: answered as thanks, and the coordinators are shown the
    original. Thanks alone, or read as thanks ("Muchas gracias por el arroz de ayer"), shows them nothing."""
    text = "Grazie. Mia nonna è sola e non ha più niente in frigorifero"
    assert phone(STRANGER).reply(text) == texts.t("en", "resident.thanks")
    [shown] = [m for m in phone(SUN_HONG).inbox() if "non ha più niente" in m]
    assert "意大利语" in shown  # the language named in the coordinator's own
    for thanks in ("Grazie mille!", "Muchas gracias por el arroz de ayer"):
        assert phone(TOM).reply(thanks) == texts.t("en", "resident.thanks")
    with app.app_context():
        assert len(db.session.scalars(select(Outbox).where(Outbox.purpose == "language")).all()) == 1


def test_a_cancel_in_another_language_is_done_and_shown_to_the_coordinators_in_the_original(app, phone):
    """A request withdrawn on words the rules read only in part: cancelled, and a coordinator reads what was written
    (and can undo it)."""
    [n] = numbers_in(phone(TOM).reply("need rice please"))
    text = "Tidak usah antar makanan lagi ya, keluarga saya sudah bawakan banyak. Terima kasih!"
    assert phone(TOM).reply(text) == texts.t("en", "resident.cancelled", number=n)
    assert get_request(app, n).status == Status.CANCELLED
    assert [m for m in phone(SUN_HONG).inbox() if "keluarga saya sudah bawakan" in m] != []


def test_a_message_in_another_language_whose_need_is_read_is_filed_for_the_building(app, phone):
    [n] = numbers_in(phone(STRANGER).reply("Нужны подгузники, корпус 12, кв 302"))
    request = get_request(app, n)
    assert request.volunteer.phone != SUN_HONG and not request.urgent


def test_a_number_that_is_none_of_the_senders_cancels_nothing_and_says_so(app, phone):
    """`decide` looks the number up among the sender's own requests: another's number, or one nobody has, is
    answered "not found", and nothing changes."""
    [theirs] = numbers_in(phone(TOM).reply("need rice please"))
    assert phone(LIU).reply(f"取消 {theirs}") == texts.t("zh", "resident.not_found", number=theirs)
    assert phone(LIU).reply("取消 999") == texts.t("zh", "resident.not_found", number=999)
    assert get_request(app, theirs).status != Status.CANCELLED
    [mine] = numbers_in(phone(LIU).reply("要买米"))
    assert phone(LIU).reply(f"取消 {mine}") == texts.t("zh", "resident.cancelled", number=mine)


def test_a_volunteers_word_for_a_number_nobody_has_changes_nothing_and_says_so(app, phone):
    [n] = numbers_in(phone(LIU).reply("要买米"))
    assert phone(WANG_FANG).reply("OK 999") == texts.t("zh", "volunteer.not_found", number=999)
    assert get_request(app, n).status == Status.ASSIGNED
    assert f"#{n}" in phone(WANG_FANG).reply(f"OK {n}") and get_request(app, n).status == Status.ACCEPTED


def test_a_bare_cancel_opts_out_and_cancels_the_only_open_request(app, phone):
    [n] = numbers_in(phone(TOM).reply("need rice please"))
    assert phone(TOM).text("CANCEL") == []  # Twilio answers the opt-out word itself
    assert get_request(app, n).status == Status.CANCELLED
    with app.app_context():
        from hotline.models import OptOut

        assert db.session.scalar(select(OptOut).filter_by(phone=TOM)) is not None


@pytest.mark.parametrize(("word", "opts_out", "answer"), [
    ("CANCEL", True, None),  # Twilio's opt-out word: Twilio answers it, and would refuse ours
    ("cancel", True, None),
    ("取消", False, "已取消"),  # no carrier word: our answer
])
def test_a_bare_cancel_cancels_the_one_open_request_and_tells_its_volunteer(app, phone, word, opts_out, answer):
    from hotline.models import OptOut

    [n] = numbers_in(phone(LIU).reply("要买米"))
    phone(WANG_FANG).reply(f"OK {n}")
    told_before = [m for m in phone(WANG_FANG).inbox() if f"#{n}" in m]
    replies = phone(LIU).text(word)
    assert get_request(app, n).status == Status.CANCELLED
    assert len([m for m in phone(WANG_FANG).inbox() if f"#{n}" in m]) == len(told_before) + 1
    with app.app_context():
        assert (db.session.scalar(select(OptOut).filter_by(phone=LIU)) is not None) == opts_out
    if answer is None:
        assert replies == []
    else:
        [reply] = replies
        assert f"#{n}" in reply and answer in reply and texts.segments(reply) == 1


def test_a_cancel_with_a_new_need_besides_does_both(app, phone):
    """Nothing lost: the request named is cancelled and the medicine asked for in the same breath is filed."""
    [n] = numbers_in(phone(LIU).reply("要买米"))
    replies = phone(LIU).text(f"{n}那单撤了吧，然后帮我配点感冒药 连花清瘟")
    assert get_request(app, n).status == Status.CANCELLED
    [cancelled, filed] = replies
    assert f"#{n}" in cancelled and "已取消" in cancelled
    [m] = numbers_in(filed)
    assert get_request(app, m).category == "medicine" and m != n


def test_part_of_a_request_no_longer_needed_is_no_cancel(app, phone):
    """"The eggs aren't needed, the rest still are": the request stays open, with the words for its volunteer."""
    [n] = numbers_in(phone(LIU).reply("要买米和鸡蛋"))
    phone(LIU).reply("鸡蛋不用了 别的还要")
    request = get_request(app, n)
    assert request.status != Status.CANCELLED and "鸡蛋不用了" in request.details


def test_the_help_text_teaches_how_to_cancel_one_request(phone):
    assert "取消 编号" in phone(LIU).reply("帮助") and "CANCEL 457" in phone(TOM).reply("HELP")


def test_a_bare_cancel_with_two_open_requests_cancels_neither(app, phone):
    first, second = (numbers_in(phone(TOM).reply(text))[0] for text in ("need rice please", "need insulin"))
    phone(TOM).text("CANCEL")
    assert get_request(app, first).status != Status.CANCELLED and get_request(app, second).status != Status.CANCELLED


@pytest.mark.parametrize(("text", "lang"), [("Please stop texting me", "en"), ("别再给我发短信了", "zh")])
def test_asking_to_stop_in_other_words_is_told_how_and_files_nothing(app, phone, text, lang):
    answer = phone(STRANGER).reply(text)
    assert answer == texts.t(lang, "sms.how_to_stop") and requests_made(app) == 0


@pytest.mark.parametrize("text", ["天天核酸，烦死了", "喂喂喂", "在吗？"])
def test_a_remark_or_a_greeting_is_asked_what_is_needed_and_reaches_no_volunteer(app, phone, text):
    answer = phone(LIU).reply(text)
    assert answer == texts.t("zh", "sms.ask_need") and requests_made(app) == 0
    assert phone(LIU).reply("买点鸡蛋") and requests_made(app) == 1  # the answer to "what do you need?" is filed
