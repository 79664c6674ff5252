"""Support totals at current list sizes, comments showing the organisation, triage with its
history and audit, merging duplicates, the dual-role person, PCN authorisations, sanitised
Markdown and a spreadsheet-safe export."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa

from portal.audit.models import AuditEntry
from portal.audit.services import verify_chain
from portal.errors import Conflict, DomainError, NotPermitted
from portal.extensions import db
from portal.needs import listings, permissions, services
from portal.needs.models import (
    Need,
    NeedCategory,
    NeedChannel,
    NeedComment,
    NeedStatus,
    NeedStatusChange,
    NeedSupport,
)
from portal.organisations.models import Organisation, PcnMembership
from portal.spreadsheets import spreadsheet_safe
from tests.conftest import fetch_csrf_token
from tests.needs.conftest import raise_pcn_need, raise_practice_need, row_counts


def _reload(model, identity):
    db.session.expire_all()
    return db.session.get(model, identity)


def _post(client, world, path, data=None):
    token = fetch_csrf_token(client, world.url())
    return client.post(world.url(path), data={**(data or {}), "csrf_token": token})


def _support_totals_text(html: str) -> str:
    match = re.search(r'id="support-totals">(.*?)</p>', html, re.S)
    assert match
    return " ".join(match.group(1).split())


def test_supporting_from_another_practice_counts_organisations_and_current_patients(
    client, login, world
):
    need_id = world.open_need.id
    login(world.people["other_practice_member"])
    html = client.get(world.url(str(need_id))).get_data(as_text=True)
    assert "Add support from Hillside Practice" in html
    assert _support_totals_text(html) == (
        "This need speaks for 1 organisation covering 10,000 registered patients."
    )
    assert "at today's list sizes" in html

    response = _post(client, world, f"{need_id}/supports/{world.practice_2.id}")
    assert response.status_code == 302
    html = client.get(world.url(str(need_id))).get_data(as_text=True)
    assert "Hillside Practice now supports this need." in html
    assert _support_totals_text(html) == (
        "This need speaks for 2 organisations covering 16,000 registered patients."
    )
    assert "Supported by Mo Manager" in html
    assert "Add support from" not in html

    # New list sizes are published: the totals follow them, with nothing re-saved.
    practice = db.session.get(Organisation, world.practice_2.id)
    practice.list_size = 7500
    db.session.commit()
    html = client.get(world.url(str(need_id))).get_data(as_text=True)
    assert _support_totals_text(html) == (
        "This need speaks for 2 organisations covering 17,500 registered patients."
    )
    listing = client.get(world.url("practice/")).get_data(as_text=True)
    assert "17,500" in listing
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(world.url("practice/export.csv")).get_data(as_text=True).lstrip("\ufeff")
            )
        )
    )
    row = next(row for row in rows if row["Need"] == str(need_id))
    assert row["Organisations"] == "2"
    assert row["Registered patients"] == "17500"
    assert row["Supporting organisations"] == "Hillside Practice"

    # Supporting twice is refused; withdrawing takes it off again.
    with pytest.raises(Conflict, match="already supports"):
        services.support(world.people["other_practice_member"], _reload(Need, need_id), practice)
    db.session.rollback()
    response = _post(client, world, f"{need_id}/supports/{world.practice_2.id}/withdraw")
    assert response.status_code == 302
    html = client.get(world.url(str(need_id))).get_data(as_text=True)
    assert _support_totals_text(html).startswith("This need speaks for 1 organisation")


def test_pcn_support_counts_the_patients_of_the_practices_in_each_pcn_now(world):
    need = _reload(Need, world.pcn_need.id)
    services.support(world.people["dual"], need, world.pcn_a)
    db.session.commit()
    totals = listings.support_totals([need])[need.id]
    # Bravo PCN: Meadow 4,000; Alpha PCN: Riverside 10,000 and Hillside 6,000.
    assert (totals.organisations, totals.patients) == (2, 20000)

    # Hillside moves from Alpha to Bravo: both PCNs' totals change, the sum does not.
    membership = db.session.scalar(
        sa.select(PcnMembership).where(PcnMembership.practice_id == world.practice_2.id)
    )
    membership.valid_to = membership.valid_from
    db.session.add(
        PcnMembership(
            practice_id=world.practice_2.id, pcn_id=world.pcn_b.id, valid_from=membership.valid_from
        )
    )
    db.session.commit()
    patients = listings.organisation_patients([world.pcn_a.id, world.pcn_b.id])
    assert patients == {world.pcn_a.id: 10000, world.pcn_b.id: 10000}


def test_an_unknown_list_size_is_said_not_hidden(client, login, world):
    practice = db.session.get(Organisation, world.practice_1.id)
    practice.list_size = None
    db.session.commit()
    login(world.people["practice_member"])
    html = client.get(world.url(str(world.open_need.id))).get_data(as_text=True)
    assert _support_totals_text(html) == (
        "This need speaks for 1 organisation covering 0 registered patients "
        "(list size not known for 1 organisation)."
    )


def test_comments_show_the_organisation_and_render_sanitised_markdown(client, login, world):
    login(world.people["other_practice_member"])
    body = (
        "Same for us. <script>alert('x')</script> [click](javascript:alert(1)) "
        '<img src=x onerror="alert(2)"> **bold**'
    )
    response = _post(
        client,
        world,
        f"{world.open_need.id}/comments",
        {"organisation": str(world.practice_2.id), "body": body},
    )
    assert response.status_code == 302
    html = client.get(world.url(str(world.open_need.id))).get_data(as_text=True)
    comments = html.split('id="comment-list"')[1].split("</ol>")[0]
    assert "<strong>Hillside Practice</strong>" in comments
    assert "written by Mo Manager" in comments
    assert "<strong>bold</strong>" in comments
    for dangerous in ("<script", "javascript:", "onerror", "<img"):
        assert dangerous not in comments


def test_a_description_is_rendered_as_sanitised_markdown(client, login, world):
    need = raise_practice_need(
        world.people["practice_member"],
        world.practice_1,
        title="Markdown",
        description_markdown=(
            "# Heading\n\n<script>steal()</script>\n\n"
            '[link](javascript:alert(1)) <a href="https://example.org" onclick="x()">ok</a>'
        ),
    )
    login(world.people["lmc_officer"])
    html = client.get(world.url(str(need.id))).get_data(as_text=True)
    description = html.split('id="description">')[1].split("</div>")[0]
    assert "<h2>Heading</h2>" in description
    assert 'href="https://example.org"' in description
    for dangerous in ("<script", "steal()", "javascript:", "onclick"):
        assert dangerous not in description
    assert html.count("<h1") == 1


def test_declining_needs_a_reason_and_every_change_is_in_the_history(client, login, world):
    need_id = world.open_need.id
    login(world.people["lmc_officer"])
    before = row_counts()
    response = _post(client, world, f"{need_id}/status", {"status": "declined", "reason": " "})
    assert response.status_code == 200
    assert "Give the reason for declining the need" in response.get_data(as_text=True)
    assert row_counts() == before
    assert _reload(Need, need_id).status is NeedStatus.NEW

    with pytest.raises(DomainError, match="reason"):
        services.change_status(
            world.people["lmc_officer"], _reload(Need, need_id), NeedStatus.DECLINED, ""
        )
    db.session.rollback()

    _post(client, world, f"{need_id}/status", {"status": "acknowledged"})
    response = _post(
        client,
        world,
        f"{need_id}/status",
        {"status": "declined", "reason": "This is for the landlord, not the ICB."},
    )
    assert response.status_code == 302
    need = _reload(Need, need_id)
    assert need.status is NeedStatus.DECLINED
    assert need.status_reason == "This is for the landlord, not the ICB."
    changes = db.session.scalars(
        sa.select(NeedStatusChange).where(NeedStatusChange.need_id == need_id)
    ).all()
    assert [(c.from_status, c.to_status) for c in changes] == [
        (NeedStatus.NEW, NeedStatus.ACKNOWLEDGED),
        (NeedStatus.ACKNOWLEDGED, NeedStatus.DECLINED),
    ]
    # Everyone who can see the need sees the history, with the reason.
    client.post("/accounts/logout", data={"csrf_token": fetch_csrf_token(client, world.url())})
    login(world.people["other_practice_member"])
    html = client.get(world.url(str(need_id))).get_data(as_text=True)
    history = html.split('id="status-history"')[1].split("</table>")[0]
    assert "New to Acknowledged" in history
    assert "Acknowledged to Declined" in history
    assert "This is for the landlord, not the ICB." in history
    assert "Lou Officer" in history
    assert 'id="triage"' not in html


def test_the_same_status_again_is_refused(world):
    with pytest.raises(Conflict, match="already new"):
        services.change_status(
            world.people["lmc_officer"], _reload(Need, world.open_need.id), NeedStatus.NEW
        )


def test_every_change_writes_an_audit_entry_without_the_title(world):
    officer, member = world.people["lmc_officer"], world.people["other_practice_member"]
    need = _reload(Need, world.open_need.id)
    services.support(member, need, world.practice_2)
    services.comment(member, need, world.practice_2, "Us too")
    services.change_status(officer, need, NeedStatus.ACKNOWLEDGED)
    duplicate = raise_practice_need(world.people["other_practice_member"], world.practice_2)
    services.merge(officer, _reload(Need, duplicate.id), _reload(Need, need.id))
    db.session.commit()
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action.startswith("need.")).order_by(AuditEntry.id)
    ).all()
    assert [entry.action for entry in entries] == [
        "need.raised",
        "need.raised",
        "need.raised",
        "need.supported",
        "need.commented",
        "need.status_changed",
        "need.raised",
        "need.merged",
    ]
    assert all(entry.area_id == world.area.id for entry in entries)
    for entry in entries:
        assert "confidential" not in entry.summary
        assert "Alpha open" not in entry.summary
    assert entries[5].details == {"from": "new", "to": "acknowledged", "reason": None}
    assert verify_chain() is None


def test_merging_moves_supports_and_comments_and_points_to_the_kept_need(client, login, world):
    officer = world.people["lmc_officer"]
    kept = _reload(Need, world.open_need.id)
    duplicate = raise_practice_need(
        world.people["other_practice_member"], world.practice_2, title="Parking again"
    )
    practice_4 = Organisation(
        area_id=world.area.id,
        kind=world.practice_1.kind,
        ods_code="M80004",
        name="Brook Surgery",
        list_size=3000,
    )
    db.session.add(practice_4)
    db.session.commit()
    from portal.accounts.models import Role
    from tests.factories import add_membership, make_user

    brook_partner = make_user(practice_4, Role.GP_PARTNER, name="Bea Brook")
    dual = world.people["dual"]
    add_membership(dual, db.session.get(Organisation, world.practice_3.id), Role.GP_PARTNER)
    duplicate = _reload(Need, duplicate.id)
    # Meadow (practice 3) supports both needs; Brook only the duplicate.
    services.support(dual, duplicate, db.session.get(Organisation, world.practice_3.id))
    services.support(
        dual, _reload(Need, kept.id), db.session.get(Organisation, world.practice_3.id)
    )
    services.support(brook_partner, _reload(Need, duplicate.id), practice_4)
    services.comment(brook_partner, _reload(Need, duplicate.id), practice_4, "Brook here")
    db.session.commit()

    login(officer)
    response = _post(client, world, f"{duplicate.id}/merge", {"kept": str(kept.id)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/needs/{kept.id}")

    kept, duplicate = _reload(Need, kept.id), db.session.get(Need, duplicate.id)
    assert duplicate.merged_into_id == kept.id
    supporters = {support.organisation.name for support in kept.supports}
    # Hillside raised the duplicate, so it now supports the kept need; Meadow counts once.
    assert supporters == {"Hillside Practice", "Meadow Surgery", "Brook Surgery"}
    assert duplicate.supports == []
    assert [comment.body_markdown for comment in kept.comments] == ["Brook here"]
    assert (
        db.session.scalar(
            sa.select(sa.func.count(NeedComment.id)).where(NeedComment.need_id == duplicate.id)
        )
        == 0
    )
    totals = listings.support_totals([kept])[kept.id]
    assert (totals.organisations, totals.patients) == (4, 10000 + 6000 + 4000 + 3000)

    html = client.get(world.url(str(duplicate.id))).get_data(as_text=True)
    assert "This need has been merged into" in html
    assert f'href="/areas/staffs/needs/{kept.id}"' in html
    kept_html = client.get(world.url(str(kept.id))).get_data(as_text=True)
    assert "Parking again" in kept_html.split('id="merged-from"')[1]
    # The merged need is out of the list and the counts, and takes nothing more.
    listing = client.get(world.url("practice/")).get_data(as_text=True)
    assert "Parking again" not in listing
    dashboard = listings.dashboard(officer, world.area, NeedChannel.PRACTICE)
    assert dashboard.total.needs == 2
    with pytest.raises(services.NeedClosed, match="merged into"):
        services.comment(brook_partner, duplicate, practice_4, "Hello?")
    db.session.rollback()
    with pytest.raises(Conflict, match="merged"):
        services.change_status(officer, _reload(Need, duplicate.id), NeedStatus.RESOLVED, "x")


def test_merging_never_widens_who_sees_an_lmc_only_need(world):
    officer = world.people["lmc_officer"]
    with pytest.raises(DomainError, match="LMC only"):
        services.merge(
            officer, _reload(Need, world.lmc_only_need.id), _reload(Need, world.open_need.id)
        )
    other_lmc_only = raise_practice_need(
        world.people["other_practice_member"], world.practice_2, lmc_only=True
    )
    with pytest.raises(DomainError, match="same practice"):
        services.merge(officer, other_lmc_only, _reload(Need, world.lmc_only_need.id))
    with pytest.raises(DomainError, match="same channel"):
        services.merge(officer, _reload(Need, world.pcn_need.id), _reload(Need, world.open_need.id))
    with pytest.raises(NotPermitted):
        services.merge(
            world.people["practice_member"],
            _reload(Need, world.lmc_only_need.id),
            _reload(Need, world.open_need.id),
        )
    db.session.rollback()
    candidates = listings.merge_candidates(officer, _reload(Need, world.lmc_only_need.id))
    assert candidates == []


def test_the_dual_role_person_chooses_whom_to_speak_for(client, login, world):
    dual = world.people["dual"]
    login(dual)
    practice_form = client.get(world.url("practice/new")).get_data(as_text=True)
    assert "Hillside Practice (GP practice, M80002)" in practice_form
    assert "Alpha PCN" not in practice_form
    pcn_form = client.get(world.url("pcn/new")).get_data(as_text=True)
    assert "Alpha PCN (Primary care network, U90001)" in pcn_form
    assert "Hillside Practice" not in pcn_form

    token = fetch_csrf_token(client, world.url("pcn/new"))
    response = client.post(
        world.url("pcn/new"),
        data={
            "csrf_token": token,
            "organisation": str(world.pcn_a.id),
            "title": "Hub rota",
            "description": "Saturday cover.",
            "category": NeedCategory.PCN_DES_REQUIREMENTS.value,
            "urgency": "urgent",
        },
    )
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    raised_for = re.search(r'id="raised-for">(.*?)</dd>', html).group(1)
    assert raised_for == "Alpha PCN (Primary care network, U90001)"
    assert "Dana Dual, for Alpha PCN" in html

    # Commenting on a practice need, Dana speaks for her practice, never for her PCN.
    choices = re.findall(
        r'<option value="(\d+)"',
        client.get(world.url(str(world.open_need.id))).get_data(as_text=True),
    )
    assert choices == [str(world.practice_2.id)]
    before = row_counts()
    response = _post(
        client,
        world,
        f"{world.open_need.id}/comments",
        {"organisation": str(world.pcn_a.id), "body": "As the PCN..."},
    )
    assert response.status_code == 200
    assert "You can only comment for an organisation you speak for" in response.get_data(
        as_text=True
    )
    assert row_counts() == before


def test_a_pcn_clinical_director_authorises_a_practice_member(client, login, world):
    member, dual = world.people["practice_member"], world.people["dual"]
    assert not permissions.can_see_channel(member, world.area, NeedChannel.PCN)

    login(dual)
    page = world.url("pcns/U90001/authorisations")
    html = client.get(page).get_data(as_text=True)
    assert "Pat Partner" in html
    assert "Mo Manager" in html  # Hillside's manager is in Alpha PCN too
    assert "Cleo CD" not in html
    response = _post(client, world, "pcns/U90001/authorisations", {"member": str(member.id)})
    assert response.status_code == 302
    # Another PCN's page is not Dana's to manage.
    assert client.get(world.url("pcns/U90002/authorisations")).status_code == 404

    db.session.expire_all()
    assert permissions.can_see_channel(member, world.area, NeedChannel.PCN)
    assert [
        o.name
        for o in permissions.organisations_user_may_speak_for(member, world.area, NeedChannel.PCN)
    ] == ["Alpha PCN"]
    need = raise_pcn_need(member, db.session.get(Organisation, world.pcn_a.id), title="Rooms")
    assert need.organisation_id == world.pcn_a.id
    # The authorisation lets the member speak for Alpha PCN only, not for Bravo PCN.
    with pytest.raises(NotPermitted):
        services.raise_need(
            member,
            db.session.get(Organisation, world.pcn_b.id),
            NeedChannel.PCN,
            title="x",
            description_markdown="y",
            category=NeedCategory.OTHER,
            urgency=services.NeedUrgency.ROUTINE,
        )
    db.session.rollback()

    # Revoked, the member is back to the practice channel only.
    authorisation = listings.live_authorisations(db.session.get(Organisation, world.pcn_a.id))[0]
    response = _post(client, world, f"authorisations/{authorisation.id}/revoke")
    assert response.status_code == 302
    db.session.expire_all()
    assert not permissions.can_see_channel(member, world.area, NeedChannel.PCN)
    client.post("/accounts/logout", data={"csrf_token": fetch_csrf_token(client, world.url())})
    login(member)
    assert client.get(world.url("pcn/")).status_code == 404
    assert client.get(world.url(str(need.id))).status_code == 404


def test_an_authorisation_lapses_when_the_practice_leaves_the_pcn(world):
    member, dual = world.people["practice_member"], world.people["dual"]
    services.authorise_pcn_member(dual, db.session.get(Organisation, world.pcn_a.id), member)
    db.session.commit()
    assert permissions.authorised_pcn_ids(member, world.area) == {world.pcn_a.id}
    membership = db.session.scalar(
        sa.select(PcnMembership).where(PcnMembership.practice_id == world.practice_1.id)
    )
    membership.valid_to = membership.valid_from
    db.session.commit()
    db.session.expire_all()
    assert permissions.authorised_pcn_ids(member, world.area) == frozenset()


def test_authorisation_is_refused_outside_the_pcn_and_for_non_directors(world):
    dual, cd = world.people["dual"], world.people["pcn_clinical_director"]
    pcn_a = db.session.get(Organisation, world.pcn_a.id)
    with pytest.raises(DomainError, match="not a GP partner or practice manager"):
        services.authorise_pcn_member(dual, pcn_a, world.people["federation_director"])
    with pytest.raises(NotPermitted):
        services.authorise_pcn_member(cd, pcn_a, world.people["practice_member"])
    services.authorise_pcn_member(dual, pcn_a, world.people["practice_member"])
    with pytest.raises(Conflict, match="already speak"):
        services.authorise_pcn_member(dual, pcn_a, world.people["practice_member"])
    db.session.rollback()


def test_the_export_cannot_smuggle_a_spreadsheet_formula(client, login, world):
    raise_practice_need(
        world.people["practice_member"],
        world.practice_1,
        title='=HYPERLINK("http://evil.example","x")',
        description_markdown="+SUM(A1:A2)",
    )
    login(world.people["lmc_officer"])
    body = client.get(world.url("practice/export.csv")).get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body)))
    row = next(row for row in rows if "HYPERLINK" in row["Title"])
    assert row["Title"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["Description"] == "'+SUM(A1:A2)"
    assert spreadsheet_safe("-1") == "'-1"
    assert spreadsheet_safe("@cmd") == "'@cmd"
    assert spreadsheet_safe(42) == 42


def test_the_lmc_overview_shows_the_two_channels_apart(client, login, world):
    login(world.people["lmc_officer"])
    html = client.get(world.url("overview")).get_data(as_text=True)
    assert 'id="dashboard-practice"' in html
    assert 'id="dashboard-pcn"' in html
    assert html.count("<h1") == 1
    dashboards = {
        channel: listings.dashboard(world.people["lmc_officer"], world.area, channel)
        for channel in NeedChannel
    }
    assert dashboards[NeedChannel.PRACTICE].total.needs == 2
    assert dashboards[NeedChannel.PCN].total.needs == 1
    # Bravo PCN covers Meadow's 4,000 patients; Riverside raised both practice needs.
    assert dashboards[NeedChannel.PCN].total.totals.patients == 4000
    assert dashboards[NeedChannel.PRACTICE].total.totals.organisations == 1
    assert dashboards[NeedChannel.PRACTICE].total.totals.patients == 10000


def test_support_rows_are_unique_per_organisation_in_the_database(world):
    need = _reload(Need, world.open_need.id)
    for _ in range(2):
        db.session.add(
            NeedSupport(
                need_id=need.id,
                organisation_id=world.practice_2.id,
                user_id=world.people["other_practice_member"].id,
            )
        )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
