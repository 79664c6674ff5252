"""The email that tells the area's leadership group a public statement has been published.

Only a statement published at the ``public`` tier is emailed, with its reference and title:
anything of another tier carries no title or text in an email (the publication policy), and
its readers find it on the statements page. Each member chooses how they get these ("New
public statements"): at once, in a digest, or not at all.
"""

from __future__ import annotations

from portal.accounts.queries import group_members
from portal.email_kinds import Kind
from portal.mail import queue_email
from portal.organisations.models import Area
from portal.statements.models import Statement
from portal.tiers import Tier
from portal.urls import external_url


def tell_of_publication(statement: Statement, area: Area) -> int:
    """Email the group about a public statement; return how many were told."""
    if statement.tier is not Tier.PUBLIC:
        return 0
    link = external_url("statements.statement", reference=statement.reference)
    people = group_members(area)
    for person in people:
        queue_email(
            person.email,
            f"New public statement {statement.reference}: {statement.title}",
            f"Dear {person.name},\n\nThe group's statement {statement.reference}, "
            f"“{statement.title}”, has been published for everyone to read:\n{link}\n",
            kind=Kind.STATEMENTS,
            area=area,
        )
    return len(people)
