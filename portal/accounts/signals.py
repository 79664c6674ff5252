"""What the accounts domain tells the others. Receivers run inside the request's transaction,
so anything they queue (email) goes only if it commits."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with the new ``membership`` and ``granted_by`` (the User who made the grant: the
# administrator, or whoever sent the invitation that was just accepted).
role_granted = _signals.signal("role-granted")
