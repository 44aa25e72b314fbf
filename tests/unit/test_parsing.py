"""Reading residents' texts and volunteers' command words, as people really write them."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hotline.domain import reading
from hotline.domain.manifest import read_number
from hotline.domain.numerals import chinese_digits, english_digits
from hotline.domain.parsing import (
    Category,
    Command,
    Parsed,
    Visit,
    Word,
    parse_command,
    parse_request,
    parse_resident_sentence,
    visit_time,
)
from hotline.domain.requests import said_time
from hotline.domain.voice import speech_digits

BUILDINGS = frozenset(range(1, 37))
FOOD, MEDICINE, HELP = Category.FOOD, Category.MEDICINE, Category.HELP

# Every field not named in a row must read as nothing: no category, not urgent, no building...
# The language defaults to "zh" when the text has a Chinese character, else "en".
NOTHING = {
    "category": None,
    "urgent": False,
    "emergency": False,
    "building": None,
    "unknown_building": None,
    "room": None,
    "drug": None,
    "runs_out": None,
    "for_other": False,
    "nearby": False,
}

PHRASINGS: list[tuple[str, dict[str, object]]] = [
    # Building and room, English forms
    ("I need rice, bldg 12 rm 302", {"category": FOOD, "building": 12, "room": "302"}),
    ("12-302 need eggs", {"category": FOOD, "building": 12, "room": "302"}),
    ("12/302 milk please", {"category": FOOD, "building": 12, "room": "302"}),
    ("12 - 302 bread", {"category": FOOD, "building": 12, "room": "302"}),
    ("Bldg 12 Rm 302 vegetables", {"category": FOOD, "building": 12, "room": "302"}),
    # The writer's own flat and the one the help goes to: the other one
    ("我住5号楼201，我妈在23号楼601，她高血压药明天就吃完了，我过不去",
     {"category": MEDICINE, "building": 23, "room": "601", "for_other": True, "drug": "高血压药", "runs_out": "明天",
      "urgent": True}),
    ("I rent 9-502. My landlady lives downstairs in 9-402: she needs adult diapers",
     {"category": HELP, "building": 9, "room": "402", "for_other": True}),
    ("我住33号楼1101，楼下1001住的是我小学老师，想请人帮她买点菜",
     {"category": FOOD, "building": 33, "room": "1001", "for_other": True}),
    ("我是12号楼302的顾阿姨，隔壁304的老陈血压药今天吃完了，他不会发短信",  # read_101: 老陈, a surname
     {"category": MEDICINE, "building": 12, "room": "304", "for_other": True, "urgent": True, "drug": "老陈血压药",
      "runs_out": "今天"}),
    ("我住12号楼302 需要买菜", {"category": FOOD, "building": 12, "room": "302"}),
    ("bldg12 rm302 groceries", {"category": FOOD, "building": 12, "room": "302"}),
    ("Building 12, Room 302. Need food", {"category": FOOD, "building": 12, "room": "302"}),
    # A room-shaped number standing alone, once a building is read; never an emergency number or a quantity
    ("smoke coming out under the door of 1504 in building 22",
     {"category": HELP, "urgent": True, "emergency": True, "building": 22, "room": "1504"}),
    ("28号楼三楼楼道里一股很冲的煤气味 301那个老头敲门不应",  # gas, and a door nobody opens: help at once
     {"category": HELP, "urgent": True, "emergency": True, "building": 28, "room": "301"}),
    ("need rice for 302 of bldg 12", {"category": FOOD, "building": 12, "room": "302"}),
    ("隔壁502王老师门口的菜从昨天放到现在都没拿进去",  # a neighbour's door
     {"category": Category.WELFARE, "urgent": True, "room": "502", "for_other": True, "nearby": True}),
    ("hey my downstairs neighbour in 202 usually plays piano", {"room": "202", "for_other": True, "nearby": True}),
    # A door by its number alone, then who lives there: in the writer's own building
    ("602嘅伯伯要胰岛素 佢嗰支今晚就用完", {"category": MEDICINE, "urgent": True, "room": "602", "nearby": True,
                                   "drug": "胰岛素", "runs_out": "今晚"}),
    ("帮502的老陈报一下 米吃完了", {"category": FOOD, "room": "502", "nearby": True}),
    ("1102王老师家想要点挂面 不急", {"category": FOOD, "room": "1102", "nearby": True}),
    ("the lady in 1201 asked me to get her some milk", {"category": FOOD, "room": "1201", "nearby": True}),
    ("5号楼 502的老陈要买米", {"category": FOOD, "building": 5, "room": "502"}),  # a building written: that one
    ("我妈住502 降压药吃完了",  # a relative's door, not of the writer's building: the building is asked
     {"category": MEDICINE, "urgent": True, "room": "502", "for_other": True, "drug": "降压药"}),
    ("I live in bldg 21. The old man next door 21-305 has not opened for 3 days",  # the place with a room, not mine
     {"category": Category.WELFARE, "urgent": True, "building": 21, "room": "305", "for_other": True}),
    ("我爸在二十六洞五零一 电话一直没人接",  # 栋 typed by voice as 洞
     {"category": Category.WELFARE, "urgent": True, "building": 26, "room": "501", "for_other": True}),
    ("12号楼 老人摔倒了 打了120", {"category": HELP, "urgent": True, "emergency": True, "building": 12, "room": None}),
    ("12号楼 要买500ml的矿泉水 2022年的也行", {"category": FOOD, "building": 12, "room": None}),
    ("building 12 apt 302, need noodles", {"category": FOOD, "building": 12, "room": "302"}),
    ("B12 302 need water", {"category": FOOD, "building": 12, "room": "302"}),
    ("#12-302 need fruit", {"category": FOOD, "building": 12, "room": "302"}),
    ("apt 1101, need meat", {"category": FOOD, "room": "1101"}),
    ("room 302 need bread", {"category": FOOD, "room": "302"}),
    ("5-1201 instant noodles please", {"category": FOOD, "building": 5, "room": "1201"}),
    ("Bldg. 7, unit 2, room 502 need rice", {"category": FOOD, "building": 7, "room": "502"}),
    ("flat 302 bldg 3 need milk", {"category": FOOD, "building": 3, "room": "302"}),
    ("Building #8 Rm. 1602: diapers and formula", {"category": FOOD, "building": 8, "room": "1602"}),
    ("blk 30 #1201 need veggies", {"category": FOOD, "building": 30, "room": "1201"}),
    ("bldg 12 room b302 need eggs", {"category": FOOD, "building": 12, "room": "B302"}),
    ("Room 302, Building 12, please help carry rice", {"category": HELP, "building": 12, "room": "302"}),  # a hand
    ("B302 need rice", {"category": FOOD}),  # a bare room-like code is neither room nor building
    ("b12 need rice", {"category": FOOD}),
    ("unit 302 building 4, something to eat", {"category": FOOD, "building": 4, "room": "302"}),
    # Building and room, Chinese forms
    ("12号楼302室 需要买菜", {"category": FOOD, "building": 12, "room": "302"}),
    ("１２号楼３０２室 需要大米", {"category": FOOD, "building": 12, "room": "302"}),
    ("12号302 要鸡蛋", {"category": FOOD, "building": 12, "room": "302"}),
    ("12栋1602 需要牛奶", {"category": FOOD, "building": 12, "room": "1602"}),
    ("12幢302 没有菜了", {"category": FOOD, "building": 12, "room": "302"}),
    ("12幢 要面包", {"category": FOOD, "building": 12}),
    ("我住12号楼，需要蔬菜", {"category": FOOD, "building": 12}),
    ("十二号楼 需要买菜", {"category": FOOD, "building": 12}),
    ("三十六栋 要米", {"category": FOOD, "building": 36}),
    ("二十号楼1201室 需要水果", {"category": FOOD, "building": 20, "room": "1201"}),
    ("5号1201 要泡面", {"category": FOOD, "building": 5, "room": "1201"}),
    ("五号楼1201 方便面", {"category": FOOD, "building": 5, "room": "1201"}),
    ("两号楼302", {"building": 2, "room": "302"}),
    ("12号楼2单元302 要肉", {"category": FOOD, "building": 12, "room": "302"}),
    ("12 号楼 302 室 需要鸡蛋", {"category": FOOD, "building": 12, "room": "302"}),
    ("第十号楼 501室 需要粮食", {"category": FOOD, "building": 10, "room": "501"}),
    ("12楼302 需要菜", {"category": FOOD}),  # 12楼 may be floor 12: ask, don't guess
    ("12楼302室 需要菜", {"category": FOOD, "room": "302"}),
    ("12-302 需要买菜", {"category": FOOD, "building": 12, "room": "302"}),
    ("３６栋１２０１ 要奶粉", {"category": FOOD, "building": 36, "room": "1201"}),
    ("12号楼302房 速食", {"category": FOOD, "building": 12, "room": "302"}),
    ("一号楼101 要吃的", {"category": FOOD, "building": 1, "room": "101"}),
    ("十二号302 要面", {"category": FOOD, "building": 12, "room": "302"}),
    ("12#302 要菜", {"category": FOOD, "building": 12, "room": "302"}),
    ("12栋3楼302 要鸡蛋", {"category": FOOD, "building": 12, "room": "302"}),
    ("5栋一单元1201 买菜", {"category": FOOD, "building": 5, "room": "1201"}),
    ("12号楼的302 要米", {"category": FOOD, "building": 12, "room": "302"}),
    ("1号楼 一楼 101 胰岛素", {"category": MEDICINE, "drug": "胰岛素", "building": 1, "room": "101"}),
    ("15号 1501 需要奶粉 孩子没奶喝了 很急", {"category": FOOD, "urgent": True, "building": 15, "room": "1501"}),
    ("bldg 12 rm 302. thanks", {"building": 12, "room": "302"}),
    ("十二号楼三零二 要米", {"category": FOOD, "building": 12, "room": "302"}),  # the room said digit by digit
    ("我住十二栋一二零一", {"building": 12, "room": "1201"}),
    ("三零二室 要米", {"category": FOOD, "room": "302"}),
    ("12-3-302 需要米", {"category": FOOD, "building": 12, "room": "302"}),  # building-entrance-room
    ("2022-04-12 要米", {"category": FOOD}),
    ("call 021-6000-1234 need rice", {"category": FOOD}),
    # Buildings that are not the compound's
    ("40号楼302室 需要菜", {"category": FOOD, "unknown_building": 40, "room": "302"}),
    ("bldg 99 rm 101 need rice", {"category": FOOD, "unknown_building": 99, "room": "101"}),
    ("37-1201 need eggs", {"category": FOOD, "unknown_building": 37, "room": "1201"}),
    ("四十号楼 要米", {"category": FOOD, "unknown_building": 40}),
    ("building 0 room 302 milk", {"category": FOOD, "unknown_building": 0, "room": "302"}),
    # Numbers that are not addresses: phones, quantities, dates, times, prices
    ("call me 13800138000 need rice", {"category": FOOD}),
    ("need 30 eggs and 2 bags of rice", {"category": FOOD}),
    ("要2袋米 30个鸡蛋", {"category": FOOD}),
    # 桶装水 is bottled water, no 1301 barrels
    ("5号楼1301 桶装水没了 饮水机空了", {"category": FOOD, "urgent": True, "building": 5, "room": "1301"}),
    ("要3桶矿泉水 5号楼", {"category": FOOD, "building": 5}),
    ("狗粮只剩一顿了 金毛 大狗 19栋801", {"category": HELP, "building": 19, "room": "801"}),  # a pet's: not urgent
    ("张先生人被拉去隔离了 家里猫粮今天吃完 能不能有人去喂下猫", {"category": HELP, "urgent": True}),  # …unless alone
    ("her levetiracetam tablets will finish by tomorrow night. Bldg-6, Flat-401.",
     {"category": MEDICINE, "drug": "levetiracetam", "building": 6, "room": "401"}),
    ("302", {"language": None}),
    ("10:30 deliver please, 12号楼", {"building": 12}),
    ("rice 50元 ok", {"category": FOOD}),
    ("5月12号 要菜", {"category": FOOD}),
    ("我的电话 13912345678 12号楼302", {"building": 12, "room": "302"}),
    ("we are 3 people, need food for 3 days, bldg 4 rm 201", {"category": FOOD, "building": 4, "room": "201"}),
    ("need 2 bags of rice, 12-302, phone 138-0013-8000", {"category": FOOD, "building": 12, "room": "302"}),
    ("2022-04-12 need rice", {"category": FOOD}),
    ("12号楼 300个鸡蛋", {"category": FOOD, "building": 12}),
    ("3月5号送菜到6号楼", {"category": FOOD, "building": 6}),
    ("这一栋楼都没菜了", {"category": FOOD}),
    ("my 85 year old mother needs rice, 5-501", {"category": FOOD, "building": 5, "room": "501", "for_other": True}),
    ("price 12-300 yuan for rice?", {"category": FOOD}),
    # Medicine, the drug and when it runs out
    (
        "need insulin, runs out tomorrow",
        {"category": MEDICINE, "drug": "insulin", "runs_out": "tomorrow", "urgent": True},
    ),
    ("降压药 明天就吃完了", {"category": MEDICINE, "drug": "降压药", "runs_out": "明天", "urgent": True}),
    ("不急的 有空帮我配一下 二甲双胍明天早上就吃完了",  # calm words, but the medicine is gone by tomorrow morning
     {"category": MEDICINE, "drug": "二甲双胍", "runs_out": "明天", "urgent": True}),
    ("不急 降压药还有一个礼拜的量", {"category": MEDICINE, "drug": "降压药", "runs_out": "一个礼拜", "urgent": False}),
    # read_96: "I am tired of being a burden to everyone" ("zur Last zu fallen"): no fall, whatever else it is
    ("Ich bin es leid, allen zur Last zu fallen. Meine Katze habe ich der Nachbarin gegeben.", {"language": "en"}),
    # read_92: supplements gone, "nothing pressing, when you're done with the rest"; "whenever you're free"
    ("钙片跟维生素吃完了，想补一瓶，不是啥要紧事，你们忙完再说", {"category": MEDICINE, "urgent": False}),
    ("魚油膠囊吃完了 醫生說可吃可不吃 有空再幫我帶一瓶就好", {"category": MEDICINE, "urgent": False}),
    ("my metformin runs out in 2 days", {"category": MEDICINE, "drug": "metformin", "runs_out": "in 2 days"}),
    ("氨氯地平还剩3天", {"category": MEDICINE, "drug": "氨氯地平", "runs_out": "3天"}),
    (
        "need my blood pressure pills, bldg 3 rm 402",
        {"category": MEDICINE, "drug": "blood pressure pills", "building": 3, "room": "402"},
    ),
    ("我妈妈住5号楼1201 需要配药", {"category": MEDICINE, "building": 5, "room": "1201", "for_other": True}),
    (
        "胰岛素今天就没了 8号楼101",
        {"category": MEDICINE, "drug": "胰岛素", "runs_out": "今天", "urgent": True, "building": 8, "room": "101"},
    ),
    (
        "need prescription refill amlodipine 10mg bldg 6 rm 605",
        {"category": MEDICINE, "drug": "amlodipine", "building": 6, "room": "605"},
    ),
    ("last pill of warfarin today", {"category": MEDICINE, "drug": "warfarin", "urgent": True}),
    (
        "ran out of my inhaler, 14-1102",
        {"category": MEDICINE, "drug": "inhaler", "urgent": True, "building": 14, "room": "1102"},
    ),
    ("感冒药 退烧药 23栋1002", {"category": MEDICINE, "drug": "感冒药", "building": 23, "room": "1002"}),
    (
        "需要二甲双胍，只够吃两天了，7号楼701",
        {"category": MEDICINE, "drug": "二甲双胍", "runs_out": "两天", "building": 7, "room": "701"},
    ),
    (
        "帮我爸爸买降压药 3号楼 502室 很急",
        {"category": MEDICINE, "drug": "降压药", "urgent": True, "for_other": True, "building": 3, "room": "502"},
    ),
    (
        "medicine for my father, building 5 room 1201",
        {"category": MEDICINE, "for_other": True, "building": 5, "room": "1201"},
    ),
    ("速效救心丸 快没了 16号楼", {"category": MEDICINE, "drug": "速效救心丸", "building": 16}),
    (
        "atorvastatin runs out on friday, rm 903 bldg 9",
        {"category": MEDICINE, "drug": "atorvastatin", "runs_out": "friday", "building": 9, "room": "903"},
    ),
    ("我的药还剩1天 22号楼", {"category": MEDICINE, "runs_out": "1天", "urgent": True, "building": 22}),
    ("need meds asap 30-302", {"category": MEDICINE, "urgent": True, "building": 30, "room": "302"}),
    ("药品 处方 在 18号楼 601", {"category": MEDICINE, "building": 18, "room": "601"}),
    (
        "heart medication needed, 2/202",
        {"category": MEDICINE, "drug": "heart medication", "building": 2, "room": "202"},
    ),
    (
        "my mum's losartan, only 2 days left, 10-1001",
        {
            "category": MEDICINE,
            "drug": "losartan",
            "runs_out": "2 days",
            "for_other": True,
            "building": 10,
            "room": "1001",
        },
    ),
    ("need insulin next week bldg 1 rm 101", {"category": MEDICINE, "drug": "insulin", "building": 1, "room": "101"}),
    ("阿司匹林 后天吃完 9栋", {"category": MEDICINE, "drug": "阿司匹林", "runs_out": "后天", "building": 9}),
    (
        "需要胰岛素 明天用完 11号楼1102",
        {
            "category": MEDICINE,
            "drug": "胰岛素",
            "runs_out": "明天",
            "urgent": True,
            "building": 11,
            "room": "1102",
        },
    ),
    ("enough insulin for 3 days", {"category": MEDICINE, "drug": "insulin", "runs_out": "3 days"}),
    (
        "My father has diabetes and runs out of insulin on Saturday. Bldg 2, Rm 1104.",
        {
            "category": MEDICINE,
            "drug": "insulin",
            "runs_out": "saturday",
            "for_other": True,
            "building": 2,
            "room": "1104",
        },
    ),
    (
        "my insulin runs out of stock tomorrow",
        {"category": MEDICINE, "drug": "insulin", "runs_out": "tomorrow", "urgent": True},
    ),
    (
        "36号楼3602 血压药 明天没了",
        {
            "category": MEDICINE,
            "drug": "血压药",
            "runs_out": "明天",
            "urgent": True,
            "building": 36,
            "room": "3602",
        },
    ),
    (
        "老爷子在3号楼，降压药只剩一天了，麻烦帮忙配一下，谢谢！",
        {
            "category": MEDICINE,
            "drug": "降压药",
            "runs_out": "一天",
            "urgent": True,
            "building": 3,
        },
    ),
    ("I need rice and my pills, 4-404", {"category": MEDICINE, "building": 4, "room": "404"}),
    # Urgency, said or played down
    ("out of food for 2 days, bldg 6 rm 101", {"category": FOOD, "urgent": True, "building": 6, "room": "101"}),
    ("haven't eaten since yesterday, 11-502", {"category": FOOD, "urgent": True, "building": 11, "room": "502"}),
    ("家里断粮了 紧急 25号楼", {"category": FOOD, "urgent": True, "building": 25}),
    ("两天没吃饭了 31栋 402", {"category": FOOD, "urgent": True, "building": 31, "room": "402"}),
    ("饿了两天了 要吃的", {"category": FOOD, "urgent": True}),
    ("urgent: need rice and eggs, bldg 2 rm 202", {"category": FOOD, "urgent": True, "building": 2, "room": "202"}),
    ("不急，明天送点鸡蛋就行 4号楼", {"category": FOOD, "building": 4}),
    ("not urgent, some vegetables when you can, rm 302 bldg 1", {"category": FOOD, "building": 1, "room": "302"}),
    ("马上要米 10号楼", {"category": FOOD, "urgent": True, "building": 10}),
    ("尽快送菜 谢谢 6栋601", {"category": FOOD, "urgent": True, "building": 6, "room": "601"}),
    ("RICE!!! BLDG 12 RM 302 URGENT", {"category": FOOD, "urgent": True, "building": 12, "room": "302"}),
    ("baby formula asap please 8-808", {"category": FOOD, "urgent": True, "building": 8, "room": "808"}),
    ("粮食今天就没了 急急急 35号楼", {"category": FOOD, "urgent": True, "building": 35}),
    # Emergencies: always urgent, help unless another need is named
    (
        "my mother fell and can't get up, bldg 5 rm 1201",
        {"category": HELP, "urgent": True, "emergency": True, "for_other": True, "building": 5, "room": "1201"},
    ),
    ("chest pain, 12-302", {"category": HELP, "urgent": True, "emergency": True, "building": 12, "room": "302"}),
    ("Haus 14 Wohnung 1201. Bräuchte Brot und Kaffee, falls möglich",  # German "falls" is "if", no fall
     {"category": FOOD, "building": 14, "room": "1201"}),
    ("十二号三零五，宝宝奶粉今天就喝完了", {"category": FOOD, "urgent": True, "building": 12, "room": "305"}),
    ("阿拉姆妈住勒廿六号楼八零一 要米", {"category": FOOD, "building": 26, "room": "801"}),  # 廿: twenty
    ("五月一号 要米", {"category": FOOD}),  # a date: no building
    ("36好楼501 降压药还剩五天的量", {"category": MEDICINE, "building": 36, "room": "501", "drug": "降压药",
                                    "runs_out": "五天"}),  # 号 typed by sound
    (
        "I can't breathe bldg 3 rm 303",
        {"category": HELP, "urgent": True, "emergency": True, "building": 3, "room": "303"},
    ),
    (
        "my dad is unconscious building 8 room 801",
        {"category": HELP, "urgent": True, "emergency": True, "for_other": True, "building": 8, "room": "801"},
    ),
    ("救命 我爸摔倒了", {"category": HELP, "urgent": True, "emergency": True, "for_other": True}),
    (
        "老人晕倒了 28号楼1502 快叫救护车",
        {"category": HELP, "urgent": True, "emergency": True, "building": 28, "room": "1502"},
    ),
    (
        "我妈胸口痛 喘不上气 33栋",
        {"category": HELP, "urgent": True, "emergency": True, "for_other": True, "building": 33},
    ),
    ("呼吸困难 需要急救 19号楼", {"category": HELP, "urgent": True, "emergency": True, "building": 19}),
    ("老人发烧四十度 神志不清", {"category": HELP, "urgent": True, "emergency": True}),
    ("my father is unresponsive", {"category": HELP, "urgent": True, "emergency": True, "for_other": True}),
    # Things fall, and a first-aid kit is shopping: no alarm
    ("想买个急救箱", {}),
    ("my phone fell in the toilet", {"language": "en"}),
    ("I fell behind on my bills", {"language": "en"}),
    ("stroke patient at home, need diapers", {"category": HELP, "language": "en"}),  # household supplies, no alarm
    ("bleeding gums, need mouthwash", {"language": "en"}),
    (
        "heart attack? call 120! 7-707",
        {"category": HELP, "urgent": True, "emergency": True, "building": 7, "room": "707"},
    ),
    (
        "爷爷中风了 打120了 需要降压药 15号楼",
        {"category": MEDICINE, "drug": "降压药", "urgent": True, "emergency": True, "for_other": True, "building": 15},
    ),
    ("he fainted, bldg 20", {"category": HELP, "urgent": True, "emergency": True, "building": 20}),
    ("seizure, 21-2101", {"category": HELP, "urgent": True, "emergency": True, "building": 21, "room": "2101"}),
    (
        "bleeding heavily from a cut, 9-901",
        {"category": HELP, "urgent": True, "emergency": True, "building": 9, "room": "901"},
    ),
    ("抽搐 不省人事 34号楼", {"category": HELP, "urgent": True, "emergency": True, "building": 34}),
    ("已经打了120 2号楼", {"category": HELP, "urgent": True, "emergency": True, "building": 2}),
    (
        "short of breath, need my inhaler, 6-602",
        {
            "category": MEDICINE,
            "drug": "inhaler",
            "urgent": True,
            "emergency": True,
            "building": 6,
            "room": "602",
        },
    ),
    ("我跌倒了起不来 3栋303", {"category": HELP, "urgent": True, "emergency": True, "building": 3, "room": "303"}),
    ("救命", {"category": HELP, "urgent": True, "emergency": True}),  # 120 first, the coordinators at once
    ("fell asleep waiting for rice lol", {"category": FOOD}),
    ("not an emergency, just bread, 2-201", {"category": FOOD, "building": 2, "room": "201"}),
    # Other help
    ("need help carrying water upstairs bldg 4 rm 402", {"category": HELP, "building": 4, "room": "402"}),
    ("can someone fix my door, 13-1301", {"category": HELP, "building": 13, "room": "1301"}),
    ("垃圾没人收 帮忙 17号楼 1701", {"category": HELP, "building": 17, "room": "1701"}),
    ("需要人陪我去医院 24号楼", {"category": HELP, "building": 24}),
    ("帮我取快递 26栋 802", {"category": HELP, "building": 26, "room": "802"}),
    ("help with rubbish please 27-203", {"category": HELP, "building": 27, "room": "203"}),
    ("需要帮助", {"category": HELP}),
    ("我奶奶需要人帮忙搬东西 20号楼", {"category": HELP, "for_other": True, "building": 20}),
    ("外面太吵 帮忙看看 5号楼", {"category": HELP, "building": 5}),
    # Relatives and neighbours writing for someone else
    (
        "my mother in building 5 room 1201 needs rice",
        {"category": FOOD, "for_other": True, "building": 5, "room": "1201"},
    ),
    ("我妈妈住5号楼1201室，需要买菜", {"category": FOOD, "for_other": True, "building": 5, "room": "1201"}),
    ("帮我爸爸买点菜 32号楼302", {"category": FOOD, "for_other": True, "building": 32, "room": "302"}),
    (
        "Hello, my grandmother lives at 6-302. She fell yesterday and can't walk. Needs food.",
        {"category": FOOD, "urgent": True, "emergency": True, "for_other": True, "building": 6, "room": "302"},
    ),
    (
        "for my grandma, bldg 35 rm 101, milk and bread",
        {"category": FOOD, "for_other": True, "building": 35, "room": "101"},
    ),
    ("my neighbour in 11-1102 has no food", {"category": FOOD, "urgent": True, "for_other": True, "building": 11,
                                              "room": "1102"}),
    ("我是她女儿，我外婆在29号楼 需要药", {"category": MEDICINE, "for_other": True, "building": 29}),
    ("隔壁老人没菜了 14栋1401", {"category": FOOD, "for_other": True, "building": 14, "room": "1401"}),
    ("my wife and I need groceries, 6-606", {"category": FOOD, "building": 6, "room": "606"}),
    ("妈妈在5号楼需要药", {"category": MEDICINE, "for_other": True, "building": 5}),
    ("for mom: rice and eggs, 3-303", {"category": FOOD, "for_other": True, "building": 3, "room": "303"}),
    # Language, noise and hostile text
    ("", {"language": None}),
    ("🙏🙏🙏", {"language": None}),
    ("12", {"language": None}),
    ("<Say>rice</Say> bldg 3", {"category": FOOD, "building": 3}),
    ("'; DROP TABLE requests;-- bldg 4 rm 404", {"building": 4, "room": "404"}),
    ("Rice", {"category": FOOD}),
    ("米", {"category": FOOD}),
    ("hello", {}),
    ("\u200b12\u200b号楼 rice", {"category": FOOD, "building": 12}),
    ("ｂｌｄｇ　１２　ｒｍ　３０２ ｒｉｃｅ", {"category": FOOD, "building": 12, "room": "302"}),
    ("بناية 12 rice", {"category": FOOD}),
    ("rice\x00\x07 bldg\t12\nrm 302", {"category": FOOD, "building": 12, "room": "302"}),
    ("我要买菜 住在12栋 房号是302", {"category": FOOD, "building": 12, "room": "302"}),
]

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(("text", "fields"), PHRASINGS, ids=[text[:40] for text, _ in PHRASINGS])
def test_parse_request_reads_real_phrasings(text: str, fields: dict[str, object]) -> None:
    expected = {**NOTHING, **fields}
    written = expected.pop("language", "zh" if CJK.search(text) else "en")  # the answer's language
    parsed = parse_request(text, BUILDINGS)
    assert {name: getattr(parsed, name) for name in expected} == expected
    assert reading.reply_language(text) == written


def test_phrasings_table_is_large_and_unique() -> None:
    texts = [text for text, _ in PHRASINGS]
    assert len(texts) >= 100
    assert len(set(texts)) == len(texts)


def test_parse_request_knows_only_the_given_buildings() -> None:
    assert parse_request("bldg 12 rm 302", frozenset({3, 5})) == Parsed(
        category=None,
        urgent=False,
        emergency=False,
        building=None,
        unknown_building=12,
        room="302",
        drug=None,
        runs_out=None,
        for_other=False,
    )


def test_parse_request_prefers_a_known_building_over_an_unknown_one() -> None:
    parsed = parse_request("not bldg 40, bldg 4 rm 402", BUILDINGS)
    assert (parsed.building, parsed.unknown_building, parsed.room) == (4, None, "402")


def test_parse_request_reads_a_long_message() -> None:
    text = "I need rice, bldg 12 rm 302. " + "Please. " * 200
    assert len(text) > 1600
    assert parse_request(text, BUILDINGS).building == 12


COMMANDS: list[tuple[str, Command | None]] = [
    # Residents
    ("STATUS", Command(Word.STATUS, None)),
    ("status", Command(Word.STATUS, None)),
    ("状态", Command(Word.STATUS, None)),
    ("查询", Command(Word.STATUS, None)),
    ("my requests", Command(Word.STATUS, None)),
    ("CANCEL 457", Command(Word.CANCEL, 457)),
    ("cancel #457", Command(Word.CANCEL, 457)),
    ("取消 457", Command(Word.CANCEL, 457)),
    ("取消#457", Command(Word.CANCEL, 457)),
    ("取消", Command(Word.CANCEL, None)),
    ("NOT RECEIVED 457", Command(Word.NOT_RECEIVED, 457)),
    ("not received #457", Command(Word.NOT_RECEIVED, 457)),
    ("没收到 457", Command(Word.NOT_RECEIVED, 457)),
    ("没有收到457", Command(Word.NOT_RECEIVED, 457)),
    ("didn't receive 457", Command(Word.NOT_RECEIVED, 457)),
    ("ENGLISH", Command(Word.ENGLISH, None)),
    ("English please", Command(Word.ENGLISH, None)),
    ("英文", Command(Word.ENGLISH, None)),
    ("中文", Command(Word.CHINESE, None)),
    ("CHINESE", Command(Word.CHINESE, None)),
    ("HELP", Command(Word.HELP, None)),
    ("help!", Command(Word.HELP, None)),
    ("help me", Command(Word.HELP, None)),
    ("帮助", Command(Word.HELP, None)),
    ("救命", None),  # an emergency, not a word
    ("救命啊！", None),
    # Twilio's opt-out and opt-in words, alone
    ("STOP", Command(Word.OPT_OUT, None)),
    ("  stop. ", Command(Word.OPT_OUT, None)),
    ("StopAll", Command(Word.OPT_OUT, None)),
    ("UNSUBSCRIBE", Command(Word.OPT_OUT, None)),
    ("cancel", Command(Word.OPT_OUT, None)),
    ("End", Command(Word.OPT_OUT, None)),
    ("QUIT!", Command(Word.OPT_OUT, None)),
    ("revoke", Command(Word.OPT_OUT, None)),
    ("OPTOUT", Command(Word.OPT_OUT, None)),
    ("退订", Command(Word.OPT_OUT, None)),
    ("START", Command(Word.OPT_IN, None)),
    ("yes", Command(Word.OPT_IN, None)),
    ("UNSTOP", Command(Word.OPT_IN, None)),
    # Volunteers
    ("OK 457", Command(Word.ACCEPT, 457)),
    ("ok #457", Command(Word.ACCEPT, 457)),
    ("OK#457", Command(Word.ACCEPT, 457)),
    ("ok ＃457", Command(Word.ACCEPT, 457)),
    ("ok # 457", Command(Word.ACCEPT, 457)),
    ("ok no.457", Command(Word.ACCEPT, 457)),
    ("ok", Command(Word.ACCEPT, None)),
    ("Okay 12", Command(Word.ACCEPT, 12)),
    ("ok 457 thanks", Command(Word.ACCEPT, 457)),
    ("接 457", Command(Word.ACCEPT, 457)),
    ("接单 457", Command(Word.ACCEPT, 457)),
    ("好 457", Command(Word.ACCEPT, 457)),
    ("好的 457", Command(Word.ACCEPT, 457)),
    ("yes 457", Command(Word.ACCEPT, 457)),
    ("ＯＫ　４５７", Command(Word.ACCEPT, 457)),
    ("DONE 457", Command(Word.DONE, 457)),
    ("done", Command(Word.DONE, None)),
    ("delivered 457", Command(Word.DONE, 457)),
    ("完成 457", Command(Word.DONE, 457)),
    ("已送 457", Command(Word.DONE, 457)),
    ("送到 457", Command(Word.DONE, 457)),
    ("已送达 457 谢谢", Command(Word.DONE, 457)),
    ("完成了", Command(Word.DONE, None)),
    ("NO 457", Command(Word.DECLINE, 457)),
    ("no", Command(Word.DECLINE, None)),
    ("no.457", Command(Word.DECLINE, 457)),
    ("不行 457", Command(Word.DECLINE, 457)),
    ("拒绝 457", Command(Word.DECLINE, 457)),
    ("不能 457", Command(Word.DECLINE, 457)),
    ("LIST", Command(Word.LIST, None)),
    ("列表", Command(Word.LIST, None)),
    ("OFF", Command(Word.OFF, None)),
    ("下班", Command(Word.OFF, None)),
    ("ON", Command(Word.ON, None)),
    ("上班", Command(Word.ON, None)),
    # Not commands: requests, sentences, words with numbers they do not take
    ("ok I need rice for building 3", None),
    ("OK 457 but I need rice too", None),
    ("help my mother fell", None),
    ("help 12-302", None),
    ("stop 457", None),
    ("stop please", None),
    ("list 457", None),
    ("12号楼302室 需要买菜", None),
    ("457", None),
    ("#457", None),
    ("", None),
    ("   ", None),
    ("!!!", None),
    ("oklahoma", None),
    ("done with rice? bldg 3", None),
    ("好的，谢谢你们送的菜", None),
    ("\x00\x01", None),
]


@pytest.mark.parametrize(("text", "expected"), COMMANDS, ids=[repr(text)[:30] for text, _ in COMMANDS])
def test_parse_command_reads_whole_messages(text: str, expected: Command | None) -> None:
    assert parse_command(text) == expected


def test_commands_table_is_large_and_unique() -> None:
    texts = [text for text, _ in COMMANDS]
    assert len(texts) >= 50
    assert len(set(texts)) == len(texts)


# --- properties ---------------------------------------------------------------------------

# Pieces of real addresses and needs, so that random text often looks like a message.
FRAGMENTS = [
    *"号楼 号 栋 幢 楼 室 房 单元 月 十 二 两 三 〇 零 一 b # ＃ - / , . １２ rice 药 降压药 insulin".split(),
    *"tomorrow 明天 还剩 天 摔倒 fell 急 我妈 no. ok 谢谢".split(),
    *("bldg ", "building ", "rm ", "room ", "apt ", "unit ", "runs out ", "my mother ", " ", "\u200b"),
]
messages = st.one_of(
    st.text(max_size=300),
    st.lists(
        st.one_of(st.sampled_from(FRAGMENTS), st.integers(0, 99999).map(str), st.text(max_size=3)),
        max_size=20,
    ).map("".join),
)
building_sets = st.one_of(st.just(BUILDINGS), st.frozensets(st.integers(0, 120), max_size=40))

CN_DIGITS = "零一二三四五六七八九"


def written_forms(number: int) -> set[str]:
    """Return the ways a building or room number can be written: 12, 一二, 十二, 一十二; 三百零二, 一千零三."""
    forms = {str(number), "".join(CN_DIGITS[int(d)] for d in str(number))}
    if 10 <= number <= 99:
        tens, ones = divmod(number, 10)
        ones_written = CN_DIGITS[ones] if ones else ""
        forms |= {CN_DIGITS[tens] + "十" + ones_written, "十" + ones_written if tens == 1 else ""}
    if 100 <= number <= 9999:
        forms.add(_in_chinese(number))
    return forms - {""}


def _in_chinese(number: int) -> str:
    """100 to 9999 as written in words: 三百零二, 一千零三, 一千二百一十."""
    words, zero = "", False
    for digit, unit in zip(f"{number:04d}", ("千", "百", "十", ""), strict=True):
        if digit == "0":
            zero = bool(words)
            continue
        words += ("零" if zero else "") + CN_DIGITS[int(digit)] + unit
        zero = False
    return words


def as_normalised(text: str) -> str:
    """Return the text as the parser reads it, with 两 and 〇 spelt as 二 and 零 and the digits of every script as 0-9
    (`reading.ascii_digits`: "BLD꧐", a Javanese nought, is building 0)."""
    return reading.ascii_digits(unicodedata.normalize("NFKC", text).lower().replace("两", "二").replace("〇", "零"))


@settings(max_examples=400)
@given(text=messages, buildings=building_sets)
@example(text="RM十", buildings=BUILDINGS)  # a room written in a Chinese numeral (Hypothesis found it)
@example(text="RM1十", buildings=BUILDINGS)  # a figure against a Chinese numeral (Hypothesis found it): not "110"
@example(text="BLD1十", buildings=BUILDINGS)
@example(text="BLD꧐", buildings=BUILDINGS)  # a digit of another script (Hypothesis found it)
def test_parse_request_never_invents_a_building_or_room(text: str, buildings: frozenset[int]) -> None:
    parsed = parse_request(text, buildings)
    normalised = as_normalised(text)
    assert parsed.building is None or parsed.building in buildings
    assert parsed.unknown_building is None or parsed.unknown_building not in buildings
    assert parsed.building is None or parsed.unknown_building is None
    for number in (parsed.building, parsed.unknown_building):
        if number is not None:
            assert any(form in normalised for form in written_forms(number))
    if parsed.room is not None:
        assert re.fullmatch(r"[A-Z]?[0-9]{1,4}[A-Z]?", parsed.room)
        assert parsed.room.lower() in normalised or parsed.room.isdigit() and any(
            form in normalised for form in written_forms(int(parsed.room)))  # "RM十", "一千零三室"


@settings(max_examples=400)
@given(text=messages)
def test_parse_request_is_consistent(text: str) -> None:
    parsed = parse_request(text, BUILDINGS)
    assert parsed.urgent or not parsed.emergency
    assert parsed.category is not None or not parsed.emergency
    if parsed.category is not Category.MEDICINE:
        assert (parsed.drug, parsed.runs_out) == (None, None)


@given(text=st.text(max_size=2000))
def test_parse_request_never_raises(text: str) -> None:
    assert isinstance(parse_request(text, BUILDINGS), Parsed)


@given(text=st.one_of(st.text(max_size=200), st.lists(st.sampled_from(FRAGMENTS)).map("".join)))
def test_parse_command_never_raises(text: str) -> None:
    command = parse_command(text)
    assert command is None or isinstance(command.word, Word)


# --------------------------------------------------------------------------------------------
# Chinese numerals: one reader for the SMS addresses, the manifest's counts and the voice answers
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("numeral", "digits"), [
    ("十二", "12"), ("一十二", "12"), ("三十六", "36"), ("二十", "20"), ("两百", "200"), ("一百零五", "105"),
    ("一千二百零一", "1201"), ("三百零", "300"),
    ("一二零一", "1201"), ("零一", "01"), ("幺洞二", "102"), ("〇", "0"),  # said digit by digit
    ("十十", None), ("二十三四", None), ("百千", None), ("十二a", None), ("", None),
])
def test_chinese_digits(numeral: str, digits: str | None) -> None:
    assert chinese_digits(numeral) == digits


@pytest.mark.parametrize(("words", "digits"), [
    ("six oh three", "603"), ("twenty six", "26"), ("twenty-six", "26"), ("twelve oh one", "1201"),
    ("one two zero one", "1201"), ("six hundred and three", "603"), ("nine hundred", "900"),
    ("thirty six oh two", "3602"),
    ("hundred", None), ("six hundred and fish", None), ("", None), ("o", None), ("zero oh", None),  # no building 0
])
def test_english_digits(words: str, digits: str | None) -> None:
    assert english_digits(words) == digits


@pytest.mark.parametrize(("text", "flat"), [
    ("building twenty six room six oh three, we need vegetables and eggs, about two days of food left", (26, "603")),
    ("bldg nine apt twelve oh one no water since morning", (9, "1201")),
    ("B17 R908 need paracetamol and a thermometer pls", (17, "908")),
    ("two of us here, three days of rice left, bldg 5 rm 302", (5, "302")),  # number words elsewhere stay words
])
def test_a_flat_in_english_number_words_or_with_an_r_before_the_room(text: str, flat: tuple[int, str]) -> None:
    parsed = parse_request(text, frozenset(range(1, 37)))
    assert (parsed.building, parsed.room) == flat


@pytest.mark.parametrize(("text", "flat"), [
    ("2座0901 屋企啲電池用晒，唔該有時間幫手買啲", (2, "901")),  # the floor written with two digits
    ("Hi - 32/0302. Light bulb in the bathroom blew.", (32, "302")),
    ("12号楼302 要买菜", (12, "302")),
])
def test_a_room_written_with_a_leading_zero_is_the_same_room(text: str, flat: tuple[int, str]) -> None:
    parsed = parse_request(text, frozenset(range(1, 37)))
    assert (parsed.building, parsed.room) == flat


@pytest.mark.parametrize(("text", "count"), [
    ("十二", 12), ("两", 2), ("一百零五", 105), ("三四", 4), ("一两", 2), ("3", 3), ("a dozen", 12), ("十十", None),
])
def test_a_count_in_the_manifest(text: str, count: int | None) -> None:
    assert read_number(text) == count


@pytest.mark.parametrize(("heard", "digits"), [
    ("十二号楼", "12"), ("三零二", "302"), ("一千二百零一", "1201"), ("幺二零一", "1201"), ("twelve oh one", "1201"),
    ("１２", "12"), ("nothing", ""), ("十十", ""),
])
def test_a_number_heard_on_the_phone(heard: str, digits: str) -> None:
    assert speech_digits(heard) == digits


@pytest.mark.parametrize(("text", "visit"), [
    ("Got it, will go at 3pm", Visit(3, 0, "pm")),
    ("ok 3:30 p.m.", Visit(3, 30, "pm")),
    ("will be there 15:00", Visit(3, 0, "pm")),
    ("tomorrow 9.15am", Visit(9, 15, "am", tomorrow=True)),
    ("好的 下午三点去", Visit(3, 0, "pm")),
    ("明天上午10点半到", Visit(10, 30, "am", tomorrow=True)),
    ("晚上七点一刻", Visit(7, 15, "pm")),
    ("三点去", Visit(3, 0, None)),
    ("好的 有一点远 马上去", None),  # 一点 alone is "a little"
    ("20分钟后到", Visit(0, 0, None, in_minutes=20)),
    ("接127，半小时后", Visit(0, 0, None, in_minutes=30)),
    ("一个半小时到", Visit(0, 0, None, in_minutes=90)),
    ("ok, in 20 min", Visit(0, 0, None, in_minutes=20)),
    ("be there in half an hour", Visit(0, 0, None, in_minutes=30)),
    ("in an hour and a half", Visit(0, 0, None, in_minutes=90)),
    ("OK 2 days", None),
    ("好的 3点20分到", Visit(3, 20, None)),  # a time of day, not 20 minutes from now
    ("下午三点二十分钟左右到", Visit(3, 20, "pm")),
    ("马上到", None),
    ("127 ok", None),
    ("接 12号楼302", None),
    ("ok 25:00", None),
])
def test_the_time_a_volunteer_says_they_will_come(text, visit):
    assert visit_time(text) == visit


@pytest.mark.parametrize(("said_at", "minutes", "visit"), [
    ((14, 7), 20, Visit(2, 30, "pm")),  # 14:27, said as people say it: half past two
    ((10, 0), 30, Visit(10, 30, "am")),
    ((11, 50), 15, Visit(12, 5, "pm")),
    ((23, 50), 20, Visit(12, 10, "am", tomorrow=True)),
])
def test_a_time_said_from_now_is_a_time_of_day_in_the_compound(said_at, minutes, visit):
    local_now = datetime(2022, 4, 12, *said_at, 41, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert Visit(0, 0, None, in_minutes=minutes).at(local_now) == visit
    assert Visit(3, 0, "pm").at(local_now) == Visit(3, 0, "pm")  # a time of day stays as said


@pytest.mark.parametrize(("visit", "zh", "en"), [
    (Visit(3, 0, "pm"), "下午3点", "at 3pm"),
    (Visit(3, 30, "pm"), "下午3点半", "at 3:30pm"),
    (Visit(10, 5, "am", tomorrow=True), "明天上午10点05分", "tomorrow at 10:05am"),
    (Visit(7, 0, "pm"), "晚上7点", "at 7pm"),
    (Visit(3, 0, None), "3点", "at 3"),
])
def test_the_time_is_said_in_the_resident_s_language(visit, zh, en):
    assert (said_time("zh", visit), said_time("en", visit)) == (zh, en)


@pytest.mark.parametrize(("text", "word"), [
    ("many thanks for the help, god bless", Word.THANKS),  # thanks for the help asks for none
    ("thanks, can you help me carry the rice?", None),  # help asked for: a need
    ("Gracias por todo, ya llegó la comida", Word.THANKS),
])
def test_thanks_said_in_a_sentence(text: str, word: Word | None) -> None:
    said = parse_resident_sentence(text)
    assert (said.word if said else None) == word
