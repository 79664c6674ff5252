"""ICS proposals, position drafts and their workflow.

One blueprint (``portal.positions.blueprint``) holds every page, so each keeps its address and
endpoint name; the modules below register theirs on it, one job each:

- ``proposal_views``: ICS proposals and their documents;
- ``draft_views``: drafts, their revisions and history, comments, the lead;
- ``amending_views``: proposing, accepting and rejecting amendments;
- ``workflow_views``: the consultation, the vote on a draft or an amendment, redrafting.

Views are thin: load or 404, authorise (403 for an action on something the user can read but
may not take), validate the form, call one service; on a ``DomainError`` throw the request's
changes away and show the message."""

from __future__ import annotations

# Each page module registers its routes on the blueprint as it is imported.
from portal.positions import amending_views, draft_views, proposal_views, workflow_views  # noqa: F401
from portal.positions.blueprint import blueprint

__all__ = ["blueprint"]
