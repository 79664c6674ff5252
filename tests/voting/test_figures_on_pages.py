"""A vote's figures as people read them on the vote, results and live-vote pages, in the result
email and in the statement's warning: ``portal.figures`` as the publication policy says (one
denominator, one decimal unless the deciding margin needs more, a secret ballot only as
precise as it was published), while the stored result and the ballot record stay exact."""

from __future__ import annotations

import html
import re
from typing import Any

import sqlalchemy as sa

from portal.accounts.models import Role
from portal.database import utcnow
from portal.organisations.models import OrganisationKind
from portal.outbox import OutboxMessage
from portal.voting import casting, closing, services
from portal.voting.models import BallotSecrecy, Vote
from tests.factories import World, make_area, make_organisation, make_user
from tests.voting.helpers import close_by_moving_time, equal_vote_details
from tests.voting.test_views import client_for

LIST_SIZE_MOTION = {
    "weighting": {"scheme": "list_size"},
    "blocks": None,
    "cap": None,
    "quorum": None,
    "threshold": {"rule": "simple_majority"},
    "tie": "fails",
}
# A share written with a percent sign but no space before it (the old "57.14%"), or with
# more decimals than anyone reads ("57.142857"): neither belongs on a page for people.
UNPOLISHED = re.compile(r"\d%|\d\.\d{3,}")
TAG = re.compile(r"<[^>]*>")


def _unpolished(page: str) -> list[str]:
    """Shares for people written as they should not be, in the page's words (not its markup:
    an SVG is 100% wide)."""
    return UNPOLISHED.findall(TAG.sub(" ", page))


def _text(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def _section(page: str, element_id: str, end: str = "</table>") -> str:
    start = page.index(f'id="{element_id}"')
    return page[start : page.index(end, start)]


def _list_size_vote(world: World, db: Any, **changes: Any) -> Vote:
    vote = services.create_vote(
        world.officer, world.area, equal_vote_details(rules=dict(LIST_SIZE_MOTION), **changes)
    )
    services.open_vote(world.officer, vote, utcnow())
    db.session.commit()
    return vote


def _close(vote: Vote, db: Any) -> None:
    close_by_moving_time(vote)
    closing.close_vote(vote, utcnow())
    db.session.commit()


def test_pages_and_the_result_email_write_shares_to_one_decimal(app, world, db):
    """12,000, 6,000 and 3,000 patients: 4/7, 2/7 and 1/7 of the weight."""
    vote = _list_size_vote(world, db)
    partner = client_for(app, world.partner)
    officer = client_for(app, world.officer)
    vote_page = _text(partner.get(world.url(f"/{vote.id}")))
    card = _section(vote_page, "ballot-M80001", "</dl>")
    assert "57.1 %" in card
    assert not _unpolished(vote_page)
    officer_page = _text(officer.get(world.url(f"/{vote.id}")))
    electorate = _section(officer_page, "electorate")
    assert [cell in electorate for cell in ("57.1 %", "28.6 %", "14.3 %")] == [True] * 3
    assert not _unpolished(officer_page)

    casting.cast_ballot(world.partner, vote, world.practice, "for", utcnow())
    casting.cast_ballot(world.second_partner, vote, world.second, "against", utcnow())
    db.session.commit()
    live = _text(officer.get(world.url(f"/{vote.id}/chase")))
    # The live vote: counts of who voted, never a share of how.
    assert "2 of 3 organisations have voted." in live
    assert "%" not in _section(live, "turnout", "</p>")
    assert "<strong>Brookside Health</strong> (M80003)" in _section(live, "not-voted", "</ul>")

    _close(vote, db)
    # The record keeps six decimals; people read one.
    assert vote.result["totals"]["for"]["weight_percent"] == "57.142857"
    page = _text(partner.get(world.url(f"/{vote.id}/results")))
    totals = _section(page, "totals")
    assert "57.1 %" in totals
    assert "28.6 %" in totals
    assert "0.0 %" in totals
    turnout = _section(page, "turnout", "</div>")
    assert "2 of 3 organisations voted, holding 85.7 % of the weight" in turnout
    assert "For: 57.1 % of the weight, from 1 organisation." in _section(page, "chart", "</svg>")
    assert "1 organisation for (57.1 % of the weight), 1 against (28.6 %)" in page
    assert "rounded to one decimal place" in _section(page, "shares-note", "</p>")
    assert not _unpolished(page)

    (email, *_) = db.session.execute(
        sa.select(OutboxMessage).where(
            OutboxMessage.subject.startswith("Result declared"),
            OutboxMessage.recipient == world.partner.email,
        )
    ).scalars()
    assert "1 organisation for (57.1 % of the weight), 1 against (28.6 %)" in email.body
    assert "2 of 3 voted (85.7 % of the weight)" in email.body
    assert "Outcome: passed" not in email.body
    assert not _unpolished(email.body)


def test_a_margin_one_decimal_would_hide_is_shown_everywhere_on_the_results_page(app, db):
    """50.04 % against 49.96 %: both read "50.0 %" at one decimal, so every share of the vote
    is written with two, in the table, the chart, the turnout and the sentence alike."""
    area = make_area(slug="close-run", name="Close Run ICB")
    lmc = make_organisation(area, OrganisationKind.LMC, ods_code="LMC02", name="Close Run LMC")
    officer = make_user(lmc, Role.LMC_OFFICER)
    first = make_organisation(area, ods_code="M90001", name="FIRST SURGERY", list_size=5004)
    second = make_organisation(area, ods_code="M90002", name="SECOND SURGERY", list_size=4996)
    first_partner = make_user(first, Role.GP_PARTNER)
    second_partner = make_user(second, Role.GP_PARTNER)
    vote = services.create_vote(officer, area, equal_vote_details(rules=dict(LIST_SIZE_MOTION)))
    services.open_vote(officer, vote, utcnow())
    casting.cast_ballot(first_partner, vote, first, "for", utcnow())
    casting.cast_ballot(second_partner, vote, second, "against", utcnow())
    _close(vote, db)

    page = _text(client_for(app, first_partner).get(f"/areas/{area.slug}/votes/{vote.id}/results"))
    totals = _section(page, "totals")
    assert ("50.04 %" in totals, "49.96 %" in totals, "0.00 %" in totals) == (True,) * 3
    assert "holding 100.00 % of the weight" in _section(page, "turnout", "</div>")
    chart = _section(page, "chart", "</svg>")
    assert "For: 50.04 % of the weight" in chart
    assert "Against: 49.96 % of the weight" in chart
    assert "1 organisation for (50.04 % of the weight), 1 against (49.96 %)" in page
    # Each practice's own weight is no deciding figure: one decimal.
    weights = _section(page, "weights")
    assert "50.0 %" in weights
    assert "First Surgery (M90001)" in weights


def test_a_secret_ballot_shows_its_shares_only_as_precisely_as_they_were_published(app, world, db):
    """Five practices and the LMC, equal weights, one against: published to one decimal
    without the breakdown by kind."""
    practices = [world.practice, world.second, world.third]
    partners = [world.partner, world.second_partner, world.third_partner]
    for number in (4, 5):
        practice = make_organisation(world.area, ods_code=f"M8000{number}", pcn=world.pcn)
        practices.append(practice)
        partners.append(make_user(practice, Role.GP_PARTNER))
    vote = services.create_vote(
        world.officer,
        world.area,
        equal_vote_details(secrecy=BallotSecrecy.SECRET, voting_kinds=["practice", "lmc"]),
    )
    services.open_vote(world.officer, vote, utcnow())
    for practice, partner in zip(practices, partners, strict=True):
        casting.cast_ballot(partner, vote, practice, "for", utcnow())
    casting.cast_ballot(world.officer, vote, world.lmc, "against", utcnow())
    _close(vote, db)
    assert vote.published["level"] == "no_breakdown"
    assert vote.published["totals"]["for"]["weight_percent"] == "83.3"

    page = _text(client_for(app, world.partner).get(world.url(f"/{vote.id}/results")))
    totals = _section(page, "totals")
    assert "83.3 %" in totals
    assert "16.7 %" in totals
    assert "6 of 6 organisations voted, holding 100.0 % of the weight" in page
    assert not _unpolished(page)


def test_a_secret_ballot_published_to_whole_points_says_so_and_shows_no_decimal(app, world, db):
    """Where the attacker left only whole points (or tens), the page writes each share with
    the decimals it was published with, never more, and says how it was rounded. The published
    figures are set here as ``secrecy.published_figures`` writes them at that level, since
    which electorate forces which level is the secrecy tests' business."""
    vote = _list_size_vote(world, db, secrecy=BallotSecrecy.SECRET)
    casting.cast_ballot(world.partner, vote, world.practice, "for", utcnow())
    _close(vote, db)
    for level, shown, note in (
        ("whole_points", "57 %", "nearest whole percentage point"),
        ("ten_points", "60 %", "nearest ten percentage points"),
    ):
        vote.published = {
            "level": level,
            "totals": {
                "for": {"members": None, "weight_percent": shown.removesuffix(" %")},
                "against": {"members": None, "weight_percent": "0"},
                "abstain": {"members": None, "weight_percent": "0"},
            },
            "by_kind": None,
        }
        db.session.commit()
        page = _text(client_for(app, world.partner).get(world.url(f"/{vote.id}/results")))
        totals = _section(page, "totals")
        assert shown in totals
        assert "Withheld" in totals  # the counts
        assert note in _section(page, "withheld", "</p>")
        assert not _unpolished(page)
