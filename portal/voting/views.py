"""Weighted votes: the list, a vote's page, casting with a receipt, results and downloads.

One blueprint (``portal.voting.blueprint``) holds every page, so each keeps its address and
endpoint name; the modules below register theirs on it, one job each:

- ``vote_views``: the list, a vote's page, interests, proxies, declaring a conflict;
- ``management_views``: officers write, open and cancel a vote, and rule on conflicts;
- ``casting_views``: choose, check, confirm, the receipt;
- ``results_views``: results and the downloads of a counted vote.

Views are thin: load the vote (404 when the user may not see it), authorise (403 for what the
user may see but not do), validate the form and call one service."""

from __future__ import annotations

# Each page module registers its routes on the blueprint as it is imported.
from portal.voting import casting_views, management_views, results_views, vote_views  # noqa: F401
from portal.voting.blueprint import blueprint

# Checking a receipt needs no account and no area; the app registers it from here.
from portal.voting.receipts import receipts_blueprint

__all__ = ["blueprint", "receipts_blueprint"]
