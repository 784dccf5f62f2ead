"""Untrusted certificate files (SPEC §4, STYLE "Untrusted files"): the size is checked before the file
is stored, and the type comes from the first bytes of the content, never from the name or the
browser's content type. Only PDF, JPEG and PNG are accepted.
"""

import re
import secrets
from pathlib import Path

from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
SNIFF_BYTES = 16

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
LABELS = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG"}

_PREFIX = re.compile(r"^[0-9a-f]{16}-")
_SIGNATURES = (
    (b"%PDF-", PDF),
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
)


def sniff_document_type(head: bytes) -> str | None:
    """The MIME type of a PDF, JPEG or PNG file from its first bytes, or None for anything else."""
    for magic, mime_type in _SIGNATURES:
        if head.startswith(magic):
            return mime_type
    return None


def read_head(file, size: int = SNIFF_BYTES) -> bytes:
    """The first bytes of an uploaded or stored file, leaving its position at the start."""
    file.seek(0)
    head = file.read(size)
    file.seek(0)
    return head


def validate_document(file, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    """Refuse an upload over ``max_bytes`` or whose content is not PDF/JPEG/PNG; return its MIME type.

    Used by the certificate form's ``clean_file``, so a refused upload never reaches the storage.
    """
    if file.size > max_bytes:
        raise ValidationError(
            _("The file is larger than %(limit)s."),
            code="file_too_large",
            params={"limit": size_text(max_bytes)},
        )
    if file.size == 0:
        raise ValidationError(_("The file is empty."), code="empty_file")
    mime_type = sniff_document_type(read_head(file))
    if mime_type is None:
        raise ValidationError(
            _("Only PDF, JPEG or PNG files are accepted; this file's content is none of them."),
            code="file_type",
        )
    return mime_type


def safe_document_name(original_name: str, mime_type: str) -> str:
    """The stored file name: the seller's name, cleaned, with the extension of the detected type."""
    stem = Path(original_name).stem.strip(" .")[:80]
    try:
        stem = get_valid_filename(stem)
    except SuspiciousFileOperation:  # nothing usable left of the name
        stem = "certificate"
    return f"{stem}{EXTENSIONS[mime_type]}"


def storage_name(original_name: str, mime_type: str) -> str:
    """The name the file is stored under: an unguessable prefix, then the clean name (even if the
    media folder were ever served directly, another seller's file could not be guessed)."""
    return f"{secrets.token_hex(8)}-{safe_document_name(original_name, mime_type)}"


def download_name(stored_name: str) -> str:
    """The name a seller sees when downloading: the stored name without folder and prefix."""
    return _PREFIX.sub("", stored_name.rsplit("/", 1)[-1])


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"
