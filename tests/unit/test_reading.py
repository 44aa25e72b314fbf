"""The reading rules kept as data: each rule's own example, the written forms, the language."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.domain import address, decide, message, reading
from hotline.domain.parsing import Command, Word, can_wait, parse_request, parse_resident_sentence

BUILDINGS = frozenset(range(1, 37))


@pytest.mark.parametrize("rule", reading.intent_rules(), ids=lambda r: f"{r.kind}:{r.example[:16]}")
def test_every_rule_reads_the_message_that_motivated_it(rule):
    text = reading.simplify(rule.example)
    assert rule.pattern.search(text), f"{rule.kind} rule does not match its own example {rule.example!r}"
    if rule.kind == "follow_up":
        assert reading.asks_after(rule.example)
    elif rule.kind == "hurry":
        assert reading.hurries(rule.example) and reading.intent(rule.example) is None
    elif rule.kind == "offer":  # something to give away is a question, and known as an offer
        assert reading.offers(rule.example) and reading.intent(rule.example) in ("question", "crisis")
    elif rule.kind in ("advert", "doubted"):  # an advert's link or contact; a scam called one by its reader
        assert reading.quotes_a_scam(rule.example) is (rule.kind == "doubted")
    elif rule.kind == "true_asked":  # news asked about: never a need passed on
        assert reading.asks_if_true(rule.example)
    elif rule.kind == "service":  # what the hotline does, asked: a question
        assert reading.asks_what_is_done(rule.example) and reading.intent(rule.example) in ("question", "crisis")
    elif rule.kind == "advice":  # what to keep or do, asked: a question, though it names a need
        assert reading.asks_advice(rule.example) and reading.intent(rule.example) == "question"
    elif rule.kind in ("what_if", "still_fine"):  # what would happen if, or whether it is still safe: a question
        assert reading.asks_what_if(rule.example) and reading.intent(rule.example) == "question"
    elif rule.kind == "just_asking":  # a message that says it asks first
        assert reading.just_asking(rule.example)
    elif rule.kind == "asks_nothing":  # a message that says it asks for nothing
        assert reading.asks_nothing(rule.example) and reading.just_asking(rule.example)
    elif rule.kind == "needs_nothing":  # nothing more is needed: no question, no cancel, and no asking
        assert reading.needs_nothing(rule.example) and reading.intent(rule.example) is None
        assert parse_resident_sentence(rule.example) in (None, Command(Word.THANKS, None))
    elif rule.kind == "wants":  # a need said or a shortage: with a question of where to get it, a need
        assert reading.wants(rule.example)
    else:  # one's own result asked about (own_case) is a question
        assert reading.intent(rule.example) in ({"own_case": "question"}.get(rule.kind, rule.kind), "crisis")
    if rule.counter:
        assert not rule.pattern.search(reading.simplify(rule.counter)), rule.counter


@pytest.mark.parametrize("rule", reading.need_rules().of(*reading.GRAVITY),
                         ids=lambda r: f"{r.kind}:{r.example[:16]}")
def test_every_gravity_rule_reads_the_message_that_motivated_it(rule):
    assert rule.pattern.search(reading.simplify(rule.example)), rule.example
    assert rule.kind in reading.gravity(reading.simplify(rule.example))
    parsed = parse_request(rule.example, BUILDINGS)
    assert parsed.urgent and (parsed.emergency or rule.kind != "emergency")
    if rule.counter:
        assert not rule.pattern.search(reading.simplify(rule.counter)), rule.counter


@pytest.mark.parametrize("rule", reading.calm_rules(), ids=lambda r: f"{r.kind}:{r.example[:16]}")
def test_every_calm_word_reads_the_message_that_motivated_it(rule):
    """A calm word's example says it can wait (no "but" after it, nothing said calm before it that a "but"
    takes back); a not_urgent word is only blanked before urgency is read, and its example is no calm message."""
    text = message.normalise(rule.example)
    assert rule.pattern.search(reading.simplify(text)), rule.example
    assert can_wait(text) is (rule.kind == "calm"), rule.example
    if rule.counter:
        assert not rule.pattern.search(reading.simplify(message.normalise(rule.counter))), rule.counter


@pytest.mark.parametrize("rule", reading.door_rules(), ids=lambda r: f"{r.kind}:{r.example[:16]}")
def test_every_door_rule_reads_the_message_that_motivated_it(rule):
    """Someone found at a door or a hazard there is read in its example and not in its counter-example; an `over`
    example is read as over and its counter-example not; an `again` example holds words that it is over, and the
    fall again after them takes them back."""
    said, counter = message.read(rule.example, BUILDINGS), message.read(rule.counter, BUILDINGS)
    assert rule.pattern.search(said.simplified), rule.example
    assert not rule.pattern.search(counter.simplified), rule.counter
    if rule.kind == "again":
        assert any(reading.matching(reading.door_rules().of("over"), said.simplified)) and not decide._over(said)
    elif rule.kind == "over":
        assert decide._over(said) and not decide._over(counter), rule.example
    else:
        assert decide._at_the_door(said, rule.kind) and not decide._at_the_door(counter, rule.kind), rule.example


@pytest.mark.parametrize("rule", reading.time_left_rules(), ids=lambda r: f"{r.kind}:{r.example[:16]}")
def test_every_time_left_rule_reads_how_long_its_medicine_lasts(rule):
    """A medicine that runs out soon is urgent, and one that lasts days can wait; the words are kept as when it runs
    out; the counter-example, the same medicine another time, is not read by the rule."""
    parsed = parse_request(rule.example, BUILDINGS)
    assert rule.pattern.search(reading.simplify(rule.example)), rule.example
    assert parsed.category == "medicine" and parsed.runs_out is not None, (rule.example, parsed)
    assert parsed.urgent is (rule.kind == "soon"), rule.example
    assert not rule.pattern.search(reading.simplify(rule.counter)), rule.counter


@pytest.mark.parametrize("rule", reading.need_rules().of("staple"), ids=lambda r: r.example[:16])
def test_the_writers_alarm_makes_a_need_urgent_only_where_a_staple_is_named(rule):
    """Both examples carry the writer's alarm words: with a staple the need is urgent, with trifles alone not."""
    assert rule.pattern.search(reading.simplify(rule.example)), rule.example
    assert parse_request(rule.example, BUILDINGS).urgent, rule.example
    assert not parse_request(rule.counter, BUILDINGS).urgent, rule.counter
    assert not parse_request("URGENT!!! need cat litter ASAP, bldg 14 rm 505", BUILDINGS).urgent
    assert parse_request("URGENT!!! need paracetamol ASAP, bldg 14 rm 505", BUILDINGS).urgent


@pytest.mark.parametrize("rule", reading.need_rules().of("all_well"), ids=lambda r: r.example[:16])
def test_thanks_for_help_in_a_past_emergency_whose_one_is_well_now_is_no_emergency(rule):
    assert rule.pattern.search(reading.simplify(rule.example))
    assert not parse_request(rule.example, BUILDINGS).emergency, rule.example
    assert parse_request(rule.counter, BUILDINGS).emergency, rule.counter
    assert not reading.gravity(reading.set_aside_past(reading.simplify(rule.example)))
    assert parse_request("谢谢上次帮我妈叫救护车 她现在好多了 可是今天我爸又胸口痛 一身冷汗", BUILDINGS).emergency


def test_a_time_left_that_is_not_soon_outweighs_the_writers_alarm():
    assert not parse_request("地高辛还有五天的量 我急得觉都睡不着", BUILDINGS).urgent
    assert parse_request("地高辛明天就吃完了 我急得觉都睡不着", BUILDINGS).urgent
    assert parse_request("急！胰岛素还剩一天的量", BUILDINGS).urgent


@pytest.mark.parametrize("rule", [r for r in reading.need_rules() if r.kind == "not_emergency"],
                         ids=lambda r: r.example[:16])
def test_a_past_fall_is_no_emergency_and_a_fall_now_still_is(rule):
    assert not parse_request(rule.example, BUILDINGS).emergency
    assert parse_request(rule.counter, BUILDINGS).emergency


@pytest.mark.parametrize("word", reading._address_words(), ids=lambda w: w.example[:12])
def test_every_address_word_reads_the_message_that_motivated_it(word):
    example = word.example
    assert word.pattern.search(example.lower())
    parsed = parse_request(example, BUILDINGS)
    assert parsed.building is not None and parsed.room is not None


@pytest.mark.parametrize("rule", reading.category_rules() + reading.resident_rules() + reading.volunteer_rules()
                         + reading.household_rules() + reading.drug_rules()
                         + reading.grave_rules() + reading.sign_rules(), ids=lambda r: f"{r.kind}:{r.example[:16]}")
def test_every_word_rule_reads_the_message_that_motivated_it(rule):
    text = reading.simplify(rule.example)
    assert rule.pattern.search(text), f"{rule.kind} rule does not match its own example {rule.example!r}"
    if rule.counter:
        assert not rule.pattern.search(reading.simplify(rule.counter)), rule.counter


@pytest.mark.parametrize(("text", "kind"), [
    ("mum's smile is lopsided and her words are all jumbled", "emergency"),
    ("no chest pain, just a stuffy nose", None),  # a sign right after "no" is not read
    ("his chest feels tight. he's fine otherwise", "emergency"),
    ("my chest. it's fine, the pain is in my knee", None),  # the two words in two sentences
    ("楼下阿姨平时天天在阳台晾衣服 这三天窗帘都没拉开过", "welfare"),
    ("这三天我都没出门", None),  # oneself at home: nobody else to look for
    ("手麻了 打字慢 帮我买点菜", None),  # a numb hand, on no one side
    ("dog food ran out, the dog has been barking for food", None),
    ("the dog next door has been barking for two days", "welfare"),
])
def test_a_sign_is_two_words_said_together_in_one_sentence(text, kind):
    found = {rule.kind for rule in reading.sign_rules() if rule.pattern.search(reading.simplify(text))}
    assert found == ({kind} if kind else set())


@pytest.mark.parametrize(("text", "only"), [
    ("Got everything, you guys are angels 😭❤️", True),  # thanks rules that overlap ("cheers guys", "you guys are…")
    ("다 받았어요 정말 감사합니다 😊", True),
    ("谢谢 另外再要一袋米", False),
    ("need rice thanks", False),
])
def test_a_message_of_thanks_alone_whichever_rules_read_it(text, only):
    assert reading.only_thanks(text) is only


@pytest.mark.parametrize(("text", "grave"), [
    ("Please cancel #41, my son got a Hema delivery. I won't need it anymore, thanks!", None),
    ("#41 cancel it, I won't need the food anymore. thank you for everything, tell Li Ming he was kind. goodbye",
     "crisis"),
    ("烟雾报警器一直滴滴滴地叫，没有烟也没着火，应该是电池没电了", None),
    ("如果我半夜摔倒了手机又够不着，你们怎么知道？", None),  # feared, not happening
])
def test_a_farewell_is_grave_and_a_cancel_or_a_worry_is_not(text, grave):
    assert reading.grave(text) == grave


def test_grave_words_said_laughing_are_not_grave():
    assert reading.grave("I'm so tired of all of it, this lockdown food is awful") == "crisis"
    assert reading.grave("I'm so tired of all of it, this lockdown food is awful lol, send snacks") is None


def test_a_signs_file_naming_an_unknown_word_names_its_line(tmp_path, monkeypatch):
    (tmp_path / "signs.tsv").write_text("word\tface\tface\nsign\temergency\tface\tdroop\t9\tx\n", encoding="utf-8")
    monkeypatch.setattr(reading, "LEXICON", tmp_path)
    reading.sign_rules.cache_clear()
    try:
        with pytest.raises(ValueError, match="signs.tsv:2"):
            reading.sign_rules()
    finally:
        reading.sign_rules.cache_clear()


@pytest.mark.parametrize(("texted", "read"), [
    ("old guy hasnt taken his veg box in", "old guy hasn't taken his veg box in"),
    ("i wont be around, im tired, theres smoke, cant", "i won't be around, i'm tired, there's smoke, can't"),
])
def test_contractions_texted_without_the_apostrophe_read_as_the_rules_write_them(texted, read):
    assert reading.simplify(texted) == read


def test_a_rules_file_with_a_broken_pattern_names_its_line(tmp_path):
    path = tmp_path / "rules.tsv"
    path.write_text("# kind\tpattern\texample\nquestion\t(unclosed\t核酸几点？\n", encoding="utf-8")
    with pytest.raises(ValueError, match="rules.tsv:2"):
        reading.load_rules(path)


def test_a_part_defined_once_is_written_out_where_a_pattern_names_it(tmp_path):
    path = tmp_path / "rules.tsv"
    path.write_text("define\tthanks\t(?:谢谢|thanks)\nthanks\t^⟨thanks⟩$\t谢谢\n", encoding="utf-8")
    [rule] = reading.load_rules(path)
    assert rule.pattern.pattern == "^(?:谢谢|thanks)$" and rule.pattern.search("thanks")
    path.write_text("define\tthanks\t(?:谢谢|thanks)\nthanks\t^⟨thank⟩$\t谢谢\n", encoding="utf-8")
    with pytest.raises(ValueError, match="rules.tsv:2"):  # a part no line defined
        reading.load_rules(path)


@pytest.mark.parametrize(("text", "kind"), [
    ("我真的不想活了", "crisis"),
    ("I want to die, I can't go on", "crisis"),
    ("累死了 菜还没到", None),
    ("听说7号楼有阳性 是真的吗", "rumour"),
    ("Is building 7 positive?", "rumour"),
    ("明天全员核酸几点开始？", "question"),
    ("Where can I get tested?", "question"),
    ("【京东】您的订单异常，点击链接 jd-refund.cn/a8 处理", "spam"),
    ("恭喜您中奖了", "spam"),
    ("12号楼302 需要买菜", None),
    ("需要抗原试剂两盒 12号楼302", None),
])
def test_what_a_message_is_for(text, kind):
    assert reading.intent(text) == kind


def test_traditional_characters_read_as_simplified():
    traditional = parse_request("12號樓302室 需要買菜和雞蛋 藥吃完了", BUILDINGS)
    simplified = parse_request("12号楼302室 需要买菜和鸡蛋 药吃完了", BUILDINGS)
    assert traditional == simplified and (traditional.building, traditional.room) == (12, "302")


def test_a_latin_word_beside_chinese_is_read_as_a_word():
    assert reading.simplify("帮我buy一些milk 20 delivered了") == "帮我 buy 一些 milk 20 delivered 了"
    assert reading.volunteer_reply("20 delivered了") == ("done", (20,))
    assert parse_request("我妈的insulin用完了 16号楼503", BUILDINGS).urgent


@pytest.mark.parametrize(("text", "reply"), [
    ("20 and 21 delivered, that's me done for today", ("done", (20, 21))),  # the jobs before going off
    ("done for today", ("off", ())),
    ("just left 21 with the guard at gate 2", ("done", (21,))),  # a gate's number is no job
    ("烧到39度 这几天送不了", ("off", ())),  # a temperature is no job
    ("我发烧到38度5 这几天送不了了", ("off", ())),
    ("128阿拉勿接了 腰痛", ("decline", (128,))),  # Shanghainese 勿接, Cantonese 唔接, 不接: declined, not 接了
    ("128唔接喇", ("decline", (128,))),
    ("20 21都不接了 家里有事", ("decline", (20, 21))),
    ("今朝阿拉勿接了", ("off", ())),  # no job named: off duty
    ("请问127要送到几楼？", None),  # asked, not said: nothing is delivered
    ("127送到了吗？", None),
    ("127 dropped off, is that ok?", ("done", (127,))),  # the drop-off is said; the question is another clause
    ("127已送到，请问下次几点？", ("done", (127,))),
])
def test_a_volunteers_words_about_jobs_numbered_come_first(text, reply):
    assert reading.volunteer_reply(text) == reply


@pytest.mark.parametrize(("text", "reply"), [
    ("20号送到了 21号还没去", ("done", (20,))),  # 21's part says nothing the hotline acts on
    ("21号还没去，20号送到了", ("done", (20,))),  # …whichever comes first
    ("127 I'll check later, 128 done", ("done", (128,))),
    ("took 127, can't do 128 today", ("accept", (127,))),  # a second word is for its own job: 128 is left as it is
    ("I'll take 127. 128 is too far for me tonight", ("accept", (127,))),  # a job number before a full stop
    ("127可以 128不行", ("accept", (127,))),
    ("is 127 the one in unit 2? 128 I'll take", ("accept", (128,))),  # a part that asks acts on none
    ("20号 21号 都送到了", ("done", (20, 21))),  # jobs alone take the word that follows
    ("今天累死了 20 和 21 都送好了", ("done", (20, 21))),
    ("OK 127, 128", ("accept", (127, 128))),  # …or the word before
    ("127我接了，128也行", ("accept", (127, 128))),  # and the same again
    ("20 done. Same for 21", ("done", (20, 21))),
    ("20送好了 21一样", ("done", (20, 21))),
])
def test_a_volunteers_message_is_read_part_by_part_when_jobs_have_different_fates(text, reply):
    assert reading.volunteer_reply(text) == reply


@pytest.mark.parametrize(("text", "numbers"), [
    ("收到 一百二十八 我来", (128,)),
    ("二十一号已送达 放门口了", (21,)),
    ("一二七 ok", (127,)),  # said digit by digit
    ("两单都送到了", ()),  # 两 alone is a count
    ("十点前送到", ()),  # a time
    ("十二号楼三零二 送到了", ()),  # an address
    ("买了二十个鸡蛋 已送", ()),  # a quantity
    ("二零送到了", (20,)),  # two digits said one by one, with a nought
    ("壹贰柒 拒绝，我这边忙不过来", (127,)),  # a cheque's numerals
    ("one twenty-eight can't, too far for me today sorry", (128,)),  # English words, two or more
    ("twenty one delivered", (21,)),
    ("one more bag for 127 ok", (127,)),  # one word alone is a word
    ("two bags left at the door of 20", (20,)),
])
def test_job_numbers_in_chinese_numerals(text, numbers):
    assert reading.job_numbers(text) == numbers


def test_a_curly_apostrophe_reads_as_a_straight_one():
    assert reading.simplify("I don\u2019t see a way out") == "i don't see a way out"
    assert reading.intent("I don\u2019t see a way out") == "crisis"


@pytest.mark.parametrize(("text", "pinyin"), [
    ("wo xu yao mai cai 12 hao lou 302", True),
    ("maicai", False),  # one word: too little to tell
    ("xuyao mai cai", True),
    ("I need rice", False),
    ("hang on a man", False),
    ("done 20", False),
])
def test_pinyin_without_tones_is_told_from_english(text, pinyin):
    assert reading.is_pinyin(text) is pinyin


def test_pinyin_reads_as_the_chinese_it_stands_for():
    parsed = parse_request("wo xu yao mai cai 12 hao lou 302", BUILDINGS)
    assert (parsed.category, parsed.building, parsed.room) == ("food", 12, "302")
    assert reading.language("wo xu yao mai cai 12 hao lou 302") == "zh"


@pytest.mark.parametrize(("text", "read"), [
    ("wǒ māma de yào chī wán le", "wo mama de yao chi wan le"),
    ("nǚ'ér bù zài jiā", "nv'er bu zai jia"),
    ("Où en est ma demande ?", "Où en est ma demande ?"),  # no first or third tone: French as written
    ("Tôi cần thuốc hạ sốt cho con", "Tôi cần thuốc hạ sốt cho con"),
    ("café ā la carte", "café ā la carte"),  # a mark, but the bare words are no pinyin
])
def test_pinyin_with_tone_marks_reads_as_pinyin_without(text, read):
    assert reading.toneless(text) == read


def test_pinyin_with_tone_marks_is_read_as_chinese():
    parsed = parse_request("wǒ bà de xuè yā yào chī wán le, 9 hào lóu 402", BUILDINGS)
    assert (parsed.category, parsed.building, parsed.room) == ("medicine", 9, "402")
    assert reading.language("wǒ bà de xuè yā yào chī wán le") == "zh"


@pytest.mark.parametrize(("pinyin", "chinese"), [
    ("kuai di zhan ke yi qu bao guo le ma", "快递站可以去包裹了吗"),  # a closing ma asks; le is 了
    ("you xu yao de ma? 13 hao lou", "有需要的吗? 13 号楼"),
    ("wo ma ma bing le", "wo ma ma bing 了"),  # ma ma is mother, not a question
    ("shi wo ma ma", "shi wo ma ma"),
])
def test_pinyin_questions_and_particles(pinyin, chinese):
    assert reading.from_pinyin(pinyin) == chinese


@pytest.mark.parametrize(("pinyin", "chinese"), [
    ("wo shi shi er hao lou san ling er de", "wo shi 12号楼302 de"),  # 是 is shi too: the longest number that reads
    ("er shi liu hao lou yi ling ling yi", "26号楼1001"),
    ("wu hao lou 601", "5号楼 601"),
    ("san hao lou, si ling er", "3号楼, si ling er"),  # a room after a comma stays words
    ("er shi hao lou san yao ling", "20号楼310"),  # yao is one in a door's number
])
def test_a_building_and_a_door_said_in_pinyin_are_read_as_digits(pinyin, chinese):
    assert reading.from_pinyin(pinyin) == chinese


@pytest.mark.parametrize(("text", "language", "reply"), [
    ("需要买菜", "zh", "zh"),
    ("wo xu yao mai cai", "zh", "zh"),
    ("I need rice and eggs please", "en", "en"),
    ("Bonjour, j'ai besoin de riz et de lait pour ma mère, s'il vous plaît", "fr", "en"),
    ("Ich brauche Brot und Milch, bitte", "de", "en"),
    ("Necesito arroz y leche por favor", "es", "en"),
    ("쌀이 필요해요", "ko", "en"),
    ("お米が必要です", "ja", "en"),
    ("у меня закончились лекарства, дом 6 квартира 401", "ru", "en"),
    ("أحتاج أرز وخبز، مبنى 14 شقة 305", "ar", "en"),
    ("मुझे दवाई चाहिए, बिल्डिंग 7 फ्लैट 1004", "hi", "en"),
    ("ผมต้องการข้าวและน้ำ ตึก 12 ห้อง 608", "th", "en"),
    ("302", None, None),
    ("Insulin (NovoRapid 诺和锐) runs out tonight, building 22 room 803, please", "en", "en"),  # a name in Chinese
    ("帮我buy一些milk", "zh", "zh"),
    # a few Chinese words (an app's, a hotel's) in a message of another script are names in it, as in English
    ("подскажите, курьеры до ворот доходят? можно заказывать с 美团 или только через 团购?", "ru", "en"),
    ("يقولون الاجانب بينقلونهم لفندق حجر 隔离酒店 الاسبوع الجاي، صحيح؟", "ar", "en"),
    ("我要买菜 спасибо", "zh", "zh"),
    ("I asked yesterday for my mom in 12栋302", "en", "en"),
    # an address's words are English where they are most of the words, not amid others
    ("bldg 7 apt 1101 rice", "en", "en"),
    ("Nahulog ang asawa ko sa hagdan, dumudugo ang ulo at hindi gumagalaw. Bldg 5 rm 301", "tl", "en"),
    # scripts no rule reads are languages too, answered in English, not read as none (and answered in Chinese)
    ("মা অজ্ঞান হয়ে গেছে, ডাকলেও জাগছে না।", "bn", "en"),  # its danda is the one Hindi writes too
    ("ကျေးဇူးတင်ပါတယ်", "my", "en"),
    ("ଦୟାକରି ଚାଉଳ ଦରକାର", "or", "en"),
    ("building ২৯ flat ১১০২ need rice", "en", "en"),  # another script's digits are no letters of it
    # Latin-script languages a detector of ten took for Tagalog, German or English: the coordinators are shown which
    ("Merhaba, 14. bina daire 801. Evde ekmek, yumurta, pirinç hiçbir şey kalmadı", "tr", "en"),
    ("Dzień dobry, blok 19 mieszkanie 1001. Mąż bierze Euthyrox codziennie", "pl", "en"),
    ("mijn oom van 79 woont alleen in gebouw 8 en neemt al drie dagen niet op", "nl", "en"),
    ("Naomba msaada, jengo 2 chumba 405. Sina chakula kabisa tangu jana", "sw", "en"),
    # English words that are words of other languages too, or parts of their words, are not two English words
    ("Tulong! Hindi humihinga ang asawa ko, bldg 12 rm 302", "tl", "en"),  # an address's words alone
    ("41'i iptal edin lütfen, eşim zaten market alışverişi yapmış, yanlışlıkla istemişim", "tr", "en"),  # no "im"
    ("Dzień dobry, skończyły mi się tabletki do zmywarki i płyn do naczyń", "pl", "en"),  # "i", "to": Polish
    ("me em o toa 25 can 1106 tu sang hom qua khong nghe may", "vi", "en"),  # "me", "can": Vietnamese unmarked
    ("Cheers mate, got the groceries, you're a legend", "en", "en"),
    ("what's on my list?", "en", "en"),
    ("ok 128 is mine", "en", "en"),  # words shared with other languages, but most of its words
    ("ok, je ne l'ai pas vue depuis lundi, ma voisine du 302, on frappe, rien", "fr", "en"),  # not "ok" and "on"
    ("Help! Mijn vader is gevallen en kan niet opstaan, gebouw 8 kamer 302", "nl", "en"),  # "help", "is": Dutch too
    # lingua unsure between two languages, neither English: the likelier, so that a coordinator reads it
    ("Salamat po sa lahat, ingat kayo palagi!", "id", "en"),
    # Vietnamese without its marks, which lingua's trigrams take for Swahili or French
    ("cuu voi, ba toi khong tho duoc nua, toa 15 p1203", "vi", "en"),
    ("rac nha em de 3 ngay roi ko ai lay, nho tinh nguyen vien mang xuong giup", "vi", "en"),
    # Cyrillic letters: Russian, unless lingua tells Ukrainian, Kazakh or another
    ("тато впав на сходах, вдарився головою, кров з голови", "uk", "en"),
    ("Моя мама упала и не может встать, дом 11 квартира 302", "ru", "en"),
    # Arabic letters: Arabic, unless lingua tells Persian or Urdu
    ("مادربزرگم تنها زندگی می‌کند و از دیروز جواب تلفن را نمی‌دهد، ساختمان ۳ واحد ۱۰۱", "fa", "en"),
    # languages typed in letters lingua does not know them by, told by their words (lexicon/romanised.tsv)
    ("Papa ke seene mein bahut dard ho raha hai, pasina aa raha hai, jaldi ambulance bhejo", "hi", "en"),
    ("I need rice please, thanks bhai", "en", "en"),  # two words of Hindi in English are English
    # words the lists leave out, as other languages write them too: Italian "mai", "noi", "dai" are no Thai
    ("Buongiorno, non abbiamo mai ricevuto la spesa, noi abbiamo avuto solo acqua dai vicini", "it", "en"),
    ("Hi, my grandma Tong Mai Hong lives alone in building 5 room 1203, could someone bring her some rice", "en", "en"),
    ("कृपया आज दवाई भेज दीजिए, भवन 12 कमरा 304", "hi", "en"),  # Hindi's words are no Nepali
    ("नमस्ते, मेरो छोरालाई दम छ, उसको इनहेलर सकिन लाग्यो, एक दुई पटक मात्र बाँकी छ", "ne", "en"),
])
def test_the_language_written_and_the_language_answered(text, language, reply):
    assert reading.language(text) == language
    assert reading.reply_language(text) == reply


@pytest.mark.parametrize(("code", "example"), [
    (code, example) for _, (code, _, example) in reading._rows(reading.LEXICON / "romanised.tsv")])
def test_each_language_told_by_its_words_is_told_in_its_example(code, example):
    assert reading.language(message.normalise(example)) == code


@pytest.mark.parametrize(("text", "answer"), [
    ("1", True), ("１", True), ("是", True), ("对的！", True), ("yes", True), ("OK", True), ("嗯嗯", True),
    ("2", False), ("不是", False), ("不对", False), ("no", False), ("Nope.", False),
    ("不是很急", None), ("是12号楼", None), ("对门阿婆要买菜", None), ("12", None), ("", None),
])
def test_a_whole_message_answers_yes_or_no(text, answer):
    assert reading.yes_or_no(text) is answer


@pytest.mark.parametrize(("text", "other"), [
    ("感谢 阿拉对门老太也要买菜 12号楼301", True), ("楼上独居的老伯好几天没动静了 12号楼402", True),
    ("他住5号楼1201 药快吃完了", True), ("my neighbour, she lives in 12-401, has no rice", True),
    ("是二号楼302室 要买菜", False), ("放楼下就行 12号楼302 要米", False), ("我老伴住院了 家里没菜了", False),
])
def test_writing_about_another_household(text, other):
    assert reading.about_someone_else(text) is other


def test_prepare_loads_every_lexicon_a_message_is_read_with():
    loaders = [reading.intent_rules, reading.need_rules, reading.category_rules, reading.resident_rules,
               reading.household_rules, reading.volunteer_rules, reading.grave_rules, reading.sign_rules,
               reading._address_words, reading._opencc,
               reading._syllables, reading._pinyin_words]
    for loader in loaders:
        loader.cache_clear()
    reading.prepare()
    assert [loader.cache_info().currsize for loader in loaders] == [1] * len(loaders)


@pytest.mark.parametrize("rule", address.not_address_rules(), ids=lambda r: f"{r.kind}:{r.example[:16]}")
def test_a_number_the_words_make_no_place_is_read_as_none(rule):
    match = rule.pattern.search(reading.simplify(rule.example))
    assert match, rule.example
    parsed = parse_request(rule.example, BUILDINGS | {41})
    blanked = {int(number) for number in re.findall(r"\d+", match[0])}  # "不是12号楼 是14号楼302": 14, never 12
    assert parsed.building not in blanked and parsed.unknown_building not in blanked, rule.example
    if rule.counter:
        assert parse_request(rule.counter, BUILDINGS).building is not None, rule.counter


@pytest.mark.parametrize("rule", reading.crisis_cues(), ids=lambda r: f"{r.kind}:{r.example[:16]}")
def test_every_cue_of_a_farewell_reads_the_message_that_motivated_it(rule):
    assert rule.pattern.search(reading.simplify(rule.example)), rule.example
    if rule.counter:
        assert not rule.pattern.search(reading.simplify(rule.counter)), rule.counter


@pytest.mark.parametrize(("text", "kind"), [
    ("谢谢大家这两个月的照顾。以后不用给我送菜了。", "crisis"),  # a farewell, and deliveries stopped for good
    ("猫托给隔壁了。活着真累。", "crisis"),  # things handed on, no hope
    ("Thanks for everything. No more deliveries for me.", "crisis"),
    ("谢谢大家这两个月的照顾。", None),  # one cue alone is ordinary
    ("谢谢大家这两个月的照顾。我女儿回来了，以后不用给我送菜了。", None),  # a reason explains them
    ("Thanks for everything! Moving out tomorrow, no more deliveries for me.", None),
    ("谢谢照顾 窗户开着通风呢 放心吧", None),  # thanks and a window open: two ordinary cues
    ("谢谢大家这两个月的照顾。窗户开着，风挺大的，活着真累。", "crisis"),  # …with no hope besides
])
def test_two_cues_of_a_farewell_are_crisis_words_unless_a_reason_explains_them(text, kind):
    assert reading.grave(text) == kind


@pytest.mark.parametrize(("text", "everyones"), [
    ("ok", True), ("OK 👍", True), ("okay!", True), ("ok ok", True), ("kk", True),
    ("thx", False), ("ok 12号楼302 需要米", False), ("好的", False), ("ok thanks, got everything", False),
])
def test_a_word_every_language_texts_tells_no_language(text, everyones):
    assert reading.everyones(text) is everyones


def test_a_web_process_loads_every_rules_file_before_its_first_message():
    """`prepare` (run as a web process starts) leaves no set of rules to be read and compiled while the first SMS
    waits: every cached function of the reading that gives rules and takes no argument has been called."""
    loaders = [value for value in vars(reading).values()
               if callable(value) and hasattr(value, "cache_clear") and inspect.signature(value).parameters == {}
               and inspect.signature(value).return_annotation in ("Rules", reading.Rules)]
    assert len(loaders) >= 13  # intents, needs, categories, crisis cues, signs… and the sets made of them
    for loader in loaders:
        loader.cache_clear()  # as in a process that has read nothing yet
    reading.prepare()
    assert [f.__name__ for f in loaders if f.cache_info().currsize == 0] == []


def test_a_contraction_texted_bare_is_restored_in_english_only():
    assert reading.simplify("im out of rice, hasnt come") == "i'm out of rice, hasn't come"
    assert reading.simplify("Es riecht im ganzen Flur nach Gas") == "es riecht im ganzen flur nach gas"
    assert reading.simplify("im so tired i want to die") == "i'm so tired i want to die"


@pytest.mark.parametrize(("word", "syllables"), [
    ("baobaonaifen", ("bao", "bao", "nai", "fen")),
    ("xian", ("xian",)),  # the fewest syllables: not xi an
    ("jintianwanshang", ("jin", "tian", "wan", "shang")),
    ("hello", None),  # no pinyin
])
def test_pinyin_run_together_is_read_syllable_by_syllable(word, syllables):
    assert reading.syllables_of(word) == syllables


@pytest.mark.parametrize("text, laugh", [("친구가 게임하다 쓰러졌어요", " ㅋㅋㅋ"),
                                         ("mi hermano está sangrando mucho", " jajaja"),
                                         ("友達がゲーム中に倒れた", "笑"), ("友達がゲーム中に倒れた", "www")])
def test_laughter_of_other_languages_sets_grave_words_aside(text, laugh):
    assert reading.grave(text) == "grave"
    assert reading.grave(text + laugh) is None


def test_laughter_of_other_languages_never_takes_back_crisis_words():
    assert reading.grave("wkwkwk capek banget hidup, mending aku mati aja") == "crisis"
    assert reading.grave("不是开玩笑！我妈晕倒了 叫不醒") == "grave"  # 玩笑 is no Japanese 笑


@pytest.mark.parametrize("text, calm", [
    ("Sem pressa, quando tiver alguém disponível. Prédio 27 apto 505", True),
    ("급한 건 아니에요. 16동 1103호", True),
    ("ไม่ด่วนค่ะ แต่คุณยายที่อยู่คนเดียวไม่เปิดประตูตั้งแต่วันจันทร์", False),  # not urgent, but…
    ("Hindi po urgent siguro pero si lola hindi na po sumasagot", False),
    ("acil değil mi?! babam nefes alamıyor", False),  # "isn't it urgent?!"
    ("급한 게 아니라 위급해요", False),  # "not urgent: critical"
    ("급한 건 아니지만 엄마가 어제부터 아무것도 못 드세요", False),  # "not urgent, but…" in the calm words' own ending
    ("急ぎではありませんが、隣のおばあさんが三日も出てこないんです", False),
    ("唔急，不過我阿媽三日冇出過門", False),  # a traditional "but", read as simplified
    ("ไม่ด่วนค่ะ ท่อน้ำตันตั้งแต่เมื่อวาน", True),  # ตั้งแต่ ("since") holds no แต่ ("but")
    ("SEM\u00a0PRESSA, quando der", True),  # read as simplified: NFKC, lower case
    ("شیر آب چکه میکنه، عجله ای نیست", True),  # Persian, Hebrew, Tamil, Romanian, romaji: no rush
    ("הנורה נשרפה, לא דחוף", True),
    ("குழாய் ஒழுகுகிறது, அவசரம் இல்லை", True),
    ("frigiderul nu merge, nu e urgent", True),
    ("terebi ga kowareta, isogimasen", True),
    ("Goedemiddag, de afvoer van onze douche is verstopt. Geen haast hoor. Gebouw 33 app 1603", True),  # Dutch, Czech,
    ("potreboval bych opravit kapajici kohoutek v kuchyni, nespecha to", True),  # Swedish, Hungarian: no rush
    ("Skulle behöva mjölk och bröd när ni hinner, ingen brådska", True),
    ("a kutyatáp fogyóban van, kb egy hétre elég még", True),  # "a week's worth left"
    ("লা দুধ লাগবে, জরুরি না, কিন্তু মা কাল থেকে দরজা খুলছেন না", False),  # Bengali "but"? no: read what follows
])
def test_a_writer_says_it_can_wait_unless_a_but_or_a_question_takes_it_back(text, calm):
    assert message.read(message.normalise(text), BUILDINGS).can_wait is calm


@pytest.mark.parametrize(("text", "building", "room"), [
    ("سلام، همسایه‌ی ما، ساختمان ۱۵ واحد ۵۰۱، از پریروز در را باز نمی‌کند", 15, "501"),  # Persian digits
    ("मेरो साथी भवन ३१ कोठा ६०२ मा एक्लै बस्छ", 31, "602"),  # Devanagari
    ("আমার বাবা ২৯ নম্বর বিল্ডিং, ফ্ল্যাট ১১০২ এ একা থাকেন", 29, "1102"),  # Bengali
    ("ကျွန်တော့်သူငယ်ချင်း အဆောက်အဦ ၁၈ အခန်း ၃၀၅ မှာ", 18, "305"),  # Burmese
])
def test_a_flat_written_in_the_digits_of_another_script_is_read(text, building, room):
    parsed = parse_request(message.normalise(text), BUILDINGS)
    assert (parsed.building, parsed.room) == (building, room)


def test_every_scripts_digits_are_read_as_0_to_9_one_for_one():
    assert reading.ascii_digits("३०२ ၁၈ ১১০২ ٣٨٫٦") == "302 18 1102 38٫6"
    assert message.normalise(" ३०२ ") == "302"  # an answer to "which room?"
    assert message.normalise("٣٨٫٦") == "38.6"
    assert reading.ascii_digits("no digits") == "no digits"


@pytest.mark.parametrize("text", ["أحتاج كيس رز واحد 5 كيلو", "Die Lieferung kommt erst in KW 23"])
def test_a_word_for_one_or_a_calendar_week_is_no_room(text):
    assert parse_request(message.normalise(text), BUILDINGS).room is None


@pytest.mark.parametrize(("pattern", "typed", "reads"), [
    ("kapıyı açmıyor", "kapiyi acmiyor", True),  # Turkish without its letters ("ı" is "i" already)
    ("nie może oddychać", "nie moze oddychac", True),  # Polish
    ("gebäude", "gebaeude", True),  # German: two letters for one
    ("gebäude", "gebaude", True),
    ("(?<!gebäude )x", "gebaude x", False),  # a look-behind keeps one width: the plain letter alone
    ("não atende", "nao atende", True),  # a word of three letters
    (r"\btã\b", "ta", False),  # shorter: Vietnamese "tã" (a nappy) is no "ta"
    ("chảy máu", "chay mau", False),  # a letter only Vietnamese has keeps its mark
    ("[ée]t[ée]", "ete", True),  # a class as written
    ("[^ş]", "s", True),  # a negated class too: it was written to take the plain letter
    ("ngã", "chi nga", False),  # a word that begins as only Vietnamese words do: "ngã" (a fall) is no "Nga"
    ("nhà", "nha", False),
])
def test_a_word_typed_without_its_marks_reads_as_written_with_them(pattern, typed, reads):
    assert (re.search(reading.bare_too(pattern), typed, re.IGNORECASE) is not None) is reads


@pytest.mark.parametrize(("pattern", "typed"), [
    ("ไม่มีน้ำดื่ม", "ตึก 8 ไม่มีน้ำดื่มแล้ว"),  # Thai "ำ" as typed: NFKC reads it as two characters, in both
    ("ｍｉｌｋ", "need milk"),  # full-width letters
])
def test_a_pattern_written_as_typed_reads_the_text_as_read(tmp_path, pattern, typed):
    path = tmp_path / "rules.tsv"
    path.write_text(f"food\t{pattern}\t{typed}\n", encoding="utf-8")
    [rule] = reading.load_rules(path)
    assert rule.pattern.search(reading.simplify(typed))


@pytest.mark.parametrize(("pattern", "typed", "finds"), [
    ("几点？", "几点？", True),  # the text's "？" is read as "?"
    ("几点？", "几点", False),  # …and the pattern's is a sign to find, not "?", a regex's "点 or nothing"
    ("几点？", "几点?", True),
    ("问问[^。！？]{0,12}药", "问问 一会儿有人来吗？药我有", False),  # a class that stops at a sentence's end…
    ("问问[^。！？]{0,12}药", "问问 一会儿有人来吗!药我有", False),  # …stops at "!" and "?" as typed too
    ("问问[^。！？]{0,12}药", "问问 一会儿有人来 药我有", True),
    ("电话[：]?138", "电话:138", True),
    ("电话[：]?138", "电话：138", True),
    ("电话[，-]138", "电话,138", True),  # a class that ends in "-": the ASCII sign is put first, not in a range
    ("几点\\？", "几点?", True),  # an escaped full-width sign too
    ("(?<!…)好", "好", True),  # a sign NFKC makes several of is left as written (a look-behind keeps its width)
])
def test_a_patterns_full_width_signs_find_what_the_text_is_read_as(tmp_path, pattern, typed, finds):
    path = tmp_path / "rules.tsv"
    path.write_text(f"food\t{pattern}\t楼号12\n", encoding="utf-8")
    [rule] = reading.load_rules(path)
    assert (rule.pattern.search(reading.simplify(typed)) is not None) is finds


def test_a_word_written_with_its_marks_still_reads():
    for pattern, written in (("kapıyı açmıyor", "Kapıyı açmıyor"), ("gebäude", "Gebäude"), ("não", "Não")):
        assert re.search(reading.bare_too(pattern), written, re.IGNORECASE)


@pytest.mark.parametrize(("text", "building", "room"), [
    ("komsum 15. blok 803 numarali dairede", 15, "803"),
    ("9 blok daire 406", 9, "406"),
    ("bud 2 m 301, karma dla psa", 2, "301"),
    ("pani Zofia z bloku 5 mieszkanie 204", 5, "204"),
    ("mi hija, edif 6 apto 307", 6, "307"),
    ("meine tochter wohnt in gebaeude 32 wohnung 1208", 32, "1208"),
    ("tatal meu sta in blocul 7 ap 605", 7, "605"),
    ("bl 30 ap 804, nu raspunde nimeni", 30, "804"),
    ("jaddi b 3imara 8 sha2a 302", 8, "302"),  # languages written in Latin letters: Arabic (Arabizi),
    ("madaram too sakhtemoon 4 vahed 502", 4, "502"),  # Persian,
    ("mama odna v korpuse 27 kv 1503", 27, "1503"),  # Russian,
    ("babusya z 5-ho budynku kv 606", 5, "606"),  # Ukrainian,
    ("o pappous sto ktirio 18 diam 1302", 18, "1302"),  # Greek,
    ("chichi wa 8 goutou 1203 goushitsu", 8, "1203"),  # Japanese,
    ("halmeoni 31dong 402ho", 31, "402"),  # Korean,
    ("yai yu tuek 33 hong 207", 33, "207"),  # Thai
    ("Әкем 20-корпус, 1501-пәтерде тұрады", 20, "1501"),  # and in their own scripts: Kazakh,
    ("ህንፃ 24 ክፍል 808", 24, "808"),  # Amharic,
    ("கட்டிடம் 3 வீடு 1203", 3, "1203"),  # Tamil
])
def test_a_flat_typed_without_marks_in_short_or_in_latin_letters_is_read(text, building, room):
    parsed = parse_request(message.normalise(text), BUILDINGS)
    assert (parsed.building, parsed.room) == (building, room)


def test_the_first_text_a_process_reads_has_its_flat_read():
    """The address words are tried by the words they need, known once they are compiled: a process's very first
    message must not be read before them (a fresh interpreter, as a worker starts)."""
    first = subprocess.run([sys.executable, "-c", "from hotline.domain import reading; "
                            "print(reading.simplify('acil!! 7. blok daire 1104 cabuk gelin'))"],
                           capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[2])
    assert "building 7" in first.stdout and "room 1104" in first.stdout


@pytest.mark.parametrize(("text", "welfare"), [
    ("Mi abuela vive sola en el edificio 8, 1203 y no contesta desde ayer", True),
    ("Ma mère vit seule bâtiment 5, 302 et ne répond plus depuis hier", True),
    ("El portero no contesta, ¿a qué hora abren?", False),  # a caretaker, an app, a courier: nobody to check on
    ("le gardien ne répond pas depuis ce matin, qui ouvre le local vélo ?", False),
    ("l appli ne repond plus depuis hier, comment commander ?", False),
    ("La app no responde desde ayer, ¿cómo pido comida?", False),
])
def test_someone_who_does_not_answer_is_a_welfare_check_and_a_caretaker_or_an_app_is_not(text, welfare):
    parsed = parse_request(message.normalise(text), frozenset(range(1, 37)))
    assert (parsed.category is not None and parsed.category.value == "welfare") == welfare
