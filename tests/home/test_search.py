"""One search box for an area: results grouped by kind, each kind as its tiers allow."""

from __future__ import annotations

from portal.database import utcnow
from portal.extensions import db
from portal.needs import services as needs_services
from portal.needs.models import NeedCategory, NeedChannel, NeedUrgency
from portal.positions import drafting as position_drafting
from portal.positions import services as position_services
from portal.tiers import Tier
from tests.factories import World, make_world
from tests.statements.helpers import (
    STATEMENTS_WORLD,
    decided_vote,
    other_area_member,
    publish_statement,
)


def _phlebotomy_in_every_kind() -> World:
    setting = make_world(**STATEMENTS_WORLD)
    now = utcnow()
    position_services.create_proposal(
        setting.officer,
        setting.area,
        position_services.ProposalDetails(
            title="Phlebotomy transfer",
            ics_reference="ICB-7",
            owning_body="ICB",
            summary_markdown="Moving phlebotomy to practices.",
            source_links=[],
            response_deadline=None,
        ),
        [],
        now,
    )
    for tier, title in (
        (Tier.GROUP, "Phlebotomy: group draft"),
        (Tier.LMC, "Phlebotomy: LMC only"),
    ):
        position_drafting.create_position(
            setting.officer,
            setting.area,
            title=title,
            body_markdown="Fund it.",
            tier=tier,
            proposal=None,
            now=now,
        )
    needs_services.raise_need(
        setting.partners[0],
        setting.practices[0],
        NeedChannel.PRACTICE,
        title="Phlebotomy clinics unfunded",
        description_markdown="No money.",
        category=NeedCategory.WORKFORCE,
        urgency=NeedUrgency.SOON,
    )
    db.session.commit()
    decided_vote(setting, title="Phlebotomy funding vote")
    publish_statement(setting, title="Phlebotomy: the public statement", tier=Tier.PUBLIC)
    return setting


def _search(client, setting: World, text: str):
    return client.get(f"/areas/{setting.area.slug}/search/", query_string={"q": text})


def test_a_partner_finds_every_kind_grouped_but_not_the_lmc_only_draft(client, db, login):
    setting = _phlebotomy_in_every_kind()
    login(setting.partners[1])
    html = _search(client, setting, "phlebotomy").get_data(as_text=True)
    order = [
        html.index(f'id="{key}"')
        for key in ("proposals", "positions", "statements", "needs", "votes")
    ]
    assert order == sorted(order)
    for title in (
        "Phlebotomy transfer",
        "Phlebotomy: group draft",
        "Phlebotomy: the public statement",
        "Phlebotomy clinics unfunded",
        "Phlebotomy funding vote",
    ):
        assert title in html
    assert "LMC only" not in html


def test_an_officer_also_finds_the_lmc_draft(client, db, login):
    setting = _phlebotomy_in_every_kind()
    login(setting.officer)
    assert "Phlebotomy: LMC only" in _search(client, setting, "PHLEBOTOMY").get_data(as_text=True)


def test_an_ics_reader_finds_only_statements(client, db, login):
    setting = _phlebotomy_in_every_kind()
    login(setting.ics_reader)
    html = _search(client, setting, "phlebotomy").get_data(as_text=True)
    assert "Phlebotomy: the public statement" in html
    for hidden in ("Phlebotomy transfer", "group draft", "clinics unfunded", "funding vote"):
        assert hidden not in html


def test_bad_searches_say_why_and_nothing_found_says_so(client, db, login):
    setting = _phlebotomy_in_every_kind()
    login(setting.partners[0])
    empty = _search(client, setting, "   ")
    assert empty.status_code == 200
    assert "Enter words to search for" in empty.get_data(as_text=True)
    long = _search(client, setting, "x" * 101).get_data(as_text=True)
    assert "Search for 100 characters or fewer" in long
    assert "Nothing in North Staffordshire that you can see matches" in _search(
        client, setting, "zebra%_"
    ).get_data(as_text=True)
    plain = client.get(f"/areas/{setting.area.slug}/search/").get_data(as_text=True)
    assert "There is a problem" not in plain


def test_someone_outside_the_area_gets_404(client, db, login):
    setting = _phlebotomy_in_every_kind()
    login(other_area_member(setting))
    assert _search(client, setting, "phlebotomy").status_code == 404
