"""The demo agreement: "Document management hub", led by the federation, with its procedure in
two versions (the second adopted by a vote of the practices signed up at the time), six
practices signed up (one of which has given notice) and the hub's reports.

The demo has people for only a few practices: the others' sign-ups and ballots are recorded
directly by this loader, as the voting demo records its ballots; everything else goes through
the services. Mayfield Surgery is left out, for a visitor to sign it up.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from portal.accounts.models import User
from portal.agreements import days, oversight, procedure_versions, setting_up, signing
from portal.agreements.models import (
    Agreement,
    CostSharing,
    RagStatus,
    ReportFrequency,
    Signatory,
    VoteWeighting,
)
from portal.extensions import db
from portal.organisations.models import Area, Organisation
from portal.times import LONDON
from portal.voting import closing
from portal.voting.models import Ballot

PROCEDURE_V1 = """## Scope

Every letter, discharge summary and result that reaches a signed-up practice by post, email or
the GP2GP and Docman inboxes is handled by the hub's workflow team, not by practice staff.

## Within one working day

1. The hub scans anything on paper and files it to the patient's record in the practice's own
   clinical system.
2. A workflow coder reads it, adds the SNOMED CT codes the hub's coding protocol lists, and
   marks any medication change for the practice's clinical pharmacist.
3. Anything that needs a GP's decision goes to the practice's duty doctor task list, marked
   *urgent* when the protocol says so (for example a new cancer diagnosis, a two-week-wait
   rejection or a raised potassium).

## What the practice keeps

The practice's GPs decide every clinical action. The hub never contacts patients.

## When something goes wrong

A misfiled or missed document is reported to the hub manager the same day and reviewed at the
monthly quality meeting with the practices' leads."""

PROCEDURE_V2 = PROCEDURE_V1.replace(
    "3. Anything that needs a GP's decision goes to the practice's duty doctor task list, marked\n"
    "   *urgent* when the protocol says so (for example a new cancer diagnosis, a two-week-wait\n"
    "   rejection or a raised potassium).",
    "3. Anything that needs a GP's decision goes to the practice's duty doctor task list, marked\n"
    "   *urgent* when the protocol says so (for example a new cancer diagnosis, a two-week-wait\n"
    "   rejection or a raised potassium), and an urgent item is also telephoned to the practice\n"
    "   before 16:00.\n"
    "4. Outpatient letters asking the practice to prescribe are added to the practice's\n"
    "   prescribing queue with the hospital's reason, within the same working day.",
).replace(
    "monthly quality meeting with the practices' leads.",
    "monthly quality meeting with the practices' leads. The hub audits 2 % of coded documents "
    "each month and publishes the error rate in its quarterly report.",
)

# Signed up by the loader itself (no demo person acts for them), with months before today.
RECORDED_PRACTICES = (("M83703", 10), ("M83738", 9), ("M83028", 9), ("M83068", 2))


def _morning(day: date) -> datetime:
    return datetime.combine(day, time(9, 30), LONDON)


def load_demo_agreements(
    area: Area, users: dict[str, User], organisations: dict[str, Organisation], now: datetime
) -> Agreement:
    today = now.astimezone(LONDON).date()
    director = users["federation"]
    start = days.add_months(today, -10)
    agreement = setting_up.create_agreement(
        director,
        area,
        organisations["FED-DEMO"],
        setting_up.Terms(
            title="Document management hub",
            gives_up="Each practice actions and codes incoming documents by this protocol, "
            "not its own, and stops handling them with its own staff.",
            gets="Documents filed and coded within one working day by trained workflow "
            "coders, with GP time kept for clinical decisions.",
            who_does_what_markdown=(
                "- **The federation** employs the hub's workflow coders and manager, and "
                "holds the data processing agreements.\n"
                "- **Practices** give the hub access to their inboxes and clinical system, and "
                "name a duty doctor for each working day.\n"
                "- **PCNs** share the clinical pharmacist time that medication changes need."
            ),
            oversight="The hub manager reports to the federation board and to the practices' "
            "leads; the LMC reviews the agreement yearly.",
            report_frequency=ReportFrequency.QUARTERLY,
            review_on=days.add_months(today, 2),
            starts_on=start,
            minimum_term_months=12,
            notice_period_months=3,
            cost_sharing=CostSharing.PER_PATIENT,
            annual_cost=Decimal("84000.00"),
            vote_weighting=VoteWeighting.LIST_SIZE,
            visible_to_ics=True,
        ),
        PROCEDURE_V1,
        _morning(start - timedelta(days=14)),
    )
    for email_name, code in (("partner.horsefair", "M83001"), ("partner.hazeldene", "M83022")):
        signing.sign_up(
            users[email_name],
            agreement,
            organisations[code],
            checked_version=1,
            today=start,
            now=_morning(start),
        )
    for code, months_ago in RECORDED_PRACTICES:
        joined = days.add_months(today, -months_ago)
        db.session.add(
            Signatory(
                agreement_id=agreement.id,
                practice_id=organisations[code].id,
                joined_on=joined,
                signed_at=_morning(joined),
                version_number=1,
            )
        )
    db.session.flush()
    db.session.refresh(agreement, attribute_names=["signatories"])

    proposed_on = days.add_months(today, -4)
    version = procedure_versions.propose_version(
        director,
        agreement,
        PROCEDURE_V2,
        "Urgent items are also telephoned, prescribing requests are queued the same day, and "
        "the hub audits its own coding, after two missed urgent results in the summer.",
        _morning(proposed_on),
    )
    closes_at = _morning(proposed_on + timedelta(days=14))
    vote = procedure_versions.put_to_vote(
        director,
        version,
        closes_at,
        today=proposed_on,
        now=_morning(proposed_on),
    )
    # Each practice signed up then votes, one against; the latest joined later, so did not.
    for index, member in enumerate(vote.electorate):
        db.session.add(
            Ballot(
                vote_id=vote.id,
                organisation_id=member.organisation_id,
                choice="against" if index == 2 else "for",
                cast_at=_morning(proposed_on + timedelta(days=3)),
            )
        )
    db.session.flush()
    closing.close_vote(vote, closes_at)

    oversight.post_report(
        director,
        agreement,
        RagStatus.GREEN,
        "98 % of documents filed and coded within one working day.",
        "Paper post from two hospitals still arrives late.",
        _morning(days.add_months(today, -7)),
    )
    oversight.post_report(
        director,
        agreement,
        RagStatus.AMBER,
        "Coding backlog cleared after the summer.",
        "Two urgent results waited overnight; the procedure is being changed.",
        _morning(days.add_months(today, -4)),
    )
    signing.give_notice(
        users["partner.hazeldene"],
        agreement,
        organisations["M83022"],
        "The practice is moving to a new clinical system and will run its own workflow team.",
        today=today - timedelta(days=7),
        now=_morning(today - timedelta(days=7)),
    )
    return agreement
