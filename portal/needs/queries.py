"""Read-only questions other parts of the portal ask about needs (the home page's list of
what needs a person). Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute

from portal.accounts.models import User
from portal.extensions import db
from portal.needs.listings import find_needs
from portal.needs.models import Need, NeedComment, NeedStatusChange, NeedSupport
from portal.needs.permissions import visible_channels, visible_needs_query
from portal.organisations.models import Area


@dataclass(frozen=True)
class NeedNews:
    need: Need
    comments: int
    supports: int
    status_changes: int

    @property
    def summary(self) -> str:
        parts = []
        for count, one, many in (
            (self.status_changes, "its status changed", "its status changed {n} times"),
            (self.comments, "1 new comment", "{n} new comments"),
            (self.supports, "1 more organisation supports it", "{n} more organisations support it"),
        ):
            if count:
                parts.append(one if count == 1 else many.format(n=count))
        return ", ".join(parts)


def needs_with_news(user: User, area: Area, since: datetime) -> list[NeedNews]:
    """Needs raised for or supported by the person's organisations that others have changed,
    commented on or supported since ``since``, the most changed first."""
    own_ids = [m.organisation_id for m in user.memberships if m.organisation.area_id == area.id]
    if not own_ids:
        return []
    supported = sa.select(NeedSupport.need_id).where(NeedSupport.organisation_id.in_(own_ids))
    news = []
    for channel in visible_channels(user, area):
        needs = db.session.execute(
            visible_needs_query(user, area, channel).where(
                Need.merged_into_id.is_(None),
                sa.or_(Need.organisation_id.in_(own_ids), Need.id.in_(supported)),
            )
        ).scalars()
        for need in needs:
            item = NeedNews(
                need,
                _count(NeedComment, NeedComment.author_id, need, since, user),
                _count(NeedSupport, NeedSupport.user_id, need, since, user),
                _count(NeedStatusChange, NeedStatusChange.changed_by_id, need, since, user),
            )
            if item.summary:
                news.append(item)
    return sorted(news, key=lambda item: -(item.comments + item.supports + item.status_changes))


def _count(
    model: Any, by_column: InstrumentedAttribute[int], need: Need, since: datetime, user: User
) -> int:
    when = model.changed_at if model is NeedStatusChange else model.created_at
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(model)
            .where(model.need_id == need.id, when > since, by_column != user.id)
        )
        or 0
    )


def search_needs(user: User, area: Area, text: str, limit: int) -> list[Need]:
    """Needs the user may see in either channel matching ``text``, newest first."""
    found = [
        need
        for channel in visible_channels(user, area)
        for need in find_needs(user, area, channel, search=text)
    ]
    found.sort(key=lambda need: (need.created_at, need.id), reverse=True)
    return found[:limit]
