"""Read-only questions other parts of the portal ask about statements: the public front
door's latest statements of every area. Only what anyone may read is returned."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from portal.extensions import db
from portal.organisations.models import Area
from portal.statements import services
from portal.statements.models import Statement, StatementState

ANYONE = AnonymousUserMixin()


@dataclass(frozen=True)
class AreaStatements:
    area: Area
    statements: list[Statement]
    total: int


def latest_public(per_area: int) -> list[AreaStatements]:
    """Every area with a public statement in force, its ``per_area`` latest, by area name."""
    found = []
    for area in services.areas_with_statements(ANYONE):
        query = services.search(ANYONE, services.Filters(area_slug=area.slug))
        in_force = query.where(Statement.state == StatementState.PUBLISHED)
        statements = list(db.session.execute(in_force.limit(per_area)).scalars())
        if statements:
            total = db.session.scalar(sa.select(sa.func.count()).select_from(in_force.subquery()))
            found.append(AreaStatements(area, statements, total or 0))
    return found


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
