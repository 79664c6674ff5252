"""The outbox page: an area's administrators see their own area's email (sent, waiting,
failed, with the reason and attempts), never its content; everyone else gets 404."""

from __future__ import annotations

import pytest

from portal.accounts.models import Role
from portal.database import utcnow
from portal.extensions import db
from portal.organisations.models import OrganisationKind
from portal.outbox import MAX_ATTEMPTS, OutboxMessage, OutboxState
from tests.factories import make_area, make_organisation, make_user

ROLE_HOMES = {
    Role.GP_PARTNER: OrganisationKind.PRACTICE,
    Role.SALARIED_GP: OrganisationKind.PRACTICE,
    Role.PRACTICE_MANAGER: OrganisationKind.PRACTICE,
    Role.PCN_CLINICAL_DIRECTOR: OrganisationKind.PCN,
    Role.FEDERATION_DIRECTOR: OrganisationKind.FEDERATION,
    Role.LMC_OFFICER: OrganisationKind.LMC,
    Role.ICS_READER: OrganisationKind.ICS,
    Role.AREA_ADMIN: OrganisationKind.LMC,
}
VIEWERS = [*ROLE_HOMES, "other_area_admin", "anonymous"]
PAGE = "/areas/staffs/admin/outbox/"
SECRET_BODY = "Your receipt code is RC-SECRET-123"


def _message(area, subject, state=OutboxState.WAITING, **values) -> OutboxMessage:
    message = OutboxMessage(
        message_id=f"<{subject.replace(' ', '-')}@test>",
        recipient="partner@example.nhs.uk",
        subject=subject,
        body=SECRET_BODY,
        state=state,
        area_id=area.id if area is not None else None,
        **values,
    )
    db.session.add(message)
    return message


@pytest.fixture
def outboxes(db):
    area = make_area(slug="staffs", name="Staffordshire Test ICB")
    organisations = {kind: make_organisation(area, kind) for kind in set(ROLE_HOMES.values())}
    users = {role: make_user(organisations[kind], role) for role, kind in ROLE_HOMES.items()}
    other_area = make_area(slug="elsewhere", name="Elsewhere ICB")
    users["other_area_admin"] = make_user(
        make_organisation(other_area, OrganisationKind.LMC), Role.AREA_ADMIN
    )
    _message(area, "Vote opened here", OutboxState.SENT, attempts=1, sent_at=utcnow())
    _message(
        area,
        "Reminder here",
        OutboxState.FAILED,
        attempts=MAX_ATTEMPTS,
        last_error="refused: (550, b'5.1.1 No such mailbox')",
    )
    _message(
        area,
        "Result here",
        attempts=2,
        last_error="could not reach the mail server: Connection refused",
    )
    _message(other_area, "Vote opened elsewhere")
    _message(None, "Reset your password")
    db.session.commit()
    return users


@pytest.mark.parametrize("viewer", VIEWERS, ids=lambda v: getattr(v, "value", v))
def test_only_the_areas_administrators_see_its_outbox(client, login, outboxes, viewer):
    if viewer != "anonymous":
        login(outboxes[viewer])

    response = client.get(PAGE)

    if viewer == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/accounts/login")
    elif viewer is Role.AREA_ADMIN:
        assert response.status_code == 200
    else:
        assert response.status_code == 404
        assert "Reminder here" not in response.get_data(as_text=True)


def test_the_administrator_sees_states_reasons_and_attempts_of_their_area_only(
    client, login, outboxes
):
    login(outboxes[Role.AREA_ADMIN])

    page = client.get(PAGE).get_data(as_text=True)

    for subject in ("Vote opened here", "Reminder here", "Result here"):
        assert subject in page
    assert "5.1.1 No such mailbox" in page
    assert "could not reach the mail server" in page
    assert f'aria-hidden="true">Attempts </span>{MAX_ATTEMPTS}</td>' in page
    assert "Vote opened elsewhere" not in page
    assert "Reset your password" not in page
    assert "RC-SECRET-123" not in page, "message bodies are never shown"
    assert "All (3)" in page

    failed = client.get(PAGE + "?state=failed").get_data(as_text=True)
    assert "Reminder here" in failed
    assert "Vote opened here" not in failed
    # An unknown filter is ignored, not an error.
    assert client.get(PAGE + "?state=nonsense").status_code == 200


def test_an_administrator_of_another_area_gets_404_for_this_one(client, login, outboxes):
    login(outboxes["other_area_admin"])
    assert client.get(PAGE).status_code == 404
    assert "Vote opened elsewhere" in client.get("/areas/elsewhere/admin/outbox/").get_data(
        as_text=True
    )
