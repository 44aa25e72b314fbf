"""The demo compound: 36 buildings, their volunteers, a coordinator, residents, every state."""

from __future__ import annotations

from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import Request, Resident, Role, Volunteer, VolunteerBuilding


def test_demo_loads_a_whole_compound_once(app, clock):
    runner = app.test_cli_runner()
    assert "demo compound loaded" in runner.invoke(args=["demo"]).output
    with app.app_context():
        served = set(db.session.scalars(select(VolunteerBuilding.building)))
        assert served == set(range(1, 37))
        roles = dict(db.session.execute(select(Volunteer.role, func.count()).group_by(Volunteer.role)).all())
        assert roles[Role.COORDINATOR] == 1 and 36 <= roles[Role.VOLUNTEER] <= 72
        assert db.session.scalar(select(func.count()).where(Volunteer.languages.contains("en")))
        residents = db.session.scalars(select(Resident)).all()
        assert any(r.elderly and r.alone for r in residents) and any(r.language == "en" for r in residents)
        assert any(r.prefers_voice for r in residents)  # landlines
        states = set(db.session.scalars(select(Request.status)))
        assert states == {"new", "assigned", "accepted", "delivered", "cancelled"}
    assert "already has people" in runner.invoke(args=["demo"]).output
    with app.app_context():
        assert db.session.scalar(select(func.count(Resident.id))) == len(residents)
