"""Raising needs through the form, and every refused post writing nothing: an organisation the
person does not belong to, the other channel, a closed need, a missing CSRF token, an action on
a need the person can see but may not take (403) or cannot see (404)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.errors import DomainError, NotPermitted
from portal.extensions import db
from portal.needs import services
from portal.needs.models import Need, NeedCategory, NeedChannel, NeedStatus, NeedUrgency
from tests.conftest import fetch_csrf_token
from tests.needs.conftest import raise_pcn_need, row_counts


def _form(world, organisation, **overrides):
    data = {
        "organisation": str(organisation.id),
        "title": "Leaking roof in the treatment room",
        "description": "Buckets *everywhere*.",
        "category": NeedCategory.ESTATES.value,
        "urgency": NeedUrgency.URGENT.value,
    }
    data.update(overrides)
    return data


def test_a_practice_member_raises_a_practice_need(client, login, world):
    login(world.people["practice_member"])
    url = world.url("practice/new")
    page = client.get(url).get_data(as_text=True)
    assert "Riverside Surgery" in page
    assert "Hillside Practice" not in page
    response = client.post(
        url, data={**_form(world, world.practice_1), "csrf_token": fetch_csrf_token(client, url)}
    )
    assert response.status_code == 302
    need = db.session.scalar(sa.select(Need).where(Need.title.startswith("Leaking roof")))
    assert need.organisation_id == world.practice_1.id
    assert need.channel is NeedChannel.PRACTICE
    assert need.lmc_only is False
    assert need.raised_by_id == world.people["practice_member"].id
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Need {need.id} raised for Riverside Surgery." in html
    assert "<em>everywhere</em>" in html


def test_raising_for_an_organisation_one_does_not_belong_to_is_refused(client, login, world):
    login(world.people["practice_member"])
    url = world.url("practice/new")
    before = row_counts()
    response = client.post(
        url, data={**_form(world, world.practice_2), "csrf_token": fetch_csrf_token(client, url)}
    )
    assert response.status_code == 200
    assert "You can only raise a need for an organisation you speak for" in response.get_data(
        as_text=True
    )
    assert row_counts() == before


def test_raising_in_the_other_channel_is_refused(client, login, world):
    """The dual-role person may speak for Alpha PCN, but not in the practice channel; a
    practice member cannot reach the PCN channel at all."""
    login(world.people["dual"])
    url = world.url("practice/new")
    before = row_counts()
    response = client.post(
        url,
        data={
            **_form(world, world.pcn_a, category=NeedCategory.ARRS_WORKFORCE.value),
            "csrf_token": fetch_csrf_token(client, url),
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "You can only raise a need for an organisation you speak for" in html
    assert row_counts() == before
    # A PCN category in the practice channel is refused too.
    response = client.post(
        url,
        data={
            **_form(world, world.practice_2, category=NeedCategory.ARRS_WORKFORCE.value),
            "csrf_token": fetch_csrf_token(client, url),
        },
    )
    assert response.status_code == 200
    assert row_counts() == before

    client.post("/accounts/logout", data={"csrf_token": fetch_csrf_token(client, world.url())})
    login(world.people["practice_member"])
    pcn_url = world.url("pcn/new")
    assert client.get(pcn_url).status_code == 404
    response = client.post(
        pcn_url,
        data={
            **_form(world, world.pcn_a, category=NeedCategory.ARRS_WORKFORCE.value),
            "csrf_token": fetch_csrf_token(client, world.url("practice/new")),
        },
    )
    assert response.status_code == 404
    assert row_counts() == before


def test_people_who_see_a_channel_but_speak_for_nobody_in_it_get_403(client, login, world):
    for viewer, channel in (("lmc_officer", "practice"), ("federation_director", "pcn")):
        login(world.people[viewer])
        assert client.get(world.url(f"{channel}/new")).status_code == 403
        client.post("/accounts/logout", data={"csrf_token": fetch_csrf_token(client, world.url())})


def test_services_refuse_the_wrong_organisation_channel_and_category(world):
    member, cd = world.people["practice_member"], world.people["pcn_clinical_director"]
    before = row_counts()
    fields = {
        "title": "T",
        "description_markdown": "D",
        "category": NeedCategory.OTHER,
        "urgency": NeedUrgency.ROUTINE,
    }
    with pytest.raises(NotPermitted):
        services.raise_need(member, world.practice_2, NeedChannel.PRACTICE, **fields)
    with pytest.raises(DomainError, match="practice needs are for a gp practice only"):
        services.raise_need(cd, world.pcn_b, NeedChannel.PRACTICE, **fields)
    with pytest.raises(DomainError, match="pcn needs are for a primary care network only"):
        services.raise_need(member, world.practice_1, NeedChannel.PCN, **fields)
    with pytest.raises(DomainError, match="categories"):
        services.raise_need(
            cd, world.pcn_b, NeedChannel.PCN, **{**fields, "category": NeedCategory.PRESCRIBING}
        )
    with pytest.raises(DomainError, match="Only a practice need"):
        services.raise_need(cd, world.pcn_b, NeedChannel.PCN, **fields, lmc_only=True)
    with pytest.raises(DomainError, match="Enter a title"):
        services.raise_need(
            member, world.practice_1, NeedChannel.PRACTICE, **{**fields, "title": "  "}
        )
    db.session.rollback()
    assert row_counts() == before


@pytest.mark.parametrize(
    ("channel", "category", "lmc_only"),
    [
        (NeedChannel.PCN, NeedCategory.WORKFORCE, False),
        (NeedChannel.PRACTICE, NeedCategory.ARRS_WORKFORCE, False),
        (NeedChannel.PCN, NeedCategory.ARRS_WORKFORCE, True),
    ],
)
def test_the_database_refuses_a_category_or_flag_outside_the_channel(
    world, channel, category, lmc_only
):
    need = db.session.get(Need, world.pcn_need.id)
    db.session.add(
        Need(
            area_id=world.area.id,
            channel=channel,
            organisation_id=need.organisation_id,
            raised_by_id=need.raised_by_id,
            title="Direct insert",
            description_markdown="x",
            category=category,
            urgency=NeedUrgency.ROUTINE,
            lmc_only=lmc_only,
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_database_refuses_declined_without_a_reason(world):
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.update(Need).where(Need.id == world.open_need.id).values(status=NeedStatus.DECLINED)
        )
    db.session.rollback()


def _close(world, need, status=NeedStatus.RESOLVED):
    services.change_status(
        world.people["lmc_officer"], db.session.get(Need, need.id), status, "Done"
    )
    db.session.commit()


def test_support_and_comments_after_a_need_is_closed_are_refused(client, login, world):
    _close(world, world.open_need)
    login(world.people["other_practice_member"])
    detail = world.url(str(world.open_need.id))
    token = fetch_csrf_token(client, world.url())
    before = row_counts()

    response = client.post(
        world.url(f"{world.open_need.id}/supports/{world.practice_2.id}"),
        data={"csrf_token": token},
    )
    assert response.status_code == 302
    assert "is resolved: it takes no more support or comments" in client.get(detail).get_data(
        as_text=True
    )
    response = client.post(
        world.url(f"{world.open_need.id}/comments"),
        data={"csrf_token": token, "organisation": str(world.practice_2.id), "body": "Late"},
    )
    assert response.status_code == 302
    assert row_counts() == before
    html = client.get(detail).get_data(as_text=True)
    assert "This need is resolved" in html
    assert "Add support from" not in html
    assert "Add comment" not in html


def test_a_declined_need_takes_no_comment_even_from_its_own_practice(world):
    _close(world, world.open_need, NeedStatus.DECLINED)
    before = row_counts()
    with pytest.raises(services.NeedClosed):
        services.comment(
            world.people["practice_member"],
            db.session.get(Need, world.open_need.id),
            world.practice_1,
            "But why?",
        )
    db.session.rollback()
    assert row_counts() == before


def test_a_button_post_without_csrf_token_is_refused(client, login, world):
    login(world.people["other_practice_member"])
    before = row_counts()
    response = client.post(world.url(f"{world.open_need.id}/supports/{world.practice_2.id}"))
    assert response.status_code == 400
    assert row_counts() == before


def test_actions_on_a_visible_need_one_may_not_take_are_403(client, login, world):
    token = None
    cases = [
        # (viewer, need, path, data)
        ("federation_director", world.pcn_need, f"supports/{world.pcn_a.id}", {}),
        ("federation_director", world.pcn_need, "comments", {"organisation": "1", "body": "x"}),
        ("practice_member", world.open_need, "status", {"status": "acknowledged"}),
        ("practice_member", world.open_need, "merge", {"kept": str(world.lmc_only_need.id)}),
        # Its own practice cannot support its own need twice over.
        ("practice_member", world.open_need, f"supports/{world.practice_1.id}", {}),
        # Nobody else may support an LMC only need, not even the LMC.
        ("lmc_officer", world.lmc_only_need, f"supports/{world.practice_2.id}", {}),
        # Speaking for an organisation of the other channel.
        ("dual", world.open_need, f"supports/{world.pcn_a.id}", {}),
        ("dual", world.pcn_need, f"supports/{world.practice_2.id}", {}),
    ]
    before = row_counts()
    for viewer, need, path, data in cases:
        login(world.people[viewer])
        token = fetch_csrf_token(client, world.url())
        response = client.post(world.url(f"{need.id}/{path}"), data={**data, "csrf_token": token})
        assert response.status_code == 403, (viewer, path)
        client.post("/accounts/logout", data={"csrf_token": token})
    assert row_counts() == before


def test_actions_on_a_need_one_cannot_see_are_404(client, login, world):
    before = row_counts()
    cases = [
        (
            "other_practice_member",
            world.lmc_only_need,
            "comments",
            {"organisation": "1", "body": "x"},
        ),
        ("other_practice_member", world.lmc_only_need, f"supports/{world.practice_2.id}", {}),
        ("pcn_clinical_director", world.open_need, f"supports/{world.pcn_b.id}", {}),
        ("federation_director", world.open_need, "comments", {"organisation": "1", "body": "x"}),
        ("outsider", world.open_need, "status", {"status": "declined", "reason": "no"}),
        ("ics_reader", world.pcn_need, "status", {"status": "acknowledged"}),
    ]
    for viewer, need, path, data in cases:
        login(world.people[viewer])
        token = fetch_csrf_token(client, "/accounts/profile")
        response = client.post(world.url(f"{need.id}/{path}"), data={**data, "csrf_token": token})
        assert response.status_code == 404, (viewer, path)
        client.post("/accounts/logout", data={"csrf_token": token})
    assert row_counts() == before


def test_a_need_of_another_area_is_404_under_this_area(client, login, world):
    from portal.accounts.models import Role
    from tests.factories import make_area, make_organisation, make_user

    other = make_area(slug="other", name="Other ICB")
    practice = make_organisation(other, ods_code="M70001")
    member = make_user(practice, Role.GP_PARTNER)
    from tests.needs.conftest import raise_practice_need

    foreign = raise_practice_need(member, practice)
    login(world.people["lmc_officer"])
    assert client.get(world.url(str(foreign.id))).status_code == 404


def test_pcn_need_raised_by_its_clinical_director(world):
    need = raise_pcn_need(world.people["dual"], world.pcn_a, title="Alpha PCN hub")
    assert need.organisation_id == world.pcn_a.id
    assert need.channel is NeedChannel.PCN
