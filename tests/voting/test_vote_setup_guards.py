"""The vote set-up pages are for officers only (403 to a partner, 404 beyond the area), begin
at the start, and never reach the check page with a page unanswered; a step posted without its
CSRF token is refused."""

from __future__ import annotations

from portal.accounts.models import Role
from portal.organisations.models import OrganisationKind
from portal.voting import setup
from tests.factories import make_area, make_organisation, make_user

FIRST = setup.PAGES[0].slug


def _people():
    area = make_area()
    lmc = make_organisation(area, OrganisationKind.LMC, ods_code="LMC1")
    practice = make_organisation(area, ods_code="A10001")
    elsewhere = make_organisation(make_area(slug="far", name="Far ICB"), ods_code="B20001")
    return (
        f"/areas/{area.slug}/votes/set-up",
        make_user(lmc, Role.LMC_OFFICER),
        make_user(practice, Role.GP_PARTNER),
        make_user(elsewhere, Role.GP_PARTNER),
    )


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
