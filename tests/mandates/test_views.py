"""The mandates pages through the real forms: attach from the draft motion's page, record a
commitment, suspend, propose revocation; refusals shown with nothing written; a GET never
writes."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.extensions import db
from portal.mandates import services
from portal.mandates.models import Commitment, Mandate, MandateState, Ratification
from portal.outbox import OutboxMessage
from portal.positions.models import Tier
from portal.voting import services as voting
from portal.voting.models import Vote, VoteState
from tests.conftest import csrf_token_from, sign_in_with_form
from tests.mandates.helpers import count, draft_motion, grant_mandate, propose_mandate

SLUG = "north-staffs"


def _as(app: Any, user: Any) -> Any:
    client = app.test_client()
    response = sign_in_with_form(client, user.email)
    assert response.status_code == 302
    return client


def _post(client: Any, url: str, data: dict[str, Any]) -> Any:
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def _written() -> tuple[int, ...]:
    return (count(Mandate), count(Commitment), count(AuditEntry), count(OutboxMessage))


def _attach_form(setting: Any, **changes: Any) -> dict[str, Any]:
    officer = next(m for m in setting.officer.memberships)
    director = next(m for m in setting.pcn_director.memberships)
    return {
        "title": "The enhanced access model with the ICB",
        "proposal": "",
        "holders": [str(officer.id), str(director.id)],
        "may_agree": "Evening hubs, one per PCN.",
        "may_not_agree": "Any change to core hours.",
        "come_back_when": "Before any cost to practices.",
        "ends_on": (services.london_day(utcnow()) + timedelta(days=90)).isoformat(),
        "tier": "ics",
        **changes,
    }


def test_an_officer_attaches_a_mandate_from_the_draft_motions_page(app, setting):
    vote = draft_motion(setting)
    officer = _as(app, setting.officer)
    page = officer.get(f"/areas/{SLUG}/votes/{vote.id}").get_data(as_text=True)
    link = re.search(r'id="mandate-link" href="([^"]+)">Attach a mandate<', page)
    assert link is not None
    assert link.group(1) == f"/areas/{SLUG}/mandates/attach/{vote.id}"

    response = _post(officer, link.group(1), _attach_form(setting))
    assert response.status_code == 302
    mandate = db.session.query(Mandate).one()
    assert response.headers["Location"] == f"/mandates/{mandate.id}"
    assert mandate.state is MandateState.PROPOSED
    assert mandate.tier is Tier.ICS
    assert {h.user_id for h in mandate.holders} == {setting.officer.id, setting.pcn_director.id}
    page = officer.get(f"/areas/{SLUG}/votes/{vote.id}").get_data(as_text=True)
    assert "The mandate this motion grants" in page
    shown = officer.get(f"/mandates/{mandate.id}").get_data(as_text=True)
    assert "Not in force yet" in shown
    assert "Any change to core hours." in shown


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ends_on": "2020-01-01"}, "The end date must be after the vote closes on"),
        ({"holders": []}, "Choose at least one holder."),
        ({"may_agree": ""}, "Enter what the holders may agree"),
        ({"ends_on": "next week"}, "Not a valid date value."),
    ],
)
def test_bad_terms_are_refused_with_a_message_and_nothing_written(app, setting, change, message):
    vote = draft_motion(setting)
    officer = _as(app, setting.officer)
    before = _written()
    response = _post(
        officer, f"/areas/{SLUG}/mandates/attach/{vote.id}", _attach_form(setting, **change)
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert "There is a problem" in response.get_data(as_text=True)
    assert _written() == before


def test_who_may_attach(app, setting):
    vote = draft_motion(setting)
    url = f"/areas/{SLUG}/mandates/attach/{vote.id}"
    # A draft motion is the officers' alone: others do not learn it exists.
    assert _as(app, setting.partners[0]).get(url).status_code == 404
    assert _as(app, setting.admin).get(url).status_code == 200
    assert app.test_client().get(url).status_code == 302  # to sign in


def test_a_holder_records_a_commitment_through_the_form(app, setting):
    mandate = grant_mandate(setting)
    url = f"/mandates/{mandate.id}/commitments/new"
    assert _as(app, setting.partners[0]).get(url).status_code == 403
    holder = _as(app, setting.pcn_director)
    assert "Record a commitment" in holder.get(f"/mandates/{mandate.id}").get_data(as_text=True)
    response = _post(
        holder,
        url,
        {
            "made_on": services.london_day(utcnow()).isoformat(),
            "forum": "ICB primary care committee",
            "with_whom": "ICB director of primary care",
            "what_agreed": "One hub per PCN from April.",
            "needs_ratification": "y",
        },
    )
    assert response.status_code == 302
    commitment = db.session.query(Commitment).one()
    assert commitment.ratification is Ratification.AWAITING
    # Until ratified it shows as such on every surface.
    for reader, address in (
        (holder, f"/mandates/{mandate.id}"),
        (holder, "/mandates"),
        (_as(app, setting.ics_reader), f"/mandates/holders/{setting.pcn_director.id}"),
    ):
        assert "Needs ratification" in reader.get(address).get_data(as_text=True)


def test_a_commitment_after_the_end_is_refused_on_the_form(app, setting):
    mandate = grant_mandate(setting)
    holder = _as(app, setting.pcn_director)
    url = f"/mandates/{mandate.id}/commitments/new"
    token = csrf_token_from(holder.get(url).get_data(as_text=True))
    mandate.ends_on = services.london_day(utcnow()) - timedelta(days=1)
    db.session.commit()
    before = _written()
    response = holder.post(
        url,
        data={
            "csrf_token": token,
            "made_on": services.london_day(utcnow()).isoformat(),
            "forum": "ICB",
            "with_whom": "ICB",
            "what_agreed": "Something",
        },
    )
    assert response.status_code == 200
    assert "This mandate ended on" in response.get_data(as_text=True)
    assert _written() == before


def test_an_lmc_officer_suspends_through_the_form(app, setting):
    mandate = grant_mandate(setting)
    url = f"/mandates/{mandate.id}/suspend"
    assert _as(app, setting.admin).get(url).status_code == 403
    assert _as(app, setting.pcn_director).get(url).status_code == 403
    response = _post(_as(app, setting.officer), url, {"reason": "A holder has a conflict"})
    assert response.status_code == 302
    db.session.refresh(mandate)
    assert mandate.state is MandateState.SUSPENDED
    page = _as(app, setting.ics_reader).get(f"/mandates/{mandate.id}").get_data(as_text=True)
    assert "This mandate is suspended" in page
    assert "A holder has a conflict" in page


def test_an_officer_proposes_revocation_and_is_taken_to_the_draft_motion(app, setting):
    mandate = grant_mandate(setting)
    response = _post(
        _as(app, setting.admin), f"/mandates/{mandate.id}/revoke", {"reason": "ICB withdrew"}
    )
    assert response.status_code == 302
    db.session.refresh(mandate)
    vote_id = mandate.revocations[0].vote_id
    assert response.headers["Location"] == f"/areas/{SLUG}/votes/{vote_id}"
    assert db.session.get(Vote, vote_id).state is VoteState.DRAFT


def test_a_get_never_writes_even_for_a_mandate_past_its_date(app, setting):
    mandate = grant_mandate(setting)
    mandate.ends_on = services.london_day(utcnow()) - timedelta(days=1)
    db.session.commit()
    before = _written()
    reader = _as(app, setting.ics_reader)
    signed_in = _written()
    for address in (
        f"/mandates/{mandate.id}",
        "/mandates",
        f"/mandates/holders/{setting.officer.id}",
        f"/api/v1/mandates/{mandate.id}",
        "/api/v1/mandates",
    ):
        response = reader.get(address)
        assert response.status_code == 200
        assert "nded" in response.get_data(as_text=True)  # "Ended", "ended"
    assert _written() == signed_in
    assert before[:2] == signed_in[:2]
    db.session.refresh(mandate)
    assert mandate.state is MandateState.IN_FORCE  # stored; the worker writes "ended"


def test_members_read_the_mandate_of_a_motion_once_it_opens(app, setting):
    vote = draft_motion(setting)
    mandate = propose_mandate(setting, vote)
    partner = _as(app, setting.partners[0])
    assert partner.get(f"/mandates/{mandate.id}").status_code == 404
    voting.open_vote(setting.officer, vote, utcnow())
    db.session.commit()
    page = partner.get(f"/areas/{SLUG}/votes/{vote.id}").get_data(as_text=True)
    assert f'id="mandate-link" href="/mandates/{mandate.id}"' in page
    assert "Attach a mandate" not in page
    assert "Not in force yet" in partner.get(f"/mandates/{mandate.id}").get_data(as_text=True)
    assert app.test_client().get(f"/mandates/{mandate.id}").status_code == 404
