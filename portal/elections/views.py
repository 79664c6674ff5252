"""Elections: list, set-up, nominations, the ranked ballot, the count and the results.

One blueprint (``portal.elections.blueprint``) holds every page, so each keeps its address and
endpoint name; the modules below register theirs on it, one job each:

- ``election_views``: the list, setting an election up, an election's page;
- ``nomination_views``: nominate, second, accept, withdraw;
- ``management_views``: officers name scrutineers, move the dates, close nominations and
  start the count;
- ``ballot_views``: rank, check, confirm, the receipt, checking a receipt code;
- ``results_views``: the results, publishing them as a statement, the ballots file;
- ``scrutiny_views``: a secret election's scrutineers set a passphrase and open its ballots.

Views are thin: load the election (404 when the user may not see it), authorise (403 for what
the user may see but not do), validate the form and call one service. No GET changes
anything: nominations close and counts run from ``flask --app wsgi close-due-elections`` or
an officer's POST once the time has passed.
"""

from __future__ import annotations

# Each page module registers its routes on the blueprint as it is imported.
from portal.elections import (  # noqa: F401
    ballot_views,
    election_views,
    management_views,
    nomination_views,
    results_views,
    scrutiny_views,
)
from portal.elections.blueprint import blueprint

__all__ = ["blueprint"]
