"""Demo proposals and drafts for the demo area: an ICS proposal due in 6 days with a small PDF,
and the group's draft answer to it, in consultation, with 2 revisions, comments and a proposed
amendment. Everything goes through the services, so the audit log tells the same story.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from portal.accounts.models import User
from portal.organisations.models import Area
from portal.positions import amendments, documents, drafting, services, workflow
from portal.positions.models import Position, Tier

PROPOSAL_SUMMARY = (
    "The ICB proposes to move routine adult phlebotomy out of the community trust's clinics "
    "and into practices from 1 April, paid as a local enhanced service at £4.10 per sample."
    "\n\n"
    "* Practices would take samples for their own patients only.\n"
    "* The community trust's clinics would close on 31 March.\n"
    "* Transport of samples to the laboratory stays with the ICB's courier contract."
)

FIRST_DRAFT = (
    "General practice can take on routine phlebotomy only if the funding covers the work. "
    "At £4.10 per sample it does not."
    "\n\n"
    "Practices should be free to opt in or out each year, without penalty."
    "\n\n"
    "The community trust's clinics should stay open until practices have recruited."
)

SECOND_DRAFT = (
    "General practice can take on routine phlebotomy only if the funding covers the whole "
    "cost: staff time, consumables and the room. At £4.10 per sample it does not; our costing "
    "puts it at £6.80."
    "\n\n"
    "Practices should be free to opt in or out each year, without penalty, and a PCN should "
    "be able to take the service on for its practices."
    "\n\n"
    "The community trust's clinics should stay open until practices have recruited."
)


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A small, valid one-page PDF (Helvetica text) with a correct cross-reference table."""

    def text(value: str) -> str:
        value = value.encode("latin-1", "replace").decode("latin-1")
        return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = [f"BT /F1 16 Tf 72 770 Td ({text(title)}) Tj /F1 11 Tf"]
    content += [f"0 -20 Td ({text(line)}) Tj" for line in lines]
    content.append("ET")
    stream = "\n".join(content).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    output = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(output)
    output += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        output += b"%010d 00000 n \n" % offset
    output += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(output)


def _person(users_by_email: dict[str, User], name: str) -> User:
    """The demo person whose email address starts ``name@``."""
    return next(user for email, user in users_by_email.items() if email.startswith(f"{name}@"))


def load_demo_positions(
    area: Area, users_by_email: dict[str, User], now: datetime
) -> list[Position]:
    officer = _person(users_by_email, "lmc.officer")
    lead = _person(users_by_email, "partner.horsefair")
    colleague = _person(users_by_email, "partner2.horsefair")
    hazeldene = _person(users_by_email, "partner.hazeldene")
    mayfield = _person(users_by_email, "partner.mayfield")

    document = documents.Upload(
        "Phlebotomy transfer - proposal summary.pdf",
        demo_pdf(
            "Phlebotomy transfer to general practice (demo)",
            [
                "A demo document for GP Collective Voice. Not a real ICB paper.",
                "Proposal: routine adult phlebotomy moves to practices from 1 April.",
                "Payment: local enhanced service at 4.10 GBP per sample.",
                "Community trust clinics close on 31 March.",
            ],
        ),
    )
    proposal = services.create_proposal(
        officer,
        area,
        services.ProposalDetails(
            title="Phlebotomy transfer to general practice",
            ics_reference="SSOT-PCCC-2026-014",
            owning_body="Primary Care Commissioning Committee (demo)",
            summary_markdown=PROPOSAL_SUMMARY,
            source_links=["https://www.england.nhs.uk/"],
            response_deadline=(now + timedelta(days=6)).date(),
        ),
        [document],
        now - timedelta(days=3),
    )
    position = drafting.create_position(
        lead,
        area,
        title="Phlebotomy: fund it properly or leave it with the trust",
        body_markdown=FIRST_DRAFT,
        tier=Tier.GROUP,
        proposal=proposal,
        now=now - timedelta(days=2),
    )
    drafting.save_revision(
        lead,
        position,
        base_number=1,
        title=position.title,
        body_markdown=SECOND_DRAFT,
        now=now - timedelta(days=1, hours=2),
    )
    workflow.open_consultation(lead, position, now + timedelta(days=4), now - timedelta(days=1))
    drafting.add_comment(
        hazeldene,
        position,
        body_markdown="Agree. Hazeldene would take it on through the PCN, not on its own.",
        paragraph_index=1,
        now=now - timedelta(hours=20),
    )
    drafting.add_comment(
        mayfield,
        position,
        body_markdown="Can we attach the costing behind the **£6.80** figure before the vote?",
        paragraph_index=None,
        now=now - timedelta(hours=6),
    )
    amendments.propose_amendment(
        colleague,
        position,
        paragraph_index=2,
        replacement_markdown=(
            "The community trust's clinics should stay open until practices have recruited, "
            "and for at least 6 months after the service starts."
        ),
        reason="Recruiting phlebotomists takes months; a fixed overlap protects patients.",
        now=now - timedelta(hours=2),
    )
    return [position]
