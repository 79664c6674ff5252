"""What the accounts domain tells the others. Receivers run inside the request's transaction,
so anything they queue (email) goes only if it commits."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with the new ``membership`` and ``granted_by`` (the User who made the grant: the
# administrator, or whoever sent the invitation that was just accepted).
role_granted = _signals.signal("role-granted")

# Sent with the ``User`` as sender when the retention job removes a former member's personal
# data, before the address is replaced; keyword ``email``: the address it had. A receiver
# removes what its domain holds about that person (portal/accounts/anonymising.py).
member_anonymised = _signals.signal("member-anonymised")
