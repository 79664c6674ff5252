"""The vote set-up pages are for officers only (403 to a partner, 404 beyond the area), begin
at the start, and never reach the check page with a page unanswered; a step posted without its
CSRF token is refused."""

from __future__ import annotations

from portal.accounts.models import Role
from portal.voting import setup
from tests.factories import Org, Person, lmc, make_world

FIRST = setup.PAGES[0].slug

SET_UP_WORLD = {
    "section": "votes",
    "other_areas": [("far", "far", "Far ICB")],
    "organisations": [
        lmc(ods_code="LMC1"),
        Org("practice", ods_code="A10001"),
        Org("elsewhere", ods_code="B20001", area="far"),
    ],
    "people": [
        Person("officer", "lmc", Role.LMC_OFFICER),
        Person("partner", "practice", Role.GP_PARTNER),
        Person("outsider", "elsewhere", Role.GP_PARTNER),
    ],
}


def _people():
    world = make_world(**SET_UP_WORLD)
    return world.url("/set-up"), world.officer, world.partner, world.outsider


def test_a_partner_is_refused(client, db, login):
    base, _, partner, _ = _people()
    db.session.commit()
    login(partner)

    assert client.get(f"{base}/").status_code == 403
    assert client.get(f"{base}/check").status_code == 403


def test_someone_from_another_area_finds_nothing(client, db, login):
    base, _, _, outsider = _people()
    db.session.commit()
    login(outsider)

    assert client.get(f"{base}/").status_code == 404


def test_the_pages_begin_at_the_start_and_the_check_waits_for_every_page(client, db, login):
    base, officer, _, _ = _people()
    db.session.commit()
    login(officer)

    assert client.get(f"{base}/no-such-page").status_code == 404
    assert client.get(f"{base}/{FIRST}").headers["Location"] == f"{base}/"
    assert client.get(f"{base}/check").headers["Location"] == f"{base}/"

    assert client.get(f"{base}/").headers["Location"] == f"{base}/{FIRST}"
    assert client.get(f"{base}/check").headers["Location"] == f"{base}/{FIRST}"
    assert client.post(f"{base}/{FIRST}", data={}).status_code == 400
