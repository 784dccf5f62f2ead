"""Certificate uploads: the type from the magic bytes, the size before anything is read (STYLE)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.uploads import (
    JPEG,
    MAX_DOCUMENT_BYTES,
    PDF,
    PNG,
    download_name,
    safe_document_name,
    sniff_document_type,
    storage_name,
    validate_document,
)

PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
PDF_HEAD = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"


@pytest.mark.parametrize(
    "head,expected",
    [
        (PDF_HEAD, PDF),
        (JPEG_HEAD, JPEG),
        (b"\xff\xd8\xff\xe1\x00\x16Exif", JPEG),
        (PNG_HEAD, PNG),
        (b"GIF89a\x01\x00", None),
        (b"PK\x03\x04\x14\x00", None),  # a zip (or a .docx) is not a document here
        (b"<html><body>", None),
        (b"This is text %PDF-1.4", None),  # the magic must be at the start
        (b"\x89PNG", None),  # truncated
        (b"", None),
    ],
)
def test_sniff_document_type_reads_the_magic_bytes(head, expected):
    assert sniff_document_type(head) == expected


def test_the_name_and_content_type_do_not_decide_the_type():
    png_named_pdf = SimpleUploadedFile("scan.pdf", PNG_HEAD + b"\x00" * 10, content_type="application/pdf")
    assert validate_document(png_named_pdf) == PNG
    text_named_pdf = SimpleUploadedFile("scan.pdf", b"just text", content_type="application/pdf")
    with pytest.raises(ValidationError) as error:
        validate_document(text_named_pdf)
    assert error.value.code == "file_type"


class HugeUpload:
    """An upload that reports its size and must never be read."""

    name = "huge.pdf"
    size = MAX_DOCUMENT_BYTES + 1

    def read(self, *args):
        raise AssertionError("an oversize file was read")

    seek = read


def test_the_size_is_checked_before_the_file_is_read():
    with pytest.raises(ValidationError) as error:
        validate_document(HugeUpload())
    assert error.value.code == "file_too_large"
    assert error.value.messages == ["The file is larger than 10 MB."]


def test_exactly_the_limit_is_accepted():
    content = PDF_HEAD + b"0" * (MAX_DOCUMENT_BYTES - len(PDF_HEAD))
    assert validate_document(SimpleUploadedFile("max.pdf", content)) == PDF


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError) as error:
        validate_document(SimpleUploadedFile("empty.pdf", b""))
    assert error.value.code == "empty_file"


@pytest.mark.parametrize(
    "name,mime_type,expected",
    [
        ("scan.pdf", PNG, "scan.png"),
        ("PSE 证书 2026.PDF", PDF, "PSE_证书_2026.pdf"),
        ("../../etc/passwd", JPEG, "passwd.jpg"),
        ("...", PDF, "certificate.pdf"),
        ("", PNG, "certificate.png"),
    ],
)
def test_stored_names_are_clean_and_carry_the_detected_extension(name, mime_type, expected):
    assert safe_document_name(name, mime_type) == expected


def test_stored_names_get_an_unguessable_prefix_that_downloads_drop():
    first, second = storage_name("pse.pdf", PDF), storage_name("pse.pdf", PDF)
    assert first != second and first.endswith("-pse.pdf") and len(first) == len("0123456789abcdef-pse.pdf")
    assert download_name(f"certificates/2026/11/{first}") == "pse.pdf"
    assert download_name("certificates/2026/11/plain-name.pdf") == "plain-name.pdf"
