"""Setting up a vote as question pages, one topic a page, then "check your answers".

The pages ask, in turn: what the vote is and why; who votes and with what weight; how it is
decided; when; and how secret the ballot is. Each page checks only its own answers, all at
once, each error on its field and in plain words (never the ballot record's terms). What has
been answered is kept in the session until the check page saves the vote as a draft.

The answers are the fields of ``VoteForm``, so a vote set up here has exactly the defaults,
the checks and the rules of one set up on the single form. No database here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from portal.figures import percent
from portal.voting.setup_forms import VoteForm, typed_fraction

SHORT_WINDOW = timedelta(hours=48)
LIST_FIELDS = frozenset({"voting_kinds", "pcn_codes"})


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    fields: tuple[str, ...]


PAGES: tuple[Page, ...] = (
    Page(
        "about",
        "What members vote on, and why",
        ("title", "question", "body_markdown", "proposal", "kind", "options"),
    ),
    Page(
        "who",
        "Who votes, and with what weight",
        (
            "voting_kinds",
            "pcn_codes",
            "scheme",
            "band",
            "equal_part",
            "basis",
            "block_practice",
            "block_pcn",
            "block_federation",
            "block_lmc",
        ),
    ),
    Page(
        "decided",
        "How the vote is decided",
        (
            "cap",
            "quorum_members",
            "quorum_weight",
            "motion_threshold",
            "supermajority",
            "tie",
            "choice_threshold",
        ),
    ),
    Page(
        "when",
        "When the vote opens and closes",
        (
            "opens_day",
            "opens_month",
            "opens_year",
            "opens_time",
            "closes_day",
            "closes_month",
            "closes_year",
            "closes_time",
        ),
    ),
    Page("secrecy", "How secret the ballot is", ("secrecy", "scrutineers")),
)
PAGE_BY_SLUG = {page.slug: page for page in PAGES}


def next_page(slug: str) -> str | None:
    """The page after ``slug``, or None after the last (then: check your answers)."""
    index = [page.slug for page in PAGES].index(slug)
    return PAGES[index + 1].slug if index + 1 < len(PAGES) else None


def answers_from(formdata: Mapping[str, Any], page: Page) -> dict[str, Any]:
    """This page's answers from a submitted form (lists for the checkboxes)."""
    getlist = getattr(formdata, "getlist", None)
    answers: dict[str, Any] = {}
    for name in page.fields:
        if name in LIST_FIELDS:
            answers[name] = list(getlist(name)) if getlist else list(formdata.get(name) or [])
        else:
            answers[name] = formdata.get(name, "")
    return answers


def _percent_of(text: str | None) -> Fraction | None:
    value = typed_fraction(text)
    return None if value is None else value / 100


def plain_rule_errors(answers: Mapping[str, Any], voting_organisations: int) -> dict[str, str]:
    """What the rules' own parser would refuse, said in plain words on the field it is about.

    ``voting_organisations``: how many organisations of the chosen kinds there are now, so the
    cap can be checked against the smallest share every organisation must be able to hold.
    """
    errors: dict[str, str] = {}
    cap = _percent_of(answers.get("cap"))
    if answers.get("cap") and cap is not None:
        low = Fraction(1, voting_organisations) if voting_organisations else None
        if cap <= 0 or cap > 1 or (low is not None and cap < low):
            message = "The cap must be more than 0 % and at most 100 %"
            if low is not None:
                message += (
                    f", and at least 1/{voting_organisations} ({percent(low)}) for "
                    f"{voting_organisations} voting organisations, or their shares cannot "
                    "add up to the whole"
                )
            errors["cap"] = message
    for name, what in (
        ("quorum_members", "share of organisations that must vote"),
        ("quorum_weight", "share of the weight that must vote"),
        ("equal_part", "equal part"),
    ):
        value = _percent_of(answers.get(name))
        if answers.get(name) and value is not None and not 0 <= value <= 1:
            errors[name] = f"The {what} must be from 0 % to 100 %"
    if answers.get("motion_threshold") == "supermajority" and answers.get("kind") == "motion":
        fraction = typed_fraction(answers.get("supermajority"))
        if fraction is not None and not Fraction(1, 2) < fraction <= 1:
            errors["supermajority"] = (
                "The fraction needed for a supermajority must be more than 1/2 and at most 1, "
                "like 2/3"
            )
    blocks = {
        kind: typed_fraction(answers.get(f"block_{kind}"))
        for kind in ("practice", "pcn", "federation", "lmc")
        if answers.get(f"block_{kind}")
    }
    if blocks and all(value is not None for value in blocks.values()):
        total = sum((value for value in blocks.values() if value is not None), Fraction(0))
        voting = set(answers.get("voting_kinds") or [])
        if total != 1:
            errors["block_practice"] = (
                f"The blocks must add up to 1: they add up to {total.numerator}/{total.denominator}"
            )
        elif voting - set(blocks):
            errors["block_practice"] = (
                "Every kind of organisation that votes needs a block, or leave them all empty"
            )
    return errors


def formdata(answers: Mapping[str, Any]) -> MultiDict[str, str]:
    """The answers as a submitted form would carry them."""
    data: MultiDict[str, str] = MultiDict()
    for name, value in answers.items():
        for item in value if isinstance(value, list) else [value]:
            data.add(name, "" if item is None else str(item))
    return data


def filled_form(
    answers: Mapping[str, Any],
    pcn_choices: Sequence[Any] = (),
    proposal_choices: Sequence[Any] = (),
) -> VoteForm:
    """``VoteForm`` holding the answers (no CSRF: the page's own form carries it), with the
    area's networks and ICS proposals to choose from."""
    form = VoteForm(formdata=formdata(answers), meta={"csrf": False})
    chosen = [SelectChoice(code, code) for code in answers.get("pcn_codes") or []]
    form.pcn_codes.choices = list(pcn_choices) or chosen
    if proposal_choices:
        form.proposal.choices = list(proposal_choices)
    return form


def page_errors(
    answers: Mapping[str, Any],
    page: Page,
    voting_organisations: int,
    pcn_choices: Sequence[Any] = (),
    proposal_choices: Sequence[Any] = (),
) -> dict[str, list[str]]:
    """Every error of ``page``, by field, given all the answers so far and this page's."""
    form = filled_form(answers, pcn_choices, proposal_choices)
    form.validate()
    errors = {
        name: list(form[name].errors) for name in page.fields if name in form and form[name].errors
    }
    for name, message in plain_rule_errors(answers, voting_organisations).items():
        if name in page.fields and name not in errors:
            errors[name] = [message]
    return errors


def timing_warnings(
    opens_at: datetime | None, closes_at: datetime | None, now: datetime
) -> list[str]:
    """What the officer should see twice before choosing these times."""
    warnings = []
    if opens_at is not None and opens_at < now:
        warnings.append(
            "The opening time is in the past: the vote will open as soon as you open it, "
            "and its page will give the time it actually opened"
        )
    if (
        opens_at is not None
        and closes_at is not None
        and closes_at - max(opens_at, now) < SHORT_WINDOW
    ):
        warnings.append(
            "The vote would be open for less than 48 hours: some practices may not see it in "
            "time to vote"
        )
    return warnings


def answered(pages_done: Sequence[str]) -> bool:
    return all(page.slug in pages_done for page in PAGES)
