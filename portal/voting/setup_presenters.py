"""What the set-up's "check your answers" page shows about the vote it is about to save.

Nothing here writes: the rules as they would be counted (or why they do not fit together), how
the vote would be decided in plain words, the timing warnings, and whose ballot the record or
the figures would likely expose.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.organisations.models import Area
from portal.voting import explain, setup, setup_check
from portal.voting import rules as counting
from portal.voting.services import VoteDetails
from portal.voting.setup_forms import KIND_LABELS, VoteForm


def check_page(area: Area, form: VoteForm, now: datetime) -> dict[str, Any]:
    """The page's figures for the answers in ``form`` (already validated); ``details`` is what
    saving the draft would save, ``problem`` why it cannot be, if so."""
    details = form.details()
    problem = None
    try:
        rules = counting.parse_rules(details.rules, details.kind.value)
    except counting.RecordError as error:
        rules, problem = None, f"The rules do not fit together: {error}"
    exposure = setup_check.for_details(area, details)
    return {
        "details": details,
        "how_decided": _how_decided(rules, details) if rules is not None else [],
        "problem": problem,
        "warnings": setup.timing_warnings(details.opens_at, details.closes_at, now),
        "identifying": exposure is not None,
        "exposure": exposure,
        "pages": setup.PAGES,
        "proposal_words": next(
            (c.label for c in form.proposal.choices if c.value == (form.proposal.data or "")),
            "No ICS proposal",
        ),
        "who_words": ", ".join(KIND_LABELS[kind] for kind in details.voting_kinds)
        + (f" (practices in {', '.join(details.pcn_codes)} only)" if details.pcn_codes else ""),
    }


def _how_decided(rules: counting.Rules, details: VoteDetails) -> list[tuple[str, str]]:
    return explain.how_decided(
        rules,
        explain.Setting(
            kind=details.kind.value,
            voting_kinds=list(details.voting_kinds),
            secret=details.secrecy.value == "secret",
            pcn_codes=details.pcn_codes,
        ),
    )
