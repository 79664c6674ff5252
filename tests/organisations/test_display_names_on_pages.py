"""Pages that list organisations show each one's display name, never NHS England's capitals.

The demo area is the real NHS files' data, whose names are all in capitals; the stored name
stays as published (the next import matches on it), while pages show ``display_name``.
"""

from __future__ import annotations

import html

import sqlalchemy as sa

from portal.agreements.models import Agreement
from portal.demo.loader import DEMO_AREA_SLUG, DEMO_EMAIL_DOMAIN, DEMO_PASSWORD, load_demo_area
from portal.names import display_name
from portal.organisations.models import Area, Organisation, OrganisationKind
from portal.voting.models import Vote, VoteState
from tests.conftest import sign_in_with_form


def _text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


def _raw_names_shown(page: str, organisations: list[Organisation]) -> list[str]:
    return [
        organisation.name
        for organisation in organisations
        if organisation.name != display_name(organisation.name) and organisation.name in page
    ]


def test_pages_listing_organisations_show_display_names(client, db):
    load_demo_area()
    db.session.commit()
    area = db.session.execute(sa.select(Area).where(Area.slug == DEMO_AREA_SLUG)).scalar_one()
    organisations = list(
        db.session.execute(sa.select(Organisation).where(Organisation.area_id == area.id)).scalars()
    )
    # The property is only worth testing if the source really is in capitals.
    assert sum(o.name != display_name(o.name) for o in organisations) > 100
    response = sign_in_with_form(client, f"partner.horsefair@{DEMO_EMAIL_DOMAIN}", DEMO_PASSWORD)
    assert response.status_code == 302

    base = f"/areas/{DEMO_AREA_SLUG}"
    for url, kind in (
        (f"{base}/practices", OrganisationKind.PRACTICE),
        (f"{base}/pcns", OrganisationKind.PCN),
    ):
        page = _text(client, url)
        listed = [o for o in organisations if o.kind is kind]
        assert [o.name for o in listed if display_name(o.name) not in page] == [], url
        assert _raw_names_shown(page, organisations) == [], url

    votes = db.session.execute(sa.select(Vote).where(Vote.area_id == area.id)).scalars().all()
    agreements = (
        db.session.execute(sa.select(Agreement).where(Agreement.area_id == area.id)).scalars().all()
    )
    assert votes
    assert agreements
    urls = [f"{base}/votes/{vote.id}" for vote in votes]
    urls += [f"{base}/votes/{vote.id}/results" for vote in votes if vote.closed_at is not None]
    urls += [f"{base}/agreements/"] + [f"{base}/agreements/{a.id}" for a in agreements]
    urls += [
        f"{base}/votes/{vote.id}/cast/M83001" for vote in votes if vote.state is VoteState.OPEN
    ]
    shown = 0
    for url in urls:
        response = client.get(url)
        # A partner may not see every page (a draft vote is 404 to them); those it sees count.
        if response.status_code != 200:
            continue
        page = html.unescape(response.get_data(as_text=True))
        assert _raw_names_shown(page, organisations) == [], url
        shown += any(display_name(o.name) in page for o in organisations if o.name.isupper())
    # Each kind of page was seen with at least one organisation on it.
    assert shown >= 3, urls
