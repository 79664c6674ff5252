"""The mandates API, every response validated against the API's own OpenAPI document."""

from __future__ import annotations

from datetime import timedelta

from portal.database import utcnow
from portal.extensions import db
from portal.mandates import services
from portal.positions.models import Tier
from portal.voting.models import Vote
from portal.voting.published import result_wording
from tests.mandates.helpers import grant_mandate
from tests.statements.helpers import add_proposal
from tests.statements.test_api import check, openapi  # noqa: F401  (the fixture)


def test_the_document_describes_mandates(openapi):  # noqa: F811
    assert {"/mandates", "/mandates/{id}"} <= set(openapi["paths"])
    assert {"Mandate", "MandateList", "MandateHolder", "Commitment"} <= set(
        openapi["components"]["schemas"]
    )


def test_a_mandate(client, setting, openapi):  # noqa: F811
    proposal = add_proposal(setting)
    mandate = grant_mandate(setting, tier=Tier.PUBLIC, proposal=proposal)
    services.record_commitment(
        setting.pcn_director,
        mandate,
        services.CommitmentDetails(
            made_on=services.london_day(utcnow()),
            forum="ICB primary care committee",
            with_whom="ICB director of primary care",
            what_agreed="One hub per PCN.",
            needs_ratification=True,
        ),
        utcnow(),
    )
    db.session.commit()
    body = check(openapi, client.get(f"/api/v1/mandates/{mandate.id}"), "/mandates/{id}")
    grant = db.session.get(Vote, mandate.grant_vote_id)
    assert body["url"] == f"http://localhost/mandates/{mandate.id}"
    assert body["state"] == "in_force"
    assert body["provenance"] == f"{grant.title}. {result_wording(grant)}"
    assert [h["name"] for h in body["holders"]] == [
        setting.officer.name,
        setting.pcn_director.name,
    ]
    assert body["proposal"]["ics_reference"] == "ICB-EA-07"
    assert body["commitments"][0]["ratification"] == "awaiting"


def test_the_list_and_its_filters(client, setting, openapi):  # noqa: F811
    first = grant_mandate(setting, tier=Tier.PUBLIC, title="Hubs", motion_title="One")
    second = grant_mandate(setting, tier=Tier.PUBLIC, title="Visiting", motion_title="Two")
    services.suspend(setting.officer, second, "Conflict of interest", utcnow())
    db.session.commit()
    body = check(openapi, client.get("/api/v1/mandates"), "/mandates")
    assert [item["id"] for item in body["items"]] == [second.id, first.id]
    body = check(openapi, client.get("/api/v1/mandates?state=suspended"), "/mandates")
    assert [item["state"] for item in body["items"]] == ["suspended"]
    body = check(openapi, client.get("/api/v1/mandates?per_page=1&page=2"), "/mandates")
    assert (body["total"], body["pages"], body["items"][0]["id"]) == (2, 2, first.id)
    body = check(openapi, client.get("/api/v1/mandates?area=nowhere"), "/mandates")
    assert body["items"] == []


def test_an_ended_mandate_reads_as_ended(client, setting, openapi):  # noqa: F811
    mandate = grant_mandate(setting, tier=Tier.PUBLIC)
    mandate.ends_on = services.london_day(utcnow()) - timedelta(days=1)
    db.session.commit()
    body = check(openapi, client.get(f"/api/v1/mandates/{mandate.id}"), "/mandates/{id}")
    assert body["state"] == "ended"


def test_bad_queries_and_unknown_mandates_are_problems(client, setting, openapi):  # noqa: F811
    for query in ("state=lapsed", "page=0", "per_page=101", "page=x"):
        response = check(openapi, client.get(f"/api/v1/mandates?{query}"), "/mandates")
        assert response["status"] == 400
    hidden = grant_mandate(setting, tier=Tier.GROUP)
    for mandate_id in (hidden.id, 999999):
        body = check(openapi, client.get(f"/api/v1/mandates/{mandate_id}"), "/mandates/{id}")
        assert body["status"] == 404
