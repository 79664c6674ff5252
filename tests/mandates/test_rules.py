"""Each rule of mandates, through the services and the votes that decide them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Role
from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.mandates import services
from portal.mandates.models import (
    Commitment,
    Mandate,
    MandateState,
    Ratification,
    RevocationOutcome,
)
from portal.organisations.models import OrganisationKind
from portal.outbox import OutboxMessage
from portal.voting import services as voting
from portal.voting.models import Vote, VoteKind, VoteState
from portal.voting.published import result_wording
from tests.factories import World, make_area, make_organisation, make_user
from tests.mandates.helpers import (
    cancel,
    count,
    decide_motion,
    draft_motion,
    grant_mandate,
    mandate_terms,
    membership,
    propose_mandate,
)
from tests.statements.helpers import add_proposal, casters_of

AGAINST = ("against", "against", "for", "against")


def _today():
    return services.london_day(utcnow())


def _actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.sequence)))


def _commitment(**changes):
    values = {
        "made_on": _today(),
        "forum": "ICB primary care commissioning committee",
        "with_whom": "The ICB's director of primary care",
        "what_agreed": "One hub per PCN, 18:30 to 20:00 on weekdays, from April.",
        "needs_ratification": False,
        **changes,
    }
    return services.CommitmentDetails(**values)


def _refused_and_nothing_written(call, message: str) -> None:
    before = (count(Mandate), count(Commitment), count(AuditEntry), count(OutboxMessage))
    with pytest.raises(DomainError) as refused:
        call()
    db.session.rollback()
    assert message in refused.value.message
    assert (count(Mandate), count(Commitment), count(AuditEntry), count(OutboxMessage)) == before


# --- Granted by a vote ----------------------------------------------------------------------


def test_a_mandate_comes_into_force_only_when_its_motion_passes(setting: World):
    vote = draft_motion(setting)
    mandate = propose_mandate(setting, vote)
    assert mandate.state is MandateState.PROPOSED
    assert mandate.provenance is None
    assert [h.user for h in mandate.holders] == [setting.officer, setting.pcn_director]
    assert "mandate.attached" in _actions()
    assert count(OutboxMessage) == 0

    decide_motion(setting, vote)
    db.session.refresh(mandate)
    assert mandate.state is MandateState.IN_FORCE
    assert mandate.granted_at is not None
    # The motion's provenance in the publication policy's words, as every surface gives it.
    wording = result_wording(db.session.get(Vote, vote.id))
    assert wording
    assert wording.startswith("Agreed by simple majority of the whole weight")
    assert mandate.provenance == f"{vote.title}. {wording}"
    assert "mandate.granted" in _actions()
    # Every member of the group is told; an ICS-tier mandate's subject is not in the email.
    messages = [m for m in db.session.scalars(sa.select(OutboxMessage)) if "mandate" in m.subject]
    assert sorted(m.recipient for m in messages) == sorted(
        u.email for u in services.group_members(setting.area)
    )
    assert all(mandate.title not in m.subject + m.body for m in messages)
    assert all(f"/mandates/{mandate.id}" in m.body for m in messages)


def test_a_motion_that_fails_grants_nothing(setting: World):
    vote = draft_motion(setting)
    mandate = propose_mandate(setting, vote)
    decide_motion(setting, vote, dict(zip(setting.practices, AGAINST, strict=True)))
    db.session.refresh(mandate)
    assert mandate.state is MandateState.NOT_GRANTED
    assert mandate.not_granted_reason == "The motion did not pass."
    assert services.register(setting.officer) == []


def test_a_motion_called_off_grants_nothing(setting: World):
    vote = draft_motion(setting)
    mandate = propose_mandate(setting, vote)
    cancel(setting.officer, vote, "Wrong wording")
    db.session.commit()
    db.session.refresh(mandate)
    assert mandate.state is MandateState.NOT_GRANTED
    assert mandate.not_granted_reason == "The motion was called off."


def test_an_end_date_before_the_vote_closes_is_refused(setting: World):
    vote = draft_motion(setting)
    closes_on = services.london_day(vote.closes_at)
    _refused_and_nothing_written(
        lambda: services.attach(setting.officer, vote, mandate_terms(setting, ends_on=closes_on)),
        "The end date must be after the vote closes on",
    )


def test_a_holder_who_is_not_a_member_of_the_area_is_refused(setting: World):
    vote = draft_motion(setting)
    elsewhere = make_area(slug="elsewhere", name="Elsewhere")
    practice = make_organisation(elsewhere, OrganisationKind.PRACTICE, ods_code="Z99999")
    outsider = make_user(practice, Role.GP_PARTNER, name="Dr Outsider")
    terms = mandate_terms(setting, holders=[membership(setting.officer), membership(outsider)])
    _refused_and_nothing_written(
        lambda: services.attach(setting.officer, vote, terms),
        "Dr Outsider is not a member of this area's leadership group",
    )


def test_an_ics_reader_cannot_hold_a_mandate(setting: World):
    vote = draft_motion(setting)
    terms = mandate_terms(setting, holders=[membership(setting.ics_reader)])
    _refused_and_nothing_written(
        lambda: services.attach(setting.officer, vote, terms), "is not a member"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"holders": []}, "Choose at least one holder."),
        ({"title": "  "}, "Enter the mandate's subject."),
        ({"may_not_agree": ""}, "Enter what the holders may not agree."),
        ({"come_back_when": "x" * 4001}, "4,000 characters or fewer"),
    ],
)
def test_terms_are_checked(setting: World, change, message):
    vote = draft_motion(setting)
    _refused_and_nothing_written(
        lambda: services.attach(setting.officer, vote, mandate_terms(setting, **change)), message
    )


def test_only_a_draft_motion_takes_a_mandate_and_only_one(setting: World):
    choice = draft_motion(setting, kind=VoteKind.CHOICE, options=["Hub A", "Hub B"])
    _refused_and_nothing_written(
        lambda: services.attach(setting.officer, choice, mandate_terms(setting)),
        "attached to a motion while it is still a draft",
    )
    vote = draft_motion(setting)
    propose_mandate(setting, vote)
    with pytest.raises(Conflict):
        services.attach(setting.officer, vote, mandate_terms(setting))
    db.session.rollback()
    opened = draft_motion(setting, title="Already open")
    voting.open_vote(setting.officer, opened, utcnow())
    db.session.commit()
    _refused_and_nothing_written(
        lambda: services.attach(setting.officer, opened, mandate_terms(setting)), "still a draft"
    )


def test_only_officers_attach_mandates(setting: World):
    vote = draft_motion(setting)
    with pytest.raises(NotPermitted):
        services.attach(setting.partners[0], vote, mandate_terms(setting))


def test_a_later_mandate_on_the_same_subject_supersedes(setting: World):
    proposal = add_proposal(setting)
    first = grant_mandate(setting, proposal=proposal, motion_title="First mandate")
    other_subject = grant_mandate(setting, title="Winter visiting service", motion_title="Other")
    second = grant_mandate(
        setting, proposal=proposal, title="Enhanced access, revised", motion_title="Second mandate"
    )
    db.session.refresh(first)
    db.session.refresh(other_subject)
    assert first.state is MandateState.SUPERSEDED
    assert first.superseded_by_id == second.id
    assert second.state is MandateState.IN_FORCE
    assert other_subject.state is MandateState.IN_FORCE
    assert "mandate.superseded" in _actions()


# --- Use reported ---------------------------------------------------------------------------


def test_a_holder_records_a_commitment_and_members_are_told(setting: World):
    mandate = grant_mandate(setting)
    before = count(OutboxMessage)
    commitment = services.record_commitment(setting.pcn_director, mandate, _commitment(), utcnow())
    db.session.commit()
    assert commitment.ratification is Ratification.NOT_NEEDED
    assert mandate.commitments == [commitment]
    assert count(OutboxMessage) - before == len(services.group_members(setting.area))
    assert _actions()[-1] == "mandate.commitment_recorded"


def test_only_a_holder_records_a_commitment(setting: World):
    mandate = grant_mandate(setting)
    with pytest.raises(NotPermitted):
        services.record_commitment(setting.partners[0], mandate, _commitment(), utcnow())


def test_a_commitment_after_the_mandate_ended_is_refused(setting: World):
    mandate = grant_mandate(setting, ends_on=_today() + timedelta(days=10))
    later = utcnow() + timedelta(days=12)
    _refused_and_nothing_written(
        lambda: services.record_commitment(
            setting.officer,
            mandate,
            _commitment(made_on=services.london_day(later)),
            later,
        ),
        "This mandate ended on",
    )


@pytest.mark.parametrize(
    ("made_on", "message"),
    [
        (1, "cannot be in the future"),
        (-3, "a commitment made before then was not made under it"),
    ],
)
def test_a_commitment_dated_outside_the_mandate_is_refused(setting, made_on, message):
    mandate = grant_mandate(setting)
    details = _commitment(made_on=_today() + timedelta(days=made_on))
    _refused_and_nothing_written(
        lambda: services.record_commitment(setting.officer, mandate, details, utcnow()), message
    )


def test_a_commitment_beyond_the_bounds_drafts_a_ratifying_motion(setting: World):
    mandate = grant_mandate(setting)
    grant = db.session.get(Vote, mandate.grant_vote_id)
    commitment = services.record_commitment(
        setting.officer, mandate, _commitment(needs_ratification=True), utcnow()
    )
    db.session.commit()
    assert commitment.ratification is Ratification.AWAITING
    motion = db.session.get(Vote, commitment.ratification_vote_id)
    assert motion.state is VoteState.DRAFT
    assert motion.kind is VoteKind.MOTION
    # The same electorate, under the mandate's rules.
    assert motion.voting_kinds == grant.voting_kinds
    assert motion.pcn_codes == grant.pcn_codes
    assert motion.rules == grant.rules
    assert motion.secrecy is grant.secrecy
    assert commitment.what_agreed in motion.body_markdown

    decide_motion(setting, motion)
    db.session.refresh(commitment)
    assert commitment.ratification is Ratification.RATIFIED
    assert commitment.ratification_provenance.startswith(motion.title)


def test_a_ratifying_motion_that_fails_leaves_it_not_ratified(setting: World):
    mandate = grant_mandate(setting)
    commitment = services.record_commitment(
        setting.officer, mandate, _commitment(needs_ratification=True), utcnow()
    )
    db.session.commit()
    decide_motion(
        setting,
        db.session.get(Vote, commitment.ratification_vote_id),
        dict(zip(setting.practices, AGAINST, strict=True)),
    )
    db.session.refresh(commitment)
    assert commitment.ratification is Ratification.NOT_RATIFIED


# --- Ending ---------------------------------------------------------------------------------


def test_an_lmc_officer_suspends_at_once_with_a_reason(setting: World):
    mandate = grant_mandate(setting)
    with pytest.raises(NotPermitted):
        services.suspend(setting.admin, mandate, "Conflict of interest", utcnow())
    _refused_and_nothing_written(
        lambda: services.suspend(setting.officer, mandate, "   ", utcnow()),
        "Enter the reason for suspending it.",
    )
    before = count(OutboxMessage)
    services.suspend(setting.officer, mandate, "A holder has a conflict of interest", utcnow())
    db.session.commit()
    assert mandate.state is MandateState.SUSPENDED
    assert mandate.suspension_reason == "A holder has a conflict of interest"
    assert _actions()[-1] == "mandate.suspended"
    assert count(OutboxMessage) - before == len(services.group_members(setting.area))
    _refused_and_nothing_written(
        lambda: services.record_commitment(setting.officer, mandate, _commitment(), utcnow()),
        "This mandate is suspended",
    )


def test_revocation_by_a_vote_of_the_same_electorate(setting: World):
    mandate = grant_mandate(setting)
    motion = services.propose_revocation(setting.officer, mandate, "The ICB withdrew", utcnow())
    db.session.commit()
    grant = db.session.get(Vote, mandate.grant_vote_id)
    assert motion.state is VoteState.DRAFT
    assert (motion.voting_kinds, motion.rules) == (grant.voting_kinds, grant.rules)
    with pytest.raises(Conflict):
        services.propose_revocation(setting.officer, mandate, "Again", utcnow())
    db.session.rollback()
    assert mandate.state is MandateState.IN_FORCE

    decide_motion(setting, motion)
    db.session.refresh(mandate)
    assert mandate.state is MandateState.REVOKED
    assert mandate.revoke_vote_id == motion.id
    assert mandate.revocation_provenance.startswith(motion.title)
    assert mandate.revocations[0].outcome is RevocationOutcome.PASSED


def test_a_failed_revocation_leaves_the_mandate_in_force(setting: World):
    mandate = grant_mandate(setting)
    motion = services.propose_revocation(setting.officer, mandate, "The ICB withdrew", utcnow())
    db.session.commit()
    decide_motion(setting, motion, dict(zip(setting.practices, AGAINST, strict=True)))
    db.session.refresh(mandate)
    assert mandate.state is MandateState.IN_FORCE
    assert mandate.revocations[0].outcome is RevocationOutcome.NOT_PASSED


def test_a_mandate_ends_on_its_date_read_without_writing_then_the_worker_writes_it(
    app, setting: World
):
    from portal import worker

    mandate = grant_mandate(setting, ends_on=_today() + timedelta(days=10))
    assert mandate.state_on(mandate.ends_on) is MandateState.IN_FORCE
    assert mandate.state_on(mandate.ends_on + timedelta(days=1)) is MandateState.ENDED
    # Past its date: every page reads it as ended, though nothing has been written yet.
    mandate.ends_on = _today() - timedelta(days=1)
    db.session.commit()
    assert mandate.state is MandateState.IN_FORCE
    assert mandate.state_on(_today()) is MandateState.ENDED

    worker.run_round()
    db.session.refresh(mandate)
    assert mandate.state is MandateState.ENDED
    assert mandate.ended_at is not None
    assert "mandate.ended" in _actions()


def test_the_schema_refuses_a_granted_state_without_its_provenance(setting: World):
    mandate = propose_mandate(setting)
    with pytest.raises(IntegrityError, match="granted_with_provenance"):
        db.session.execute(
            sa.update(Mandate).where(Mandate.id == mandate.id).values(state=MandateState.IN_FORCE)
        )
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.text("UPDATE mandates SET state = 'lapsed' WHERE id = :id"), {"id": mandate.id}
        )
    db.session.rollback()


def test_a_mandate_whose_date_passed_before_the_vote_closed_is_not_granted(setting):
    vote = draft_motion(setting)
    mandate = propose_mandate(setting, vote)
    # An officer moved the motion's closing time after the mandate was attached.
    mandate.ends_on = _today() - timedelta(days=1)
    db.session.commit()
    decide_motion(setting, vote)
    db.session.refresh(mandate)
    assert mandate.state is MandateState.NOT_GRANTED
    assert mandate.not_granted_reason == "Its end date had passed when the motion was decided."


def test_motions_called_off_revoke_and_ratify_nothing(setting: World):
    mandate = grant_mandate(setting)
    revocation = services.propose_revocation(setting.officer, mandate, "ICB withdrew", utcnow())
    commitment = services.record_commitment(
        setting.officer, mandate, _commitment(needs_ratification=True), utcnow()
    )
    db.session.commit()
    cancel(setting.officer, revocation, "Resolved by talking")
    cancel(setting.officer, db.session.get(Vote, commitment.ratification_vote_id), "Withdrawn")
    db.session.commit()
    db.session.refresh(mandate)
    assert mandate.state is MandateState.IN_FORCE
    assert mandate.revocations[0].outcome is RevocationOutcome.CANCELLED
    assert commitment.ratification is Ratification.NOT_RATIFIED
    assert commitment.ratification_provenance == "The motion to ratify it was called off."
    # With the first motion called off, another may be put.
    services.propose_revocation(setting.officer, mandate, "The ICB withdrew again", utcnow())


def test_the_worker_counting_the_motion_is_what_grants_it(setting: World):
    from portal import worker
    from portal.voting import casting

    vote = draft_motion(setting)
    mandate = propose_mandate(setting, vote)
    now = utcnow()
    voting.open_vote(setting.officer, vote, now)
    for practice in setting.practices:
        casting.cast_ballot(casters_of(setting)[practice.id], vote, practice, "for", now)
    vote.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert mandate.state is MandateState.PROPOSED  # nothing moves until voting counts it

    reports = worker.run_round()
    assert "close due votes: 1 vote(s) closed" in reports
    db.session.refresh(mandate)
    assert mandate.state is MandateState.IN_FORCE
    # The members' email was committed with the grant and sent in the same round.
    told = [m for m in db.session.scalars(sa.select(OutboxMessage)) if "mandate" in m.subject]
    assert told
    assert all(m.state.value == "sent" for m in told)
