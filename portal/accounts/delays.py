"""How long a sign-in must wait after failed attempts: a plain rule with no Flask in it.

The first few failures cost nothing; then each further one doubles the wait, up to a ceiling.
The wait applies only to browsers and addresses the account has not signed in from before, so
a flood of wrong passwords from elsewhere cannot keep the real person out.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

FREE_FAILURES = 3
FIRST_DELAY_SECONDS = 2
MAXIMUM_DELAY_SECONDS = 15 * 60


def delay_after(failures: int) -> timedelta:
    """The wait after ``failures`` consecutive failures."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_FAILURES, 20)
    return timedelta(seconds=min(FIRST_DELAY_SECONDS * 2**doublings, MAXIMUM_DELAY_SECONDS))


def seconds_to_wait(failures: int, last_failure_at: datetime | None, now: datetime) -> int:
    """Whole seconds before another attempt may be tried; 0 when it may be tried now."""
    if last_failure_at is None:
        return 0
    remaining = (last_failure_at + delay_after(failures) - now).total_seconds()
    return max(0, math.ceil(remaining))
