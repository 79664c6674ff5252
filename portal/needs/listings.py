"""What the needs' own pages read: the list and its search, the needs behind a draft, support
totals in organisations and patients, the LMC's dashboard and its CSV, candidates for a merge,
and the PCN members who may raise needs for it. Nothing here writes; ``services`` holds every
change."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from portal.accounts.models import User
from portal.extensions import db
from portal.needs import permissions
from portal.needs.models import (
    CLOSED_STATUSES,
    Need,
    NeedCategory,
    NeedChannel,
    NeedStatus,
    NeedSupport,
    PcnNeedAuthorisation,
)
from portal.needs.permissions import Viewer
from portal.organisations.models import Area, Organisation, OrganisationKind, PcnMembership
from portal.positions.models import Position
from portal.spreadsheets import spreadsheet_safe

SEARCH_MAX_LENGTH = 100


def needs_behind(user: Viewer, position: Position) -> list[Need]:
    """The needs linked to a draft that ``user`` may see, both channels, never merged ones."""
    found: list[Need] = []
    for channel in permissions.visible_channels(user, position.area):
        query = permissions.visible_needs_query(user, position.area, channel).where(
            Need.position_id == position.id, Need.merged_into_id.is_(None)
        )
        found.extend(db.session.execute(query).scalars())
    return sorted(found, key=lambda need: need.id)


def find_needs(
    user: Viewer,
    area: Area,
    channel: NeedChannel,
    *,
    search: str = "",
    category: NeedCategory | None = None,
    status: NeedStatus | None = None,
) -> list[Need]:
    """The list and search: visible, not merged, newest first."""
    query = permissions.visible_needs_query(user, area, channel).where(
        Need.merged_into_id.is_(None)
    )
    search = search.strip()[:SEARCH_MAX_LENGTH]
    if search:
        raiser = aliased(Organisation)
        query = query.join(raiser, raiser.id == Need.organisation_id).where(
            sa.or_(
                Need.title.icontains(search, autoescape=True),
                Need.description_markdown.icontains(search, autoescape=True),
                raiser.name.icontains(search, autoescape=True),
                raiser.ods_code.istartswith(search, autoescape=True),
            )
        )
    if category is not None:
        query = query.where(Need.category == category)
    if status is not None:
        query = query.where(Need.status == status)
    query = query.options(joinedload(Need.organisation)).order_by(
        Need.created_at.desc(), Need.id.desc()
    )
    return list(db.session.scalars(query))


def organisation_patients(organisation_ids: Iterable[int]) -> dict[int, int | None]:
    """Registered patients of each organisation now: a practice's current list size, a PCN's
    the sum of those of the open practices currently in it; ``None`` when none is known."""
    ids = set(organisation_ids)
    if not ids:
        return {}
    patients: dict[int, int | None] = {}
    pcn_ids = []
    for organisation_id, kind, list_size in db.session.execute(
        sa.select(Organisation.id, Organisation.kind, Organisation.list_size).where(
            Organisation.id.in_(ids)
        )
    ):
        if kind is OrganisationKind.PCN:
            pcn_ids.append(organisation_id)
            patients[organisation_id] = None
        else:
            patients[organisation_id] = list_size
    if pcn_ids:
        practice = aliased(Organisation)
        for pcn_id, total in db.session.execute(
            sa.select(PcnMembership.pcn_id, sa.func.sum(practice.list_size))
            .join(practice, practice.id == PcnMembership.practice_id)
            .where(
                PcnMembership.pcn_id.in_(pcn_ids),
                PcnMembership.valid_to.is_(None),
                practice.closed_on.is_(None),
            )
            .group_by(PcnMembership.pcn_id)
        ):
            patients[pcn_id] = int(total) if total is not None else None
    return patients


@dataclass(frozen=True, slots=True)
class SupportTotals:
    """The organisations a need speaks for (the raising one and its supporters) and the
    registered patients they cover at their current list sizes."""

    organisations: int
    patients: int
    organisations_without_list_size: int

    @classmethod
    def of(cls, organisation_ids: Iterable[int], patients: dict[int, int | None]) -> SupportTotals:
        ids = set(organisation_ids)
        sizes = [patients.get(organisation_id) for organisation_id in ids]
        return cls(
            organisations=len(ids),
            patients=sum(size for size in sizes if size is not None),
            organisations_without_list_size=sum(1 for size in sizes if size is None),
        )


def speaking_organisation_ids(needs: Sequence[Need]) -> dict[int, list[int]]:
    """For each need, its raising organisation followed by its supporters."""
    result = {need.id: [need.organisation_id] for need in needs}
    if not result:
        return result
    for need_id, organisation_id in db.session.execute(
        sa.select(NeedSupport.need_id, NeedSupport.organisation_id)
        .where(NeedSupport.need_id.in_(list(result)))
        .order_by(NeedSupport.created_at, NeedSupport.id)
    ):
        result[need_id].append(organisation_id)
    return result


def support_totals(needs: Sequence[Need]) -> dict[int, SupportTotals]:
    speaking = speaking_organisation_ids(needs)
    patients = organisation_patients({org for ids in speaking.values() for org in ids})
    return {need_id: SupportTotals.of(ids, patients) for need_id, ids in speaking.items()}


@dataclass(frozen=True, slots=True)
class DashboardRow:
    label: str
    by_status: dict[NeedStatus, int]
    needs: int
    totals: SupportTotals

    @property
    def closed(self) -> int:
        return sum(self.by_status[status] for status in CLOSED_STATUSES)

    @property
    def open(self) -> int:
        return self.needs - self.closed


@dataclass(frozen=True, slots=True)
class Dashboard:
    channel: NeedChannel
    rows: list[DashboardRow]
    total: DashboardRow
    statuses: tuple[NeedStatus, ...] = tuple(NeedStatus)


def dashboard(user: Viewer, area: Area, channel: NeedChannel) -> Dashboard:
    """Counts by category and status of the needs ``user`` can see (merged ones left out, as
    they are counted in the need they were merged into), with the organisations and patients
    each category speaks for. An organisation is counted once however many needs it backs."""
    needs = find_needs(user, area, channel)
    speaking = speaking_organisation_ids(needs)
    patients = organisation_patients({org for ids in speaking.values() for org in ids})

    def row(label: str, selected: list[Need]) -> DashboardRow:
        by_status = dict.fromkeys(NeedStatus, 0)
        for need in selected:
            by_status[need.status] += 1
        organisations = {org for need in selected for org in speaking[need.id]}
        return DashboardRow(
            label, by_status, len(selected), SupportTotals.of(organisations, patients)
        )

    rows = [
        row(category.label, [need for need in needs if need.category is category])
        for category in channel.categories
    ]
    return Dashboard(channel=channel, rows=rows, total=row("All categories", needs))


CSV_HEADER = [
    "Need",
    "Title",
    "Category",
    "Urgency",
    "Status",
    "Status reason",
    "Raised for",
    "ODS code",
    "Raised by",
    "LMC only",
    "Raised on",
    "Organisations",
    "Registered patients",
    "Supporting organisations",
    "Description",
]


def export_csv(user: Viewer, area: Area, channel: NeedChannel) -> str:
    """The channel's needs that ``user`` can see, one row each, at current list sizes."""
    needs = find_needs(user, area, channel)
    speaking = speaking_organisation_ids(needs)
    all_ids = {org for ids in speaking.values() for org in ids}
    patients = organisation_patients(all_ids)
    names = dict(
        db.session.execute(
            sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(all_ids))
        ).all()
    )
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(CSV_HEADER)
    for need in needs:
        totals = SupportTotals.of(speaking[need.id], patients)
        supporters = "; ".join(names[org] for org in speaking[need.id][1:])
        cells = [
            need.id,
            need.title,
            need.category.label,
            need.urgency.label,
            need.status.label,
            need.status_reason or "",
            need.organisation.name,
            need.organisation.ods_code,
            need.raised_by.name,
            "Yes" if need.lmc_only else "No",
            need.created_at.date().isoformat(),
            totals.organisations,
            totals.patients,
            supporters,
            need.description_markdown,
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return output.getvalue()


def merge_candidates(user: Viewer, duplicate: Need) -> list[Need]:
    """Open needs of the same channel that ``duplicate`` could be merged into."""
    query = (
        permissions.visible_needs_query(user, duplicate.area, duplicate.channel)
        .where(
            Need.id != duplicate.id,
            Need.merged_into_id.is_(None),
            Need.status.not_in([NeedStatus.RESOLVED, NeedStatus.DECLINED]),
            Need.lmc_only.is_(duplicate.lmc_only),
        )
        .options(joinedload(Need.organisation))
        .order_by(Need.id.desc())
    )
    if duplicate.lmc_only:
        query = query.where(Need.organisation_id == duplicate.organisation_id)
    return list(db.session.scalars(query))


def merged_from(need: Need) -> list[Need]:
    return list(
        db.session.scalars(sa.select(Need).where(Need.merged_into_id == need.id).order_by(Need.id))
    )


def eligible_pcn_members(pcn: Organisation) -> list[User]:
    """GP partners and practice managers of the open practices currently in ``pcn``."""
    from portal.accounts.models import Membership

    practice = aliased(Organisation)
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .join(practice, practice.id == Membership.organisation_id)
            .join(PcnMembership, PcnMembership.practice_id == practice.id)
            .where(
                PcnMembership.pcn_id == pcn.id,
                PcnMembership.valid_to.is_(None),
                practice.closed_on.is_(None),
                Membership.role.in_(list(permissions.PRACTICE_MEMBER_ROLES)),
                User.active.is_(True),
            )
            .distinct()
            .order_by(User.name, User.id)
        )
    )


def live_authorisations(pcn: Organisation) -> list[PcnNeedAuthorisation]:
    return list(
        db.session.scalars(
            sa.select(PcnNeedAuthorisation)
            .where(PcnNeedAuthorisation.pcn_id == pcn.id, PcnNeedAuthorisation.revoked_at.is_(None))
            .options(joinedload(PcnNeedAuthorisation.user))
            .order_by(PcnNeedAuthorisation.created_at)
        )
    )
