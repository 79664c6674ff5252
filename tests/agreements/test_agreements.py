"""Setting up, signing up on a check-your-answers page, notice, the roll on any date and its
CSV, oversight flags and ICS visibility, through the real pages."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from portal.accounts.models import Role
from portal.agreements import days, oversight, rolls, signing
from portal.agreements.models import Agreement, CostSharing, OversightReport, RagStatus, Signatory
from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.outbox import OutboxMessage
from tests.agreements.conftest import (
    audit_actions,
    count,
    make_agreement,
    outbox_to,
    sign,
    sign_out,
    today,
)
from tests.conftest import csrf_token_from
from tests.factories import add_membership

NEW_FORM = {
    "title": "Shared visiting team",
    "procedure": "Visits are triaged by 10:00.\n\nThe team visits by 14:00.",
    "gives_up": "Each practice sends its home visits to the team, not its own GPs.",
    "gets": "Visits done by a dedicated team.",
    "who_does_what": "The PCN employs the team.",
    "oversight": "The team lead reports to the PCN board monthly.",
    "report_frequency": "monthly",
    "starts_on": "2027-01-04",
    "minimum_term_months": "12",
    "notice_period_months": "3",
    "cost_sharing": "equal",
    "vote_weighting": "list_size",
}


def _post(client, url, data):
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def test_the_lead_sets_an_agreement_up_and_bad_input_writes_nothing(client, login, world):
    login(world.director)
    form = {**NEW_FORM, "lead": str(world.federation.id)}
    refused = _post(client, world.url("new"), {**form, "notice_period_months": "0"})
    assert refused.status_code == 400
    assert "The notice period must be from 1 to 36 months" in refused.get_data(as_text=True)
    assert count(Agreement) == 0
    # Someone who acts for the federation may not make a PCN the lead.
    other_lead = _post(client, world.url("new"), {**form, "lead": str(world.pcn_a.id)})
    assert other_lead.status_code == 400
    assert count(Agreement) == 0
    created = _post(client, world.url("new"), form)
    assert created.status_code == 302
    agreement = db.session.query(Agreement).one()
    assert agreement.lead == world.federation
    assert agreement.in_force.number == 1
    assert agreement.cost_sharing is CostSharing.EQUAL
    assert "agreement.created" in audit_actions()
    again = _post(client, world.url("new"), form)
    assert "There is already an agreement called Shared visiting team" in again.get_data(
        as_text=True
    )
    assert count(Agreement) == 1


def test_only_officers_and_those_acting_for_a_lead_may_set_one_up(client, login, world):
    login(world.salaried)
    assert client.get(world.url("new")).status_code == 403
    assert client.get(world.url()).status_code == 200


def test_a_partner_signs_up_on_a_check_page_and_the_other_partners_are_told(client, login, world):
    agreement = make_agreement(world)
    login(world.hill_partner)
    page = client.get(world.url(f"{agreement.id}/sign-up"))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Check your answers" in text
    assert "Each practice actions and codes incoming documents by this protocol" in text
    assert "Version 1" in text
    # Alone, Hill would carry the whole cost.
    assert "100.0 % of £12,000 a year" in text
    response = client.post(
        world.url(f"{agreement.id}/sign-up"),
        data={
            "practice": str(world.hill.id),
            "checked_version": "1",
            "csrf_token": csrf_token_from(text),
        },
    )
    assert response.status_code == 302
    signatory = db.session.query(Signatory).one()
    assert (signatory.practice_id, signatory.joined_on, signatory.version_number) == (
        world.hill.id,
        today(),
        1,
    )
    told = outbox_to(world.hill_partner_2.email)
    assert len(told) == 1
    # Not public: a link only, no title or text of the agreement.
    assert "Document management hub" not in told[0].subject + told[0].body
    assert f"/agreements/{agreement.id}" in told[0].body
    assert outbox_to(world.hill_partner.email) == []
    assert outbox_to(world.vale_partner.email) == []
    assert audit_actions()[-1] == "agreement.signed"
    # Twice is refused with a message, and nothing more is written.
    again = client.post(
        world.url(f"{agreement.id}/sign-up"),
        data={
            "practice": str(world.hill.id),
            "checked_version": "1",
            "csrf_token": csrf_token_from(text),
        },
    )
    assert again.status_code == 400
    assert "Hill Surgery already belongs to this agreement" in again.get_data(as_text=True)
    assert count(Signatory) == 1
    assert len(outbox_to(world.hill_partner_2.email)) == 1


def test_only_a_partner_of_that_practice_signs_for_it(client, login, world):
    agreement = make_agreement(world)
    login(world.salaried)
    assert client.get(world.url(f"{agreement.id}/sign-up")).status_code == 403
    with pytest.raises(NotPermitted):
        signing.sign_up(
            world.vale_partner,
            agreement,
            world.hill,
            checked_version=1,
            today=today(),
            now=utcnow(),
        )
    db.session.rollback()
    sign_out(client)
    login(world.vale_partner)
    refused = client.get(world.url(f"{agreement.id}/sign-up?practice={world.hill.id}"))
    assert refused.status_code == 403
    assert count(Signatory) == 0


def test_an_agreement_not_yet_started_refuses_sign_up(client, login, world):
    agreement = make_agreement(world, starts_on=today() + timedelta(days=10))
    login(world.hill_partner)
    page = client.get(world.url(f"{agreement.id}/sign-up"))
    response = client.post(
        world.url(f"{agreement.id}/sign-up"),
        data={
            "practice": str(world.hill.id),
            "checked_version": "1",
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 400
    assert "a practice can sign up from that day" in response.get_data(as_text=True)
    assert count(Signatory) == 0
    assert count(OutboxMessage) == 0


def test_a_stale_check_page_signs_nothing(world):
    agreement = make_agreement(world)
    with pytest.raises(Conflict, match="adopted since you checked"):
        signing.sign_up(
            world.hill_partner,
            agreement,
            world.hill,
            checked_version=2,
            today=today(),
            now=utcnow(),
        )
    db.session.rollback()
    assert count(Signatory) == 0


def test_add_months_keeps_the_day_or_the_months_last():
    assert days.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert days.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert days.add_months(date(2027, 11, 15), 3) == date(2028, 2, 15)
    assert days.add_months(date(2027, 5, 1), 0) == date(2027, 5, 1)


def test_notice_leaves_at_the_end_of_notice_but_never_inside_the_minimum_term(world):
    agreement = make_agreement(world, starts_on=date(2026, 1, 5))
    hill = sign(world, agreement, world.hill_partner, world.hill, date(2026, 1, 5))
    vale = sign(world, agreement, world.vale_partner, world.vale, date(2026, 1, 5))
    # Notice in month 2 of a 12-month term: out when the term ends, not at notice's end.
    assert signing.leaving_day(agreement, hill, date(2026, 3, 1)) == date(2027, 1, 5)
    # Notice late in the term: the notice period runs past it.
    assert signing.leaving_day(agreement, vale, date(2026, 12, 1)) == date(2027, 3, 1)


def test_notice_through_the_page_once_only(client, login, world):
    agreement = make_agreement(world, starts_on=today() - timedelta(days=500))
    signed_on = today() - timedelta(days=400)
    sign(world, agreement, world.hill_partner, world.hill, signed_on)
    login(world.hill_partner)
    url = world.url(f"{agreement.id}/notice")
    page = client.get(url)
    expected = days.add_months(today(), 3)
    assert f"{expected.day} {expected:%B %Y}" in page.get_data(as_text=True)
    response = client.post(
        url,
        data={
            "practice": str(world.hill.id),
            "reason": "We cannot staff the changes.",
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    signatory = db.session.query(Signatory).one()
    assert signatory.leaves_on == expected
    assert signatory.notice_reason == "We cannot staff the changes."
    assert audit_actions()[-1] == "agreement.notice_given"
    subjects = [message.subject for message in outbox_to(world.hill_partner_2.email)]
    assert subjects == [
        "Your practice has signed up to a shared way of working",
        "Your practice has given notice on a shared way of working",
    ]
    with pytest.raises(Conflict, match="has already given notice"):
        signing.give_notice(
            world.hill_partner, agreement, world.hill, "", today=today(), now=utcnow()
        )
    db.session.rollback()
    assert db.session.query(Signatory).one().leaves_on == expected
    # Still in until then: signing up again is refused.
    with pytest.raises(Conflict, match="until it leaves on"):
        signing.sign_up(
            world.hill_partner,
            agreement,
            world.hill,
            checked_version=1,
            today=today(),
            now=utcnow(),
        )
    db.session.rollback()


def test_notice_for_a_practice_not_signed_up_is_refused(world):
    agreement = make_agreement(world)
    with pytest.raises(DomainError, match="does not belong"):
        signing.give_notice(
            world.hill_partner, agreement, world.hill, "", today=today(), now=utcnow()
        )
    db.session.rollback()
    assert count(Signatory) == 0


def test_the_roll_on_any_date_by_pcn_with_patients_shares_and_csv(client, login, world):
    agreement = make_agreement(world, starts_on=date(2026, 1, 5))
    sign(world, agreement, world.hill_partner, world.hill, date(2026, 1, 5))
    sign(world, agreement, world.vale_partner, world.vale, date(2026, 2, 1))
    sign(world, agreement, world.brook_partner, world.brook, date(2026, 3, 1))
    brook = db.session.query(Signatory).filter_by(practice_id=world.brook.id).one()
    signing.give_notice(
        world.brook_partner, agreement, world.brook, "", today=date(2026, 6, 1), now=utcnow()
    )
    db.session.commit()
    assert brook.leaves_on == date(2027, 3, 1)

    january = rolls.roll_on(agreement, date(2026, 1, 20))
    assert [r.practice.name for r in january.rows] == ["Hill Surgery"]
    march = rolls.roll_on(agreement, date(2026, 3, 1))
    assert march.patients == 10_000
    assert [(g.pcn.name, g.patients) for g in march.by_pcn] == [
        ("Alpha PCN", 9000),
        ("Beta PCN", 1000),
    ]
    assert [(rolls.percent(r.share), r.cost) for r in march.rows] == [
        ("60.0 %", 7200),
        ("30.0 %", 3600),
        ("10.0 %", 1200),
    ]
    assert [r.practice.name for r in rolls.roll_on(agreement, date(2027, 3, 1)).rows] == [
        "Hill Surgery",
        "Vale Practice",
    ]

    login(world.vale_partner)
    page = client.get(world.url(f"{agreement.id}?on=2026-03-01"))
    text = page.get_data(as_text=True)
    assert "3 practices, covering 10,000 registered patients" in text
    assert "Alpha PCN: 2 practices, 9,000 patients" in text
    assert "£7,200" in text
    assert client.get(world.url(f"{agreement.id}?on=2026-02-30")).status_code == 400
    download = client.get(world.url(f"{agreement.id}/practices.csv?on=2026-01-20"))
    assert download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0] == list(rolls.CSV_HEADER)
    assert rows[1][3] == "Hill Surgery"
    assert rows[1][5] == "100.0"


def test_equal_shares_and_a_csv_cell_that_would_be_a_formula(client, login, world):
    world.moor.name = "=HYPERLINK(1)"
    db.session.commit()
    agreement = make_agreement(world, cost_sharing=CostSharing.EQUAL, annual_cost=None)
    sign(world, agreement, world.hill_partner, world.hill, today())
    moor_partner = world.brook_partner
    add_membership(moor_partner, world.moor, Role.GP_PARTNER)
    sign(world, agreement, moor_partner, world.moor, today())
    roll = rolls.roll_on(agreement, today())
    assert [rolls.percent(r.share) for r in roll.rows] == ["50.0 %", "50.0 %"]
    login(world.hill_partner)
    body = client.get(world.url(f"{agreement.id}/practices.csv")).get_data(as_text=True)
    assert "'=HYPERLINK(1)" in body


def test_oversight_flags_show_to_officers_and_are_worked_out_on_read(client, login, world):
    agreement = make_agreement(
        world,
        starts_on=today() - timedelta(days=200),
        review_on=today() - timedelta(days=1),
    )
    flags = oversight.oversight_flags(agreement, today())
    assert len(flags) == 2
    assert "has not been posted" in flags[0]
    assert "has passed" in flags[1]
    login(world.officer)
    entries = count(AuditEntry)
    text = client.get(world.url(f"{agreement.id}")).get_data(as_text=True)
    assert "Needs attention" in text
    assert "has not been posted" in text
    assert "has not been posted" in client.get(world.url()).get_data(as_text=True)
    assert count(AuditEntry) == entries  # a GET never writes
    sign_out(client)
    login(world.vale_partner)
    assert "has not been posted" not in client.get(world.url(f"{agreement.id}")).get_data(
        as_text=True
    )
    # The lead posts a report: the missed report is no longer flagged.
    oversight.post_report(world.director, agreement, RagStatus.AMBER, "Fast", "", utcnow())
    db.session.commit()
    assert len(oversight.oversight_flags(agreement, today())) == 1


def test_only_the_lead_posts_reports_and_an_empty_report_is_refused(client, login, world):
    agreement = make_agreement(world)
    login(world.officer)
    assert client.get(world.url(f"{agreement.id}/reports/new")).status_code == 403
    sign_out(client)
    login(world.director)
    url = world.url(f"{agreement.id}/reports/new")
    empty = _post(client, url, {"status": "green", "working": " ", "not_working": ""})
    assert empty.status_code == 400
    assert "Say what is working or what is not" in empty.get_data(as_text=True)
    assert count(OversightReport) == 0
    posted = _post(client, url, {"status": "red", "working": "", "not_working": "Backlog of 400"})
    assert posted.status_code == 302
    assert db.session.query(OversightReport).one().status is RagStatus.RED
    assert audit_actions()[-1] == "agreement.report_posted"


def test_ics_readers_see_only_agreements_shown_to_the_ics(client, login, world):
    hidden = make_agreement(world)
    shown = make_agreement(world, title="Staff bank", visible_to_ics=True)
    login(world.ics_reader)
    listing = client.get(world.url()).get_data(as_text=True)
    assert "Staff bank" in listing
    assert "Document management hub" not in listing
    assert client.get(world.url(f"{shown.id}")).status_code == 200
    assert client.get(world.url(f"{hidden.id}")).status_code == 404
    assert client.get(world.url(f"{hidden.id}/practices.csv")).status_code == 404
    assert client.get(world.url(f"{shown.id}/sign-up")).status_code == 403


def test_a_meeting_agenda_reference_links_to_the_agreement(app, world):
    from flask import g

    from portal.meetings.views import reference_link

    with app.test_request_context("/"):
        g.area = world.area
        assert reference_link("agreement 5") == {
            "text": "Agreement 5",
            "href": "/areas/test-area/agreements/5",
        }


def test_the_share_a_practice_would_carry_if_it_joined(world):
    agreement = make_agreement(world)
    sign(world, agreement, world.hill_partner, world.hill, today())
    # Vale's 3,000 patients beside Hill's 6,000.
    assert rolls.percent(rolls.share_if_joined(agreement, world.vale, today())) == "33.3 %"
    equal = make_agreement(world, title="Staff bank", cost_sharing=CostSharing.EQUAL)
    sign(world, equal, world.hill_partner, world.hill, today())
    assert rolls.percent(rolls.share_if_joined(equal, world.vale, today())) == "50.0 %"
