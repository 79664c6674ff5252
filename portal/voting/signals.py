"""Events the voting domain sends, inside the transaction that causes them.

Other domains (positions, mandates, agreements, meetings) connect to these instead of reading
voting's tables or stored JSON. A receiver runs inside the sender's transaction: it may flush,
never commit, and its email goes through the outbox like any other.
"""

from blinker import Namespace

_signals = Namespace()

#: Sent with the counted ``Vote`` as sender; keyword ``result``: the exact ``rules.Result``.
vote_closed = _signals.signal("vote-closed")
#: Sent with the ``Vote`` as sender when an officer calls it off before it is counted.
vote_cancelled = _signals.signal("vote-cancelled")
#: Sent with the ``Vote`` as sender when it opens for ballots.
vote_opened = _signals.signal("vote-opened")
