"""Pages show organisation names as people write them; the stored name stays as published."""

from __future__ import annotations

from portal.accounts.models import Role
from portal.extensions import db
from portal.organisations.models import Organisation, OrganisationKind
from tests.factories import make_area, make_organisation, make_user


def test_practice_page_and_list_show_the_name_in_title_case(client, login) -> None:
    area = make_area()
    pcn = make_organisation(area, OrganisationKind.PCN, name="RUGELEY & GREAT HAYWOOD PCN")
    practice = make_organisation(area, name="DR KHARE'S SURGERY", pcn=pcn)
    login(make_user(practice, Role.GP_PARTNER))

    page = client.get(f"/areas/{area.slug}/organisations/{practice.ods_code}")
    listing = client.get(f"/areas/{area.slug}/practices")

    for response in (page, listing):
        html = response.get_data(as_text=True)
        assert "Dr Khare&#39;s Surgery" in html
        assert "KHARE" not in html
        assert "Rugeley &amp; Great Haywood PCN" in html
    assert db.session.get(Organisation, practice.id).name == "DR KHARE'S SURGERY"
