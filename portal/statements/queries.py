"""Read-only questions other parts of the portal ask about statements: the public front
door's latest statements of every area. Only what anyone may read is returned."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_login import AnonymousUserMixin
from sqlalchemy.orm import aliased

from portal.extensions import db
from portal.organisations.models import Area
from portal.statements import permissions, services
from portal.statements.models import Statement, StatementState

ANYONE = AnonymousUserMixin()


@dataclass(frozen=True)
class AreaStatements:
    area: Area
    statements: list[Statement]
    total: int


def latest_public(per_area: int) -> list[AreaStatements]:
    """Every area with a public statement in force, its ``per_area`` latest, by area name.

    Three queries however many areas: the areas, each area's latest (ranked in the database)
    and each area's count."""
    areas = services.areas_with_statements(ANYONE)
    in_force = services.search(ANYONE, services.Filters()).where(
        Statement.state == StatementState.PUBLISHED
    )
    rank = (
        sa.func.row_number()
        .over(
            partition_by=Statement.area_id,
            order_by=(Statement.published_at.desc(), Statement.id.desc()),
        )
        .label("rank")
    )
    ranked = in_force.add_columns(rank).order_by(None).subquery()
    latest = aliased(Statement, ranked)
    rows = db.session.execute(
        sa.select(latest)
        .where(ranked.c.rank <= per_area)
        .order_by(latest.published_at.desc(), latest.id.desc())
    ).scalars()
    by_area: dict[int, list[Statement]] = {}
    for statement in rows:
        by_area.setdefault(statement.area_id, []).append(statement)
    counted = db.session.execute(
        sa.select(Statement.area_id, sa.func.count())
        .where(Statement.id.in_(in_force.with_only_columns(Statement.id).order_by(None)))
        .group_by(Statement.area_id)
    )
    totals: dict[int, int] = dict(counted.all())
    return [
        AreaStatements(area, by_area[area.id], totals.get(area.id, 0))
        for area in areas
        if area.id in by_area
    ]


def public_statements_of(area_slug: str) -> AreaStatements | None:
    """All of an area's public statements, newest first, or None when it has none (so the
    page does not tell a visitor whether an area without public statements exists)."""
    area = next((a for a in services.areas_with_statements(ANYONE) if a.slug == area_slug), None)
    if area is None:
        return None
    query = services.search(ANYONE, services.Filters(area_slug=area.slug))
    statements = list(db.session.execute(query).scalars())
    return AreaStatements(area, statements, len(statements))


def search_statements(user: Any, area: Area, text: str, limit: int) -> list[Statement]:
    """Statements of ``area`` the user may read with ``text`` in the title or text."""
    query = services.search(user, services.Filters(text=text, area_slug=area.slug))
    return list(db.session.execute(query.limit(limit)).scalars())


def readable_statement_of_election(election_id: int, user: Any) -> Statement | None:
    """The statement an election's result was published as, if ``user`` may read it."""
    return db.session.execute(
        sa.select(Statement).where(Statement.election_id == election_id, services.readable(user))
    ).scalar_one_or_none()


def readable_statement_of_position(position_id: int, user: Any) -> Statement | None:
    """The latest statement a position became, if ``user`` may read it."""
    statement = db.session.execute(
        sa.select(Statement)
        .where(Statement.position_id == position_id)
        .order_by(Statement.published_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if statement is None or not permissions.can_read_statement(user, statement):
        return None
    return statement
