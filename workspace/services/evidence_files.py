"""What an uploaded evidence file is, judged by its content alone (issue 18, item 3).

PDF, JPG and PNG only. The type comes from the bytes — the magic number, then a full decode in a
bounded child process (`evidence_worker.py`: Pillow for an image, PDFium for a PDF's first page,
which also makes its thumbnail) — never from the name or the browser's Content-Type. A file whose
name says another type is kept as what it is, its name's extension corrected (`foto.pdf` that is a
JPEG is stored as `foto.jpg`, `image/jpeg`): the name is a label, the content decides, and the
download says what it is. Refused with a reason, nothing stored: an empty or too large file, any
other type (SVG, HTML renamed .png…), a PDF with something before its header (a polyglot: what
browsers would read as a web page), a PDF without its end, an image with too many pixels (a
decompression bomb), a damaged, truncated or password-protected file.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask_babel import format_decimal
from flask_babel import gettext as _

from workspace.core.errors import ValidationFailed
from workspace.services import evidence_worker

WORKER_SCRIPT = Path(evidence_worker.__file__)
PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
KIND = {PDF: "pdf", JPEG: "jpeg", PNG: "png"}
EXTENSIONS = {PDF: (".pdf",), JPEG: (".jpg", ".jpeg", ".jpe", ".jfif"), PNG: (".png",)}
KNOWN_EXTENSIONS = {extension for extensions in EXTENSIONS.values() for extension in extensions}
MAX_FILENAME = 200
#: A PDF reader looks for the header in the first kilobyte and for the end in the last one.
PDF_WINDOW = 1024
_PDF_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")
_SEPARATORS = re.compile(r"[/\\]")


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check: what to store."""

    filename: str
    content_type: str
    size: int
    sha256: str
    content: bytes
    thumbnail: bytes | None


def refused(message: str) -> ValidationFailed:
    return ValidationFailed({"file": message})


def megabytes(size: int) -> str:
    """`5`, `6,2`: a size in MB as the reader's language writes it."""
    return str(format_decimal(size / (1024 * 1024), "#,##0.#"))


def check_file(filename: str, content: bytes, max_bytes: int) -> CheckedFile:
    """Everything the file is, from its content; ValidationFailed({"file": why}) otherwise."""
    if not content:
        raise refused(_("The file is empty.") if filename else _("Choose a PDF, JPG or PNG file."))
    if len(content) > max_bytes:
        raise refused(
            _(
                "The file is larger than %(max)s MB: make it smaller (scan at a lower resolution, or compress it).",
                max=megabytes(max_bytes),
            )
        )
    content_type = sniff(content)
    thumbnail = inspect(content_type, content)
    return CheckedFile(
        filename=clean_filename(filename, content_type),
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        thumbnail=thumbnail,
    )


def sniff(content: bytes) -> str:
    """The type the content's first bytes name (and for a PDF, its end); refused otherwise."""
    if _PDF_HEADER.match(content):
        if b"%%EOF" not in content[-PDF_WINDOW:]:
            raise refused(
                _("This PDF is incomplete (its end is missing): save or scan it again and upload the new file.")
            )
        return PDF
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if b"%PDF-" in content[:PDF_WINDOW]:
        raise refused(
            _(
                "This PDF has other content before its start, as disguised files do: it was not accepted. "
                "Save it again as a PDF and upload that."
            )
        )
    raise refused(_("Only PDF, JPG and PNG files can be uploaded; this file is none of these, whatever its name says."))


def inspect(content_type: str, content: bytes) -> bytes | None:
    """Decode the whole file in `evidence_worker.py` (bounded, see there): its thumbnail PNG, or
    None (a PDF without pypdfium2); refused when it cannot be read within the bounds."""
    try:
        finished = subprocess.run(
            [sys.executable, "-I", str(WORKER_SCRIPT), KIND[content_type]],
            input=content,
            capture_output=True,
            timeout=evidence_worker.SECONDS + 2,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise refused(_too_much_work()) from None
    head, _newline, body = finished.stdout.partition(b"\n")
    if finished.returncode != 0 or not head:
        raise refused(_too_much_work())  # killed by its memory or CPU limit, or crashed
    if head == b"ok":
        return body or None
    reason = head.removeprefix(b"refused ").decode("ascii", "replace")
    raise refused(_refusal(reason, content_type))


def _too_much_work() -> str:
    return _(
        "This file could not be checked in time (too complex, or damaged): save it again, smaller, and upload that."
    )


def _refusal(reason: str, content_type: str) -> str:
    if reason == "pixels":
        return _(
            "This image has too many pixels (at most %(max)s megapixels): make it smaller and upload it again.",
            max=evidence_worker.MAX_PIXELS // 1_000_000,
        )
    if reason == "password":
        return _("This PDF is protected by a password: upload it without one.")
    if content_type == PDF:
        return _("This PDF cannot be read (damaged or incomplete): save or scan it again and upload the new file.")
    return _("This image is damaged or incomplete: open it, save it again and upload the new file.")


def clean_filename(raw: str, content_type: str) -> str:
    """The name to keep and to download as: the base name only (no folder, from any system), no
    control or invisible characters (nor bidi overrides, which disguise `gpj.exe`), spaces
    collapsed, no leading dot, at most MAX_FILENAME characters, and the extension of what the
    file is (a known wrong one replaced, any other kept before it)."""
    name = _SEPARATORS.split(unicodedata.normalize("NFC", raw or ""))[-1]
    name = "".join(
        " " if character.isspace() else character
        for character in name
        if character.isspace() or not unicodedata.category(character).startswith("C")
    )
    name = " ".join(name.split()).strip(" .")
    stem, dot, extension = name.rpartition(".")
    suffix = f".{extension.lower()}" if dot else ""
    if suffix in EXTENSIONS[content_type]:
        stem, wanted = stem, f".{extension}"
    else:
        stem, wanted = (stem if suffix in KNOWN_EXTENSIONS else name), EXTENSIONS[content_type][0]
    stem = stem.strip(" .")[: MAX_FILENAME - len(wanted)].rstrip(" .") or "bukti"
    return stem + wanted
