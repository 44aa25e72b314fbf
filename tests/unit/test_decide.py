"""`decide` chooses what a numbered word is about from the sender's situation, with no database: the request
the number names if it is the sender's (a volunteer's: any request), else the answer that it is not found."""

from __future__ import annotations

import pytest

from hotline.domain import decide, message
from hotline.domain.parsing import Word
from tests.understanding import fast


def decided(sender: str, text: str) -> decide.Decision:
    who = fast.situation(sender)
    return decide.decide(message.read(message.normalise(text), fast.POLICY.buildings), who, fast.POLICY)


def thanked(sender: str, text: str) -> bool:
    """Whether the message is answered as thanks."""
    act = decided(sender, text).act
    return isinstance(act, decide.ResidentWord) and act.word == Word.THANKS


def test_a_residents_numbered_cancel_is_about_the_request_found_or_answered_not_found():
    found = decided("asker", "取消 41").act
    assert isinstance(found, decide.ResidentWord) and found.word == Word.CANCEL and found.only.number == 41
    assert decided("asker", "取消 42").act == decide.Answer("resident.not_found", number=42)


@pytest.mark.parametrize(("text", "grave"), [
    ("#41那个菜不用送了，我也用不着了。以后什么都用不着了。", True),  # a cancel said without hope
    ("Please cancel #41, and everything after it. I won't need anything anymore. I'm at peace now, thank you all for "
     "everything.", True),
    ("cancel #41 please, my daughter is taking me to her place tomorrow. thank you all for everything", False),
    ("菜不用送了，以后也用不着了，我儿子托朋友从外面送进来一大箱，够吃半个月", False),  # a reason explains it
    ("41那单取消吧 楼里团购的米和油今天到了 谢谢李明", False),
    ("41取消吧，我儿子送进来一大箱菜。我也撑不了多久了", True),  # words without hope: no reason explains them away
    ("取消 41", False),
])
def test_a_cancel_without_hope_and_without_a_reason_goes_before_a_person(text, grave):
    act = decided("asker", text).act
    assert isinstance(act, decide.Crisis) is grave
    assert (isinstance(act, decide.ResidentWord) and act.word == Word.CANCEL) is not grave


@pytest.mark.parametrize(("sender", "text"), [
    ("new", "感谢3号楼的志愿者！昨天我婆婆低血糖晕倒，他送了糖水过来又陪着等到120来，人已经没事了"),  # a building named
    ("new", "thx a lot for yesterday!! the ambulance came in 10 min, grandpa's stable now, the doctors are kind"),
    ("resident", "昨天厨房冒烟你们马上赶过来，结果虚惊一场，不好意思麻烦了，谢谢谢谢"),
])
def test_thanks_for_help_in_an_emergency_that_is_over_is_thanks(sender, text):
    assert thanked(sender, text)


def test_a_volunteers_numbered_word_carries_each_job_found():
    act = decided("volunteer", "OK 127 999").act
    assert isinstance(act, decide.VolunteerWord) and act.numbers == (127, 999)
    assert [job.number if job else None for job in act.jobs] == [127, None]


@pytest.mark.parametrize(("text", "word", "numbers"), [
    ("128 bu jie a, wo men lou li you yang xing, chu bu qu", Word.DECLINE, (128,)),  # news of a case beside it
    ("127 128都不接了 人手不够 派给别人吧", Word.DECLINE, (127, 128)),  # a complaint that reads as a question
    ("我阳了 这几天送不了", Word.OFF, ()),
])
def test_a_volunteers_word_about_their_jobs_comes_before_the_news_or_question_beside_it(text, word, numbers):
    act = decided("volunteer", text).act
    assert isinstance(act, decide.VolunteerWord) and (act.word, act.numbers) == (word, numbers)


def test_a_volunteers_rumour_with_no_word_about_jobs_is_still_a_rumour():
    act = decided("volunteer", "听说明天要封楼 是真的吗").act
    assert isinstance(act, decide.Answer) and act.msgid == decide.ANSWERS["rumour"]


@pytest.mark.parametrize(("text", "floors"), [
    ("楼下那户老两口家里米没了", -1),
    ("楼上的楼上住着一对老夫妻 没米了", 2),
    ("我楼下的楼下那个独居阿姨要感冒药", -2),
    ("阿拉楼下头阿婆屋里小菜吃光了", -1),
    ("the old lady directly below me needs cooking oil", -1),
    ("my upstairs neighbour is 80 and has no rice", 1),
    ("楼下那家药店关门了 帮我买点感冒药", None),  # a shop, not a neighbour
    ("楼上楼下的邻居都很好 就是我家米没了", None),
    ("楼下邻居给的菜吃完了 还要点米", None),  # the neighbour who gave: the writer's own need
    ("楼上邻居说可以在这里订菜，我要一盒鸡蛋", None),
    ("楼下那户已经有人管了，我自己想要一袋米", None),
    ("我妈家楼下的阿婆摔了", None),  # below a relative's flat, not the writer's
    ("my upstairs neighbour gave me some rice but I still need medicine", None),
    ("楼上漏水漏到我家了", None),  # a leak into the writer's own flat
])
def test_a_neighbour_told_by_place_is_that_many_floors_from_the_writer(text, floors):
    from hotline.domain import address, reading

    assert address.floors_away(reading.simplify(text)) == floors


@pytest.mark.parametrize(("room", "floors", "door"), [
    ("302", -1, "202"), ("302", 2, "502"), ("1201", -1, "1101"), ("302A", -1, "202A"), ("302a", 1, "402A"),
    ("101", -1, None),  # no floor below the first
    ("B2", -1, None), ("1-302", -1, None),  # no floor and door: the room is asked
])
def test_the_door_floors_away_is_worked_out_from_the_writers_own(room, floors, door):
    from hotline.domain import address

    assert address.floors_from(room, floors) == door


def test_a_neighbour_told_by_place_is_filed_at_their_door_of_the_writers_building():
    state = decided("resident", "楼下那户老两口家里米没了 今天一顿饭都没吃上").act.state
    assert (state["floors_away"], decide.address(state, fast.situation("resident").resident)) == (-1, (12, "202"))


@pytest.mark.parametrize(("text", "place"), [
    ("我住15号楼602 楼下那家老太太没有降压药了", (15, "502", True)),  # the writer's own flat, then the one below it
    ("I live in 7-1101, the old lady directly below me has no rice", (7, "1001", True)),
    ("我住12号楼302 楼上漏水漏到我家了 帮忙找人修", (12, "302", False)),  # no neighbour told of: the writer's own
    ("15号楼602楼下那家老太太没有降压药了", (15, "502", True)),  # from the door written just before
    ("15号楼602 楼上的楼上那家老两口没米了", (15, "802", True)),
    ("15号楼602需要米 楼下那家老太太也没有降压药了", (15, "602", False)),  # not from 602: no own flat, no door before
    ("5号楼602楼下的药店关门了 帮我买药", (5, "602", False)),  # a shop below
    ("Building 28, someone is screaming in 701 right below me", (28, "701", False)),  # 701 is the flat below
])
def test_a_neighbour_told_by_place_counts_from_the_flat_the_writer_says_is_theirs(text, place):
    from hotline.domain.parsing import parse_request

    parsed = parse_request(text, fast.POLICY.buildings)
    assert (parsed.building, parsed.room, parsed.for_other) == place


def test_a_residents_first_message_in_an_unread_language_naming_another_flat_goes_before_a_person():
    """Asked in English whether 15-501 is their own flat, a resident of 12-302 writing Persian could not answer: what
    they wrote (a neighbour who has not opened the door since the day before yesterday) goes to a coordinator."""
    text = "سلام، همسایه‌ی طبقه بالا، ساختمان ۱۵ واحد ۵۰۱، از پریروز در را باز نمی‌کند"
    act = decided("resident", "Habari, ninaishi jengo 15 chumba 501. Naomba msaada").act
    assert isinstance(act, decide.Crisis) and (act.building, act.room) == (15, "501")
    assert isinstance(decided("resident", text).act, (decide.Crisis, decide.Gathering))
    assert decided("resident", "I need rice, building 15 room 501").act.next == "confirm_home"  # English: asked


def test_an_answer_in_an_unread_language_to_the_question_of_the_flat_is_asked_again_not_put_before_a_person():
    """The question "is 15-501 your own flat?" stands in the conversation: a Spanish "I do not understand" to it is
    asked again (as it was before a first message's rule was written), not filed as a coordinator's request at a
    flat the sender has not confirmed."""
    who = fast.situation("resident")
    who.conversation = lambda: {"asked": decide.CONFIRM_HOME, "building": 15, "room": "501", "lang": "en",
                                "details": ["Hola, edificio 15 apartamento 501, no es urgente"]}
    said = message.read(message.normalise("No entiendo, por favor alguien puede venir?"), fast.POLICY.buildings)
    act = decide.decide(said, who, fast.POLICY).act
    assert isinstance(act, decide.Gathering) and act.next == decide.CONFIRM_HOME


@pytest.mark.parametrize("text", [
    "קיבלתי את המשלוח, הכל הגיע. תודה רבה!",  # Hebrew: it came, thanks
    "Көкөніс пен жұмыртқа үшін рахмет! Бәрі аман-есен жетті.",  # Kazakh: what came is named
])
def test_thanks_for_what_came_in_a_language_the_rules_barely_read_is_thanks(text):
    assert thanked("resident", text)


@pytest.mark.parametrize(("sender", "text"), [
    ("delivered", "东西收到了 那个袋子要不要还给志愿者啊"),  # a question beside it
    ("delivered", "上次的菜收到了 谢谢 这次想再配点药 我老头子的降压药还剩五天"),  # a need of its own, in Chinese
])
def test_what_came_with_a_question_or_a_need_of_its_own_is_no_plain_thanks(sender, text):
    assert not thanked(sender, text)


def test_thanks_for_what_came_with_something_more_asked_besides_is_no_plain_thanks():
    assert not thanked("resident", "תודה רבה, הירקות הגיעו. אם אפשר גם לחם וביצים בשבוע הבא, לא דחוף")


@pytest.mark.parametrize("text", [
    # read_91: "thank you for helping when father collapsed yesterday; the tests say he is fine" (倒れ reads urgent)
    "昨日は父が倒れた時に助けていただいて本当にありがとうございました。検査の結果、大丈夫でした。",
    # read_91: chest pain last night, the hospital said it was the stomach, home already, thanks ("帮忙的志愿者")
    "昨天晚上我老公突然胸口痛 叫了120 医院说没事 是胃的问题 已经回家了 谢谢昨天帮忙的志愿者",
])
def test_thanks_for_help_in_a_past_emergency_whose_one_is_well_now_is_thanks_though_its_words_read_urgent(text):
    assert thanked("resident", text)


def test_thanks_for_a_past_emergency_with_a_new_one_after_a_but_is_no_thanks():
    """read_71_review: thanks for yesterday, the child is well, "but" grandfather just fell in the bathroom and does
    not come to: the new emergency, not thanks."""
    assert not thanked("new", "cam on moi nguoi hom qua nhieu lam, be nha minh da khoe lai roi. nhung ong noi vua nga "
                              "trong nha tam, bat tinh, goi khong tinh, tho rat yeu. toa 27 phong 1302, giup voi!")


@pytest.mark.parametrize("text", [
    "anyone got a spare usb-c charger? mine's fraying but still works if i hold it at an angle lol. not urgent",
    "头发长得扎眼睛了😂 小区里有没有会理发的志愿者 等大家空下来再说",
])
def test_a_spare_thing_or_a_hand_asked_of_the_neighbours_is_a_need_though_it_reads_like_a_question(text):
    """read_92: the second reader reads these as questions; the words ask the neighbours for something: a need."""
    act = decided("new", text).act
    assert isinstance(act, decide.Gathering) and act.state.get("category") == "help"


@pytest.mark.parametrize("text", [
    "41번 쌀이랑 계란 언제쯤 와요?? 리밍씨가 접수했다고 문자왔는데 아직 소식이 없네요",  # read_94, Korean
    "oye que paso con mi pedido 41? el arroz y los huevos, ya lo habia aceptado Li Ming no?",  # read_94, Spanish
])
def test_a_question_that_names_the_askers_open_request_by_its_number_asks_after_it(text):
    """Naming what #41 asked for would fold the message into #41 as a repeat; asked with its number, it asks after
    it, in words no rule has."""
    act = decided("asker", text).act
    assert isinstance(act, decide.FollowUp)


def test_a_question_that_names_the_open_request_and_asks_for_more_is_no_follow_up():
    act = decided("asker", "41号能不能再加一袋面粉？")
    assert not isinstance(act.act, decide.FollowUp)


@pytest.mark.parametrize("text", [
    "3号线什么时候恢复运营 我下个月要去医院复诊",  # blind_b: the metro, not a request
    "請問你哋大概幾點送菜？我要留人喺屋企開門",  # Cantonese: when deliveries come, asked in general
])
def test_asking_when_from_someone_who_never_asked_the_hotline_is_their_own_question(text):
    """Words that ask when or where read as asking after a request; from a number that never asked for anything, the
    second reader tells a question of their own, which goes to the coordinators, from asking after one."""
    act = decided("new", text).act
    assert isinstance(act, decide.Answer) and act.msgid == "sms.question", act


@pytest.mark.parametrize("text", ["我的菜怎么还没到", "when will my groceries arrive?"])
def test_asking_after_their_own_request_from_someone_who_never_asked_is_told_what_they_have(text):
    act = decided("new", text).act
    assert isinstance(act, decide.ResidentWord) and act.word == Word.STATUS, act


def test_asking_in_the_words_of_a_question_whether_requests_are_open_is_answered_with_them():
    """"Est-ce qu'…?" reads as a general question; asked of one's own open requests, it is the status."""
    act = decided("delivered", "Est-ce qu'il me reste des demandes en cours ?").act
    assert isinstance(act, decide.ResidentWord) and act.word == Word.STATUS, act


@pytest.mark.parametrize(("text", "category"), [
    ("菜收到了谢谢 另外我家马桶堵了 有没有人能帮忙通一下", "help"),  # dev_13
    ("thanks for the rice and eggs! could someone take our rubbish bags down? been piling up a week, no rush", "help"),
    ("お米届きました、ありがとうございます。猫のエサもお願いできますか？あと3日分くらいあります", "help"),  # pet food
    ("药收到了 谢谢 另外米也快吃完了 能帮忙买一袋吗", "food"),
])
def test_a_need_asked_after_thanks_for_what_came_is_of_the_kind_asked_not_of_what_came(text, category):
    act = decided("delivered", text).act
    assert isinstance(act, decide.Gathering) and act.state.get("category") == category, act


@pytest.mark.parametrize("text", [
    "salam sharj e telefonam dare tamoom mishe, ajale nadare har vaght shod. bldg 33 vahed 1104",  # read_76, Persian
    "கரப்பான் பூச்சி மருந்து ஒன்று வேண்டும், அவசரம் இல்லை. 12-302",  # read_77_review, Tamil
])
def test_a_need_that_can_wait_in_a_language_the_hotline_does_not_read_is_filed_for_help_not_asked_again(text):
    decision = decided("new", text)
    act = decision.act
    assert decision.other_language and isinstance(act, decide.Gathering), decision
    assert act.next == "file" and act.state.get("category") == "help" and not act.state.get("urgent"), act
