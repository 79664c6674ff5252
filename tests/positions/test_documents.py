"""Attached documents: checked by content (PDF magic bytes, DOCX and ODT by their ZIP entries),
size-limited, stored outside the web root under a random name, nothing at all written when one
is refused, and served only to members as an attachment of the stored type."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from portal.database import utcnow
from portal.extensions import db
from portal.positions import documents as position_documents
from portal.positions import services
from portal.positions.models import ProposalDocument
from tests.positions.conftest import (
    counts,
    csrf,
    docx_bytes,
    exe_bytes,
    html_bytes,
    odt_bytes,
    pdf_bytes,
    plain_zip_bytes,
    record_proposal,
    sign_in,
    stored_files,
)


@pytest.mark.parametrize(
    ("name", "content", "media_type", "stored_name"),
    [
        ("ICB paper.pdf", pdf_bytes(), position_documents.PDF, "ICB paper.pdf"),
        ("Consultation.docx", docx_bytes(), position_documents.DOCX, "Consultation.docx"),
        ("Minutes.odt", odt_bytes(), position_documents.ODT, "Minutes.odt"),
        # The content decides the type; the name is given the matching extension.
        ("scan", pdf_bytes(), position_documents.PDF, "scan.pdf"),
        ("report.exe", docx_bytes(), position_documents.DOCX, "report.exe.docx"),
        ("../../etc/passwd", odt_bytes(), position_documents.ODT, "passwd.odt"),
    ],
    ids=["pdf", "docx", "odt", "no-extension", "wrong-extension", "path"],
)
def test_documents_are_recognised_by_content(db, name, content, media_type, stored_name):
    checked = position_documents.check_document(position_documents.Upload(name, content))
    assert checked.media_type == media_type
    assert checked.filename == stored_name


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("invoice.pdf", exe_bytes()),
        ("invoice.pdf", html_bytes()),
        ("letter.docx", plain_zip_bytes()),
        ("letter.odt", odt_bytes("application/vnd.oasis.opendocument.spreadsheet")),
        ("letter.odt", b"PK\x03\x04 but not really a zip"),
        ("empty.pdf", b""),
        ("text.pdf", b"Hello %PDF-1.4"),
    ],
    ids=["exe", "html", "plain-zip", "ods-mimetype", "broken-zip", "empty", "pdf-not-first"],
)
def test_anything_else_is_refused_whatever_its_name(db, name, content):
    with pytest.raises(position_documents.DocumentRefused):
        position_documents.check_document(position_documents.Upload(name, content))


def test_stored_under_a_random_key_outside_the_web_root_with_its_hash(app, world, upload_dir):
    proposal = record_proposal(world, uploads=[position_documents.Upload("paper.pdf", pdf_bytes())])
    document = proposal.documents[0]
    path = upload_dir / document.storage_key
    assert path.read_bytes() == pdf_bytes()
    assert len(document.storage_key) == 64
    assert "paper" not in document.storage_key
    assert document.size_bytes == len(pdf_bytes())
    assert document.media_type == "application/pdf"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not str(path).startswith(app.static_folder)


def test_without_a_setting_documents_go_under_instance_uploads(app, world):
    app.config["UPLOAD_DIR"] = None
    with app.test_request_context():
        assert position_documents.upload_directory() == Path(app.instance_path, "uploads")


def test_one_bad_file_and_nothing_is_written(world, upload_dir):
    before = counts()
    with pytest.raises(position_documents.DocumentRefused, match="evil"):
        services.create_proposal(
            world.people["officer"],
            world.area,
            services.ProposalDetails("Title", None, "ICB", "", [], None),
            [
                position_documents.Upload("good.pdf", pdf_bytes()),
                position_documents.Upload("evil.pdf", exe_bytes()),
            ],
            utcnow(),
        )
    db.session.rollback()
    assert counts() == before
    assert stored_files(upload_dir) == []


def test_an_oversized_file_is_refused(app, world, upload_dir):
    app.config["PROPOSAL_DOCUMENT_MAX_BYTES"] = 1024
    try:
        proposal = record_proposal(world)
        big = pdf_bytes() + b"0" * 2000
        with pytest.raises(position_documents.DocumentRefused, match="larger than"):
            position_documents.attach_documents(
                world.people["officer"],
                proposal,
                [position_documents.Upload("big.pdf", big)],
                utcnow(),
            )
        db.session.rollback()
        upload = position_documents.read_upload(io.BytesIO(big), "big.pdf")
        assert len(upload.content) == 1025  # read stops one byte past the limit
    finally:
        app.config.pop("PROPOSAL_DOCUMENT_MAX_BYTES")
    assert stored_files(upload_dir) == []


def _form(client, **extra):
    return {
        "csrf_token": csrf(client),
        "title": "Estates strategy",
        "owning_body": "ICB estates team",
        "ics_reference": "EST-7",
        "summary_markdown": "Three options.",
        "source_links": "https://example.org/estates\nhttp://example.org/annex",
        "deadline_day": "",
        "deadline_month": "",
        "deadline_year": "",
        **extra,
    }


def test_an_officer_uploads_a_pdf_a_docx_and_an_odt_through_the_form(client, world, upload_dir):
    sign_in(client, world.people["officer"])
    response = client.post(
        world.url("proposals/new"),
        data=_form(
            client,
            documents=[
                (io.BytesIO(pdf_bytes()), "paper.pdf", "application/pdf"),
                (io.BytesIO(docx_bytes()), "annex.docx", "application/octet-stream"),
                (io.BytesIO(odt_bytes()), "minutes.odt", "text/plain"),
            ],
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    documents = db.session.query(ProposalDocument).order_by(ProposalDocument.id).all()
    assert [d.media_type for d in documents] == [
        position_documents.PDF,
        position_documents.DOCX,
        position_documents.ODT,
    ]
    assert len(stored_files(upload_dir)) == 3


@pytest.mark.parametrize(
    ("name", "content", "declared"),
    [
        ("setup.pdf", exe_bytes(), "application/pdf"),
        ("page.pdf", html_bytes(), "application/pdf"),
    ],
    ids=["exe", "html"],
)
def test_a_renamed_executable_or_page_is_refused_by_the_form(
    client, world, upload_dir, name, content, declared
):
    sign_in(client, world.people["officer"])
    before = counts()
    response = client.post(
        world.url("proposals/new"),
        data=_form(client, documents=[(io.BytesIO(content), name, declared)]),
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "is not a PDF, Word (DOCX) or OpenDocument (ODT) file" in page
    assert counts() == before
    assert stored_files(upload_dir) == []


def test_an_oversized_file_is_refused_by_the_form(app, client, world, upload_dir):
    app.config["PROPOSAL_DOCUMENT_MAX_BYTES"] = 2048
    try:
        sign_in(client, world.people["officer"])
        before = counts()
        big = pdf_bytes() + b"x" * 5000
        response = client.post(
            world.url("proposals/new"),
            data=_form(client, documents=[(io.BytesIO(big), "big.pdf", "application/pdf")]),
            content_type="multipart/form-data",
        )
    finally:
        app.config.pop("PROPOSAL_DOCUMENT_MAX_BYTES")
    assert response.status_code == 200
    assert "is larger than" in response.get_data(as_text=True)
    assert counts() == before
    assert stored_files(upload_dir) == []


def test_a_request_over_the_request_limit_gets_the_413_page(app, client, world, upload_dir):
    sign_in(client, world.people["officer"])
    token = csrf(client)
    previous = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 4096
    try:
        response = client.post(
            world.url("proposals/new"),
            data=_form(
                client,
                csrf_token=token,
                documents=[(io.BytesIO(b"%PDF-" + b"x" * 10000), "a.pdf", "application/pdf")],
            ),
            content_type="multipart/form-data",
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = previous
    assert response.status_code == 413
    assert stored_files(upload_dir) == []


def test_download_is_an_attachment_of_the_stored_type_never_sniffed(client, world):
    proposal = record_proposal(
        world, uploads=[position_documents.Upload("ICB paper.pdf", pdf_bytes())]
    )
    document = proposal.documents[0]
    sign_in(client, world.people["manager"])
    response = client.get(world.url(f"proposals/{proposal.id}/documents/{document.id}"))
    assert response.status_code == 200
    assert response.data == pdf_bytes()
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "ICB paper.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize("who", ["reader", "outsider"])
def test_only_members_of_the_group_download(client, world, who):
    proposal = record_proposal(world, uploads=[position_documents.Upload("paper.pdf", pdf_bytes())])
    document = proposal.documents[0]
    sign_in(client, world.people[who])
    response = client.get(world.url(f"proposals/{proposal.id}/documents/{document.id}"))
    assert response.status_code == 404


def test_signed_out_download_goes_to_sign_in(client, world):
    proposal = record_proposal(world, uploads=[position_documents.Upload("paper.pdf", pdf_bytes())])
    response = client.get(
        world.url(f"proposals/{proposal.id}/documents/{proposal.documents[0].id}")
    )
    assert response.status_code == 302
    assert "/accounts/login" in response.headers["Location"]


def test_a_document_of_another_proposal_is_not_found(client, world):
    first = record_proposal(world, uploads=[position_documents.Upload("paper.pdf", pdf_bytes())])
    second = record_proposal(world, title="Another")
    sign_in(client, world.people["partner"])
    url = world.url(f"proposals/{second.id}/documents/{first.documents[0].id}")
    assert client.get(url).status_code == 404


def test_only_officers_attach_documents_later(client, world, upload_dir):
    proposal = record_proposal(world)
    sign_in(client, world.people["partner"])
    response = client.post(
        world.url(f"proposals/{proposal.id}/documents"),
        data={
            "csrf_token": csrf(client),
            "attachments": [(io.BytesIO(pdf_bytes()), "a.pdf", "application/pdf")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert stored_files(upload_dir) == []
