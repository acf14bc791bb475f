"""People and groups managed from Telegram, on both databases: an invitation enrols once
and in time; a change or a removal takes effect at once and is logged; a restart keeps
whom Telegram added, and the file wins for whom it names."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from bot.procedure import people as rules
from bot.procedure.grading import Plant
from bot.procedure.roles import Role
from bot.procedure.routing import Group, GroupChat
from bot.services import company as companies
from bot.services import people, steps
from bot.services.steps import PressResult, PressStep
from bot.services.uow import Caller, UnitOfWork
from bot.views import people as views
from bot.views.callbacks import StepAction
from bot.views.models import EnrolOutcome, PeopleOutcome
from storage import queries
from storage.models import Event, Invite, OutboxMessage, Person, Purpose, Step
from tests.conftest import QC_HUANGWU, QC_HW, QC_LS, SALES, SALES_2
from tests.test_workflow import NOW, Company

ADMIN = Caller(SALES, SALES)  # 王业务 is the test company's admin
NEWCOMER = 100200
EQUIPMENT_GROUP = -1001000000077


def invite(company: Company, role: Role, plant: Plant | None = None) -> str:
    made = company.services.call(people.make_invite, people.MakeInvite(ADMIN, role, plant))
    assert made.outcome is PeopleOutcome.OK and made.expires_at == NOW + rules.INVITE_VALID
    return made.token


def enrol(company: Company, token: str, telegram_id: int = NEWCOMER, name: str = "吴质检"):  # type: ignore[no-untyped-def]
    caller = Caller(telegram_id, telegram_id, "zh-hans")
    return company.services.call(people.enrol, people.Enrol(caller, token, name))


def restart(company: Company) -> None:
    """What every start does: the file's people and groups are mirrored again."""
    with UnitOfWork(company.config, company.sessions, company.clock) as uow:
        companies.mirror(uow)


def events(company: Company, action: str) -> list[Event]:
    with company.sessions() as session:
        return list(session.scalars(select(Event).where(Event.action == action)))


def test_an_invitation_enrols_the_first_to_open_it_once_and_in_time(engine: Engine) -> None:
    company = Company(engine)
    token = invite(company, Role.QC, Plant.HUANGWU)
    assert 32 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()

    enrolled = enrol(company, token)
    assert enrolled.outcome is EnrolOutcome.ENROLLED and enrolled.member is not None
    assert (enrolled.member.role, enrolled.member.plant) == (Role.QC, Plant.HUANGWU)
    assert not enrolled.member.from_file and not enrolled.member.is_admin
    assert company.services.known(NEWCOMER) is not None  # known from this commit on
    # Once only: another person with the same link gets a reason, and so does a stranger's.
    assert enrol(company, token, 100201).outcome is EnrolOutcome.USED
    assert enrol(company, "no-such-link", 100201).outcome is EnrolOutcome.UNKNOWN
    # Someone in the list already leaves a link for someone else.
    other = invite(company, Role.SALES)
    assert enrol(company, other, QC_HW).outcome is EnrolOutcome.ALREADY
    # In time only.
    company.clock.set(NOW + rules.INVITE_VALID + timedelta(seconds=1))
    assert enrol(company, other, 100201).outcome is EnrolOutcome.EXPIRED
    # Only admins invite.
    refused = company.services.call(
        people.make_invite, people.MakeInvite(Caller(QC_HW, QC_HW), Role.GM)
    )
    assert refused.outcome is PeopleOutcome.NOT_ALLOWED

    with company.sessions() as session:
        newcomer = queries.person_by_telegram_id(session, NEWCOMER)
        assert newcomer is not None and newcomer.name == "吴质检"
        used = queries.invite_by_token(session, token)
        assert used is not None and used.used_by_id == newcomer.id
        # The database keeps the token's hash, never the token.
        stored = session.scalars(select(Invite)).all()
        assert all(token not in (i.token_hash, str(i.id)) for i in stored)
        told = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == Purpose.PEOPLE)
        ).all()
        assert [row.chat_id for row in told] == [SALES] and "吴质检" in told[0].payload["text"]
    (enrolment,) = events(company, people.ENROLLED)
    assert enrolment.actor_telegram_id == NEWCOMER and enrolment.detail["role"] == "qc"
    assert len(events(company, people.INVITED)) == 2

    # A restart keeps whom Telegram enrolled, whatever the file says.
    restart(company)
    with company.sessions() as session:
        assert queries.person_by_telegram_id(session, NEWCOMER) is not None


def test_invitations_are_made_privately_last_a_day_for_leaders_and_can_be_withdrawn(
    engine: Engine,
) -> None:
    company = Company(engine)
    # Sent in a group, the link would be anyone's who reads it.
    in_group = Caller(SALES, -1001000000002)
    refused = company.services.call(people.make_invite, people.MakeInvite(in_group, Role.GM))
    assert refused.outcome is PeopleOutcome.NOT_PRIVATE and not refused.token
    assert company.services.call(people.pending_invites, in_group).outcome is (
        PeopleOutcome.NOT_PRIVATE
    )
    # A link that makes someone the GM or a VP lasts a day, not a week.
    for role in (Role.GM, Role.VP_EXEC, Role.VP_PRODUCTION, Role.VP_MARKETING):
        made = company.services.call(people.make_invite, people.MakeInvite(ADMIN, role))
        assert made.expires_at == NOW + timedelta(days=1)
    qc = invite(company, Role.QC, Plant.HUANGWU)
    listed = company.services.call(people.pending_invites, ADMIN)
    assert [(p.role, p.made_by) for p in listed.pending][-1] == (Role.QC, "王业务")
    assert len(listed.pending) == 5
    text = "\n".join(views.invites(listed, "zh_CN", "Asia/Shanghai"))
    assert "质检" in text and "/invite revoke" in text
    # Withdrawn: it stops working at once, and says so.
    number = listed.pending[-1].number
    revoked = company.services.call(people.revoke_invite, people.RevokeInvite(ADMIN, number))
    assert revoked.outcome is PeopleOutcome.OK and revoked.revoked == number
    assert len(revoked.pending) == 4
    assert enrol(company, qc).outcome is EnrolOutcome.REVOKED
    again = company.services.call(people.revoke_invite, people.RevokeInvite(ADMIN, number))
    assert again.outcome is PeopleOutcome.UNKNOWN
    stranger = Caller(QC_HW, QC_HW)
    assert company.services.call(people.pending_invites, stranger).outcome is (
        PeopleOutcome.NOT_ALLOWED
    )
    (withdrawn,) = events(company, people.REVOKED)
    assert withdrawn.actor_telegram_id == SALES and withdrawn.detail["invite"] == number
    # The leaders' links, a day and a second later, are dead; a week's link would not be.
    company.clock.set(NOW + timedelta(days=1, seconds=1))
    assert company.services.call(people.pending_invites, ADMIN).pending == ()
    week = invite_at(company, Role.SALES)
    assert enrol(company, week).outcome is EnrolOutcome.ENROLLED


def invite_at(company: Company, role: Role) -> str:
    made = company.services.call(people.make_invite, people.MakeInvite(ADMIN, role))
    assert made.outcome is PeopleOutcome.OK
    return made.token


def test_an_admin_changes_someone_at_once_and_the_file_wins_at_the_next_start(
    engine: Engine,
) -> None:
    company = Company(engine)
    salesperson = company.person_id(SALES_2)
    move = people.ChangePerson(ADMIN, salesperson, people.SetRole(Role.QC, Plant.HUANGWU))
    changed = company.services.call(people.change_person, move)
    assert changed.outcome is PeopleOutcome.OK and changed.member is not None
    assert (changed.member.role, changed.member.plant) == (Role.QC, Plant.HUANGWU)
    assert changed.member.from_file  # the answer warns that the file names them
    assert "配置文件" in views.changed(changed, "zh_CN")
    # The same again changes nothing and logs nothing more.
    again = company.services.call(people.change_person, move)
    assert again.outcome is PeopleOutcome.UNCHANGED
    (event,) = events(company, people.CHANGED)
    assert event.detail["role"] == ["sales", "qc"] and event.actor_telegram_id == SALES
    # Their rights follow at once: QC may press QC's step now.
    company.file()
    result = company.press(SALES_2, "initial_assessment", (StepAction.FINISH, "done"))
    assert result is PressResult.OK
    # Language: remembered for the per-update context without a round trip.
    english = people.ChangePerson(ADMIN, company.person_id(QC_LS), people.SetLanguage("en"))
    assert company.services.call(people.change_person, english).outcome is PeopleOutcome.OK
    language = company.services.known(QC_LS)
    assert language is not None and language.chosen == "en"
    # Only admins change people; a number nobody has is said so.
    refused = people.ChangePerson(Caller(QC_HW), salesperson, people.SetPlant(None))
    assert company.services.call(people.change_person, refused).outcome is (
        PeopleOutcome.NOT_ALLOWED
    )
    nobody = people.ChangePerson(ADMIN, 99999, people.SetPlant(None))
    assert company.services.call(people.change_person, nobody).outcome is PeopleOutcome.UNKNOWN

    restart(company)  # the file names 周业务 as sales: the file wins
    with company.sessions() as session:
        back = queries.person_by_telegram_id(session, SALES_2)
        assert back is not None and back.role is Role.SALES


def test_someone_removed_loses_access_at_once_and_their_tasks_go_back_to_the_group(
    engine: Engine,
) -> None:
    company = Company(engine)
    token = invite(company, Role.QC, Plant.HUANGWU)
    enrol(company, token)
    company.file()
    step_id = company.step_id("initial_assessment")
    take = PressStep(Caller(NEWCOMER, NEWCOMER), step_id, StepAction.TAKE, "")
    assert company.services.call(steps.press, take).result is PressResult.OK
    with company.sessions() as session:
        newcomer_id = company.person(session, NEWCOMER).id
        taken = session.get(Step, step_id)
        assert taken is not None and taken.assignee_id == newcomer_id

    # An admin may not remove themselves.
    self_removal = people.ChangePerson(ADMIN, company.person_id(SALES), people.Remove())
    assert company.services.call(people.change_person, self_removal).outcome is (
        PeopleOutcome.YOURSELF
    )
    removal = people.ChangePerson(ADMIN, newcomer_id, people.Remove())
    removed = company.services.call(people.change_person, removal)
    assert removed.outcome is PeopleOutcome.OK and removed.removed and removed.handed_back == 1
    assert company.services.known(NEWCOMER) is None
    with company.sessions() as session:
        assert queries.person_by_telegram_id(session, NEWCOMER) is None
        step = session.get(Step, step_id)
        assert step is not None and step.assignee_id is None and step.status == "open"
        notices = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.purpose == Purpose.TASK, OutboxMessage.step_id.is_(None)
            )
        ).all()
        assert [row.chat_id for row in notices] == [QC_HUANGWU]
        assert "吴质检" in notices[0].payload["text"]
    # They can do nothing any more: a press is refused.
    again = PressStep(Caller(NEWCOMER, NEWCOMER), step_id, StepAction.FINISH, "done")
    assert company.services.call(steps.press, again).result is not PressResult.OK
    (event,) = events(company, people.REMOVED)
    assert event.detail == {"person": newcomer_id, "handed_back": [step_id]}
    # A restart does not bring back whom Telegram added and an admin removed.
    restart(company)
    with company.sessions() as session:
        assert queries.person_by_telegram_id(session, NEWCOMER) is None


def test_a_group_bound_in_telegram_gets_its_notices_and_stays_after_a_restart(
    engine: Engine,
) -> None:
    company = Company(engine)
    bind = people.BindChat(Caller(SALES, EQUIPMENT_GROUP), Group.EQUIPMENT, None, True)
    bound = company.services.call(people.bind_chat, bind)
    assert bound.outcome is PeopleOutcome.OK and bound.replaced is None
    assert bound.file_names is None
    with company.sessions() as session:
        assert queries.chat_id_for(session, Group.EQUIPMENT) == EQUIPMENT_GROUP
    restart(company)  # the file names no equipment group: the binding stays
    with company.sessions() as session:
        assert queries.chat_id_for(session, Group.EQUIPMENT) == EQUIPMENT_GROUP
        routed = companies_recipients(session, company)
        assert EQUIPMENT_GROUP in routed

    # Binding a group the file names: done now, with the warning that the file wins.
    other = -1001000000088
    qc = people.BindChat(Caller(SALES, other), Group.QC, Plant.HUANGWU, True)
    bound = company.services.call(people.bind_chat, qc)
    assert (bound.replaced, bound.file_names) == (QC_HUANGWU, QC_HUANGWU)
    assert "配置文件" in views.bound(bound, other, "zh_CN")
    restart(company)
    with company.sessions() as session:
        assert queries.chat_id_for(session, Group.QC, Plant.HUANGWU) == QC_HUANGWU

    # QC and production have a group per plant: the plant is needed.
    plantless = people.BindChat(Caller(SALES, other), Group.QC, None, True)
    assert company.services.call(people.bind_chat, plantless).outcome is PeopleOutcome.NEEDS_PLANT
    # Only admins, and only in a group.
    private = people.BindChat(Caller(SALES, SALES), Group.HR, None, False)
    assert company.services.call(people.bind_chat, private).outcome is PeopleOutcome.NOT_A_GROUP
    refused = people.BindChat(Caller(QC_HW, other), Group.HR, None, True)
    assert company.services.call(people.bind_chat, refused).outcome is PeopleOutcome.NOT_ALLOWED
    assert [e.detail["group"] for e in events(company, people.BOUND)] == ["equipment", "qc"]


def companies_recipients(session: object, company: Company) -> list[int]:
    from bot.services.notices import recipients

    found = recipients(session, company.config, [GroupChat(Group.EQUIPMENT)])  # type: ignore[arg-type]
    return [r.chat_id for r in found]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("质检", Role.QC),
        ("QC", Role.QC),
        ("业务部", Role.SALES),
        ("生产副总", Role.VP_PRODUCTION),
        ("boss", None),
    ],
)
def test_roles_are_read_by_key_or_by_the_procedure_s_chinese_name(
    words: str, expected: Role | None
) -> None:
    assert rules.role_of(words) is expected


def test_the_list_of_people_is_for_admins_and_names_everyone(engine: Engine) -> None:
    company = Company(engine)
    assert not company.services.call(people.people, Caller(QC_HW)).allowed
    listed = company.services.call(people.people, ADMIN)
    with company.sessions() as session:
        active = session.scalars(select(Person).where(Person.active.is_(True))).all()
    assert {m.id for m in listed.people} == {p.id for p in active}
    text = "\n".join(views.people_list(listed, "zh_CN"))
    assert "王业务" in text and "/invite" in text
