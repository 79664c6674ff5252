"""An area with the LMC, the federation, the ICS, a PCN and four practices with known list
sizes, one person in every role (and one in another area), helpers to record proposals and
drafts through the services, and documents of each kind built in the test."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.accounts.models import Role, User
from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.extensions import db
from portal.positions import drafting, services
from portal.positions.models import (
    Amendment,
    Comment,
    Position,
    Proposal,
    ProposalDocument,
    Revision,
)
from portal.tiers import Tier
from tests.conftest import fetch_csrf_token, sign_in_with_form
from tests.factories import Org, Person, World, federation, ics, lmc, make_world, pcn

BODY = (
    "The ICB proposes one enhanced access hub per PCN.\n\n"
    "The LMC supports hubs if practices may opt out of staffing them.\n\n"
    "Funding must follow the patients."
)


POSITIONS_WORLD = {
    "slug": "staffs",
    "name": "Staffordshire Test ICB",
    "organisations": [
        pcn("pcn", ods_code="U90001", name="Alpha PCN"),
        *(
            Org(code, ods_code=code, name=name, list_size=size, pcn="pcn", group="practices")
            for code, name, size in (
                ("M80001", "Riverside Surgery", 10000),
                ("M80002", "Hillside Practice", 6000),
                ("M80003", "Meadow Surgery", 4000),
                ("M80004", "Brook Surgery", 8000),
            )
        ),
        federation(name="The Federation"),
        lmc(ods_code="LMC01", name="The LMC"),
        ics(name="The ICB"),
        lmc("elsewhere_lmc", area="elsewhere"),
    ],
    "people": [
        Person("officer", "lmc", Role.LMC_OFFICER, name="Lou Officer"),
        Person("admin", "lmc", Role.AREA_ADMIN, name="Ada Admin"),
        Person("partner", "M80001", Role.GP_PARTNER, name="Pat Partner"),
        Person("partner2", "M80002", Role.GP_PARTNER, name="Hal Hillside"),
        Person("partner3", "M80003", Role.GP_PARTNER, name="Mia Meadow"),
        Person("manager", "M80001", Role.PRACTICE_MANAGER, name="Mo Manager"),
        Person("director", "pcn", Role.PCN_CLINICAL_DIRECTOR, name="Cleo Director"),
        Person("federation", "federation", Role.FEDERATION_DIRECTOR, name="Fred Fed"),
        Person("reader", "ics", Role.ICS_READER, name="Ivy Reader"),
        Person("outsider", "elsewhere_lmc", Role.LMC_OFFICER, name="Otto Outsider"),
    ],
    "other_areas": [("elsewhere", "elsewhere", "Elsewhere ICB")],
}


@pytest.fixture
def world(db: Any) -> World:
    return make_world(**POSITIONS_WORLD)


@pytest.fixture(autouse=True)
def upload_dir(app: Flask, tmp_path: Path) -> Iterator[Path]:
    """A folder of this test's own, which must stay empty: documents live in the database."""
    directory = tmp_path / "uploads"
    previous = app.config.get("UPLOAD_DIR")
    app.config["UPLOAD_DIR"] = str(directory)
    yield directory
    app.config["UPLOAD_DIR"] = previous


def sign_in(client: FlaskClient, user: User) -> None:
    response = sign_in_with_form(client, user.email)
    assert response.status_code == 302, response.get_data(as_text=True)


def csrf(client: FlaskClient) -> str:
    return fetch_csrf_token(client, "/accounts/profile")


def record_proposal(world: World, **changes: Any) -> Proposal:
    fields: dict[str, Any] = {
        "title": "Enhanced access from PCN hubs",
        "ics_reference": "ICB-2026-031",
        "owning_body": "Primary care commissioning committee",
        "summary_markdown": "One hub per PCN, open evenings and Saturdays.",
        "source_links": ["https://example.org/hubs"],
        "response_deadline": None,
    }
    uploads = changes.pop("uploads", [])
    fields.update(changes)
    proposal = services.create_proposal(
        world.people["officer"],
        world.area,
        services.ProposalDetails(**fields),
        uploads,
        utcnow(),
    )
    db.session.commit()
    return proposal


def draft(
    world: World,
    author: str = "partner",
    *,
    tier: Tier = Tier.GROUP,
    title: str = "Our response on PCN hubs",
    body: str = BODY,
    proposal: Proposal | None = None,
) -> Position:
    position = drafting.create_position(
        world.people[author],
        world.area,
        title=title,
        body_markdown=body,
        tier=tier,
        proposal=proposal,
        now=utcnow(),
    )
    db.session.commit()
    return position


def counts() -> dict[str, int]:
    """Rows of every positions table and positions/proposals audit entries, to prove that a
    refused request wrote nothing."""
    result = {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Proposal, ProposalDocument, Position, Revision, Comment, Amendment)
    }
    result["audit"] = db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(
            sa.or_(
                AuditEntry.action.startswith("position."),
                AuditEntry.action.startswith("proposal."),
            )
        )
    )
    return result


# --- Documents built in the test ---------------------------------------------------------------


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"/>',
        )
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return buffer.getvalue()


def odt_bytes(mimetype: str = "application/vnd.oasis.opendocument.text") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", '<?xml version="1.0"?><office:document-content/>')
        archive.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest/>')
    return buffer.getvalue()


def exe_bytes() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def html_bytes() -> bytes:
    return b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def plain_zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a document")
    return buffer.getvalue()


def stored_files(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*")) if directory.exists() else []


def marked(page: str, tag: str) -> list[str]:
    """The text inside each ``<ins>`` or ``<del>`` of a page, without the screen-reader words."""
    import re

    found = re.findall(rf'<{tag} class="portal-diff__{tag}">(.*?)</{tag}>', page, flags=re.S)
    return [re.sub(r'<span class="nhsuk-u-visually-hidden">.*?</span>', "", f) for f in found]
