"""The documents of an ICS proposal: checked by their content (PDF, DOCX or ODT, and not too
big), stored under their SHA-256, and attached with an audit entry each. One refused file and
nothing at all is written.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from flask import current_app

from portal.accounts.models import User
from portal.audit.services import record
from portal.errors import DomainError, NotPermitted
from portal.extensions import db
from portal.positions import permissions
from portal.positions.models import Proposal, ProposalDocument

log = logging.getLogger(__name__)


PDF = "application/pdf"


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


ODT = "application/vnd.oasis.opendocument.text"


EXTENSIONS = {PDF: ".pdf", DOCX: ".docx", ODT: ".odt"}


TYPE_LABELS = {PDF: "PDF", DOCX: "Word document", ODT: "OpenDocument text"}


DEFAULT_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


MAX_DOCUMENTS_PER_UPLOAD = 10


# A "mimetype" entry longer than this is not the one ODF describes; never read a big entry.
_MAX_MIMETYPE_ENTRY = 200


_STORAGE_KEY = re.compile(r"^[0-9a-f]{64}$")


class DocumentRefused(DomainError):
    """An upload that is not a PDF, DOCX or ODT by its content, or is too big."""


@dataclass(frozen=True)
class Upload:
    """A file as received: the name the browser gave and at most ``limit + 1`` bytes of it."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class CheckedDocument:
    filename: str
    media_type: str
    content: bytes
    sha256: str


def document_max_bytes() -> int:
    return int(current_app.config.get("PROPOSAL_DOCUMENT_MAX_BYTES", DEFAULT_DOCUMENT_MAX_BYTES))


def upload_directory() -> Path:
    """Outside the web root: ``UPLOAD_DIR`` when set, else ``instance/uploads``."""
    configured = current_app.config.get("UPLOAD_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def read_upload(stream: IO[bytes], filename: str | None) -> Upload:
    """Read no more than one byte past the limit, so an oversized file is refused without
    holding all of it."""
    return Upload(filename or "", stream.read(document_max_bytes() + 1))


def detect_media_type(content: bytes) -> str | None:
    """PDF, DOCX or ODT by content alone (magic bytes and the ZIP's entries), else None."""
    if content.startswith(b"%PDF-"):
        return PDF
    if not content.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = {info.filename: info for info in archive.infolist()}
            if "[Content_Types].xml" in entries and "word/document.xml" in entries:
                return DOCX
            mimetype = entries.get("mimetype")
            if (
                mimetype is not None
                and mimetype.file_size <= _MAX_MIMETYPE_ENTRY
                and archive.read(mimetype) == ODT.encode()
            ):
                return ODT
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, ValueError):
        return None
    return None


def clean_filename(name: str, media_type: str) -> str:
    """A name safe to show and to offer as the download's name, ending in the extension of
    what the file really is."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if ch.isprintable())
    base = re.sub(r"\s+", " ", base).strip().strip(".")
    extension = EXTENSIONS[media_type]
    stem = base[: -len(extension)] if base.lower().endswith(extension) else base
    stem = stem[:150].strip() or "document"
    return f"{stem}{extension}"


def check_document(upload: Upload) -> CheckedDocument:
    label = clean_filename(upload.filename, PDF)[: -len(".pdf")] if upload.filename else "The file"
    limit = document_max_bytes()
    if not upload.content:
        raise DocumentRefused(f"{label} is empty")
    if len(upload.content) > limit:
        raise DocumentRefused(f"{label} is larger than {limit // (1024 * 1024)} MB")
    media_type = detect_media_type(upload.content)
    if media_type is None:
        raise DocumentRefused(f"{label} is not a PDF, Word (DOCX) or OpenDocument (ODT) file")
    return CheckedDocument(
        filename=clean_filename(upload.filename, media_type),
        media_type=media_type,
        content=upload.content,
        sha256=hashlib.sha256(upload.content).hexdigest(),
    )


def document_path(document: ProposalDocument) -> Path:
    if not _STORAGE_KEY.fullmatch(document.storage_key):
        raise ValueError("not a storage key")
    return upload_directory() / document.storage_key


def _store(documents: list[CheckedDocument]) -> list[tuple[CheckedDocument, str, Path]]:
    directory = upload_directory()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    written: list[tuple[CheckedDocument, str, Path]] = []
    try:
        for document in documents:
            key = secrets.token_hex(32)
            path = directory / key
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(document.content)
            written.append((document, key, path))
    except OSError:
        _remove([path for _, _, path in written])
        raise
    return written


def _remove(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def attach_uploads(actor: User, proposal: Proposal, uploads: list[Upload], now: datetime) -> None:
    """Check every file first: one refusal and nothing at all is written."""
    if len(uploads) > MAX_DOCUMENTS_PER_UPLOAD:
        raise DocumentRefused(f"Attach at most {MAX_DOCUMENTS_PER_UPLOAD} documents at a time")
    checked = [check_document(upload) for upload in uploads]
    if not checked:
        return
    written = _store(checked)
    try:
        for document, key, _ in written:
            row = ProposalDocument(
                proposal_id=proposal.id,
                filename=document.filename,
                media_type=document.media_type,
                size_bytes=len(document.content),
                sha256=document.sha256,
                storage_key=key,
                uploaded_by_id=actor.id,
                uploaded_at=now,
            )
            db.session.add(row)
            db.session.flush()
            record(
                "proposal.document_added",
                f"Document attached to proposal {proposal.title}: {document.filename}",
                actor=actor,
                area=proposal.area,
                subject=proposal,
                details={"document_id": row.id, "sha256": document.sha256},
            )
    except Exception:
        _remove([path for _, _, path in written])
        raise
    db.session.expire(proposal, ["documents"])


def attach_documents(actor: User, proposal: Proposal, uploads: list[Upload], now: datetime) -> None:
    if not permissions.can_add_documents(actor, proposal.area):
        raise NotPermitted("Only LMC officers and area administrators can attach documents")
    if not uploads:
        raise DocumentRefused("Choose a file to attach")
    attach_uploads(actor, proposal, uploads, now)
