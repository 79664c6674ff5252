"""An area administrator's changes to the organisations of an area."""

from __future__ import annotations

from portal.accounts.models import User
from portal.audit.services import record
from portal.database import insert_or_conflict
from portal.errors import DomainError, NotPermitted
from portal.extensions import db
from portal.organisations.models import Area, Organisation, OrganisationKind
from portal.organisations.permissions import can_administer_area

HAND_MADE = frozenset({OrganisationKind.FEDERATION, OrganisationKind.LMC, OrganisationKind.ICS})


def add_organisation(
    actor: User,
    area: Area,
    *,
    kind: OrganisationKind,
    ods_code: str,
    name: str,
    postcode: str | None,
) -> Organisation:
    if not can_administer_area(actor, area):
        raise NotPermitted("Only an area administrator can add organisations")
    if kind not in HAND_MADE:
        raise DomainError("Practices and PCNs come from the NHS England files (import-nhs)")
    organisation = Organisation(
        area_id=area.id, kind=kind, ods_code=ods_code, name=name.strip(), postcode=postcode or None
    )
    insert_or_conflict(
        db.session,
        organisation,
        f"This area already has a {kind.label.lower()} with code {ods_code}",
    )
    record(
        "organisation.added",
        f"Added {kind.label.lower()} {organisation.name} ({ods_code})",
        actor=actor,
        area=area,
        subject=organisation,
        details={"kind": kind.value, "code": ods_code},
    )
    return organisation
