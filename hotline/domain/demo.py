"""A demo compound: 36 buildings, their volunteers, a coordinator, residents and a few requests."""

from __future__ import annotations

import base64
import hashlib
import hmac

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.domain import checkins, requests, transitions
from hotline.domain.policy import Policy
from hotline.models import Category, Channel, Resident, Role, Status, Volunteer, VolunteerBuilding

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明"]
COORDINATOR = ("孙红", "+8613900000001")
DEMO_USER = "coordinator"  # the demo coordinator's login name; the password is the installation's own
OLD_DEMO_PASSWORD = "demo-coordinator"  # noqa: S105 - the public demo password of older versions, replaced

# Residents the lived account worried about most, by building and room.
PEOPLE = [
    ("刘伯伯", "+862160001234", 5, "1201", "zh", ("elderly", "alone", "chronic")),  # a landline
    ("王阿姨", "+8613800138001", 12, "302", "zh", ("elderly", "alone")),
    ("Tom Baker", "+8613912345678", 7, "1101", "en", ()),  # a foreign resident
    ("小陈", "+8613700000023", 23, "601", "zh", ()),  # a young renter, no stock, no cookware
    ("赵奶奶", "+862160005678", 3, "101", "zh", ("elderly", "mobility")),  # a landline
    ("Anna Müller", "+8613912340007", 19, "402", "en", ("alone",)),
]


def demo_password(secret_key: str) -> str:
    """The demo coordinator's password on this installation, `abcd-efgh-ijkl-mnop`: made from its secret
    key (random per installation, kept in `instance/`), so `flask demo-login` and the home page tell the
    same one and no other installation has it."""
    digest = hmac.new(secret_key.encode(), b"hotline demo coordinator", hashlib.sha256).digest()
    letters = base64.b32encode(digest).decode().lower()[:16]  # 80 bits
    return "-".join(letters[i:i + 4] for i in range(0, 16, 4))


def load(session: Session, policy: Policy) -> bool:
    """Fill an empty database with the demo compound; return False if it holds people already."""
    if session.scalar(select(func.count(Volunteer.id))) or session.scalar(select(func.count(Resident.id))):
        return False
    buildings = sorted(policy.buildings)
    rank = 0
    for b in buildings:
        for k in range(1 if b % 3 else 2):
            rank += 1
            name = SURNAMES[(b + k * 7) % len(SURNAMES)] + GIVEN[(b * 3 + k) % len(GIVEN)]
            languages = "zh;en" if b % 4 == 3 or k == 1 else "zh"
            session.add(Volunteer(
                name=name, phone=f"+86139{b:04d}{k + 1:04d}", languages=languages, role=Role.VOLUNTEER,
                rank=rank, buildings=[VolunteerBuilding(building=b)],
            ))
    session.add(Volunteer(name=COORDINATOR[0], phone=COORDINATOR[1], languages="zh;en", role=Role.COORDINATOR,
                          rank=0))
    for name, phone, b, room, lang, flags in PEOPLE:
        if b not in policy.buildings:
            continue
        resident = Resident(name=name, phone=phone, language=lang, household=requests.household(session, b, room),
                            prefers_voice=phone.startswith("+8621"))
        for flag in flags:
            setattr(resident, flag, True)
        session.add(resident)
    session.flush()
    _requests(session, policy)
    checkins.plan(session).enabled = True  # 09:00-11:00 every day: elderly residents living alone
    return True


def _requests(session: Session, policy: Policy) -> None:
    """A few requests in every state."""
    people = {r.name: r for r in session.scalars(select(Resident))}

    def ask(name, category, details, urgent=False, channel=Channel.SMS):
        resident = people.get(name)
        if resident is None:
            return None
        asker = requests.Asker(phone=resident.phone, language=resident.language, name=resident.name,
                               resident=resident, prefers_voice=resident.prefers_voice)
        return requests.open_request(session, policy, home=resident.household, category=category, channel=channel,
                                     asker=asker, details=details, urgent=urgent)

    ask("刘伯伯", Category.MEDICINE, "降压药 明天就吃完了", urgent=True, channel=Channel.VOICE)
    taken = ask("王阿姨", Category.FOOD, "大米一袋，鸡蛋十个")
    done = ask("Tom Baker", Category.FOOD, "I need rice, eggs and milk, please")
    ask("小陈", Category.FOOD, "两天没吃饭了，没有锅，想要泡面和速食", urgent=True)
    withdrawn = ask("Anna Müller", Category.HELP, "Could someone carry a water delivery up to the 4th floor?")
    for request in (taken, done):
        if request and request.volunteer:
            requests.accept(session, policy, request, request.volunteer)
    if done and done.volunteer:
        requests.deliver(session, policy, done, done.volunteer)
    if withdrawn:
        requests.cancel(session, withdrawn, transitions.RESIDENT_BY_SMS, "a neighbour helped")
    waiting = ask("赵奶奶", Category.HELP, "", channel=Channel.VOICE)
    if waiting:  # a voice request whose volunteer has not been reached yet
        waiting.status, waiting.volunteer, waiting.escalate_at = Status.NEW, None, None
