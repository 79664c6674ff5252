"""The demo proposal and draft: a deadline 6 days away with a real PDF, a consultation on a
draft with 2 revisions, comments and an amendment waiting for the lead."""

from __future__ import annotations

from datetime import timedelta

from portal.accounts.models import Role
from portal.database import utcnow
from portal.organisations.models import OrganisationKind
from portal.positions import documents, services
from portal.positions.demo import demo_pdf, load_demo_positions
from portal.positions.models import AmendmentState, PositionState
from portal.templating import LONDON
from tests.factories import make_area, make_organisation, make_user


def test_the_demo_pdf_is_a_well_formed_pdf():
    pdf = demo_pdf("Title (with brackets)", ["Line one", "Line \\ two"])
    assert pdf.startswith(b"%PDF-1.4\n")
    assert pdf.rstrip().endswith(b"%%EOF")
    start = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[start:].startswith(b"xref\n0 6\n")
    offsets = [int(line[:10]) for line in pdf[start:].split(b"\n")[3:8]]
    for number, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(b"%d 0 obj" % number)
    assert b"Title \\(with brackets\\)" in pdf


def test_load_demo_positions(db, upload_dir):
    area = make_area(slug="demo", name="Demo ICB")
    lmc = make_organisation(area, OrganisationKind.LMC, ods_code="LMC-DEMO")
    horsefair = make_organisation(area, ods_code="M83001")
    hazeldene = make_organisation(area, ods_code="M83022")
    mayfield = make_organisation(area, ods_code="M83004")
    domain = "staffs-demo.example.org"
    people = [
        make_user(lmc, Role.LMC_OFFICER, email=f"lmc.officer@{domain}"),
        make_user(horsefair, Role.GP_PARTNER, email=f"partner.horsefair@{domain}"),
        make_user(horsefair, Role.GP_PARTNER, email=f"partner2.horsefair@{domain}"),
        make_user(hazeldene, Role.GP_PARTNER, email=f"partner.hazeldene@{domain}"),
        make_user(mayfield, Role.GP_PARTNER, email=f"partner.mayfield@{domain}"),
    ]
    now = utcnow()
    [position] = load_demo_positions(area, {user.email: user for user in people}, now)
    db.session.commit()

    proposal = position.proposal
    assert proposal.response_deadline == (now + timedelta(days=6)).date()
    assert (proposal.response_deadline - now.astimezone(LONDON).date()).days in (5, 6)
    [document] = proposal.documents
    assert document.media_type == documents.PDF
    assert documents.document_path(document).read_bytes().startswith(b"%PDF-1.4")
    assert position.state is PositionState.CONSULTATION
    assert position.consultation_ends_at > now
    assert [r.number for r in position.revisions] == [1, 2]
    assert len(services.position_comments(position)) == 2
    [amendment] = services.position_amendments(position)
    assert amendment.state is AmendmentState.PROPOSED
    assert position.lead.email == f"partner.horsefair@{domain}"
