"""Signals the elections domain sends, inside the request's transaction, for other domains.

Each is sent with the election as its sender; a receiver that writes must write in the same
transaction (it is committed or rolled back with the election's change) and must not commit.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# kwargs: nomination, actor, reason
candidate_withdrawn = _signals.signal("election-candidate-withdrawn")
# kwargs: actor (None for the scheduled task); election.state says ballot, unopposed or none
nominations_closed = _signals.signal("election-nominations-closed")
# kwargs: actor (None for the scheduled task); the report is election.result
election_counted = _signals.signal("election-counted")
