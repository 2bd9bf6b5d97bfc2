"""The child process that checks an uploaded evidence file and draws its thumbnail
(`evidence_files.inspect` starts it; a file of its own, like `exports/sheet_worker.py`).

An upload is hostile until decoded: a 5 MB PNG can claim a billion pixels, a PDF can ask PDFium for
minutes of work. So the decoding runs here, in `python -I evidence_worker.py <kind>` with the file
on stdin, under a memory and CPU limit, killed by the parent at its deadline: the server's event
loop only waits on a pipe. It imports nothing of the app (only Pillow, and pypdfium2 for a PDF).

It writes `ok\\n` and the thumbnail (a PNG, none for a PDF when pypdfium2 is missing), or
`refused <reason>\\n` (`damaged`, `pixels`, `password`). Anything else — a crash, the memory limit —
ends it with a non-zero status, which the parent reads as too much work.
"""

from __future__ import annotations

import io
import sys
import warnings
from typing import Any

SECONDS = 5.0  # the whole check, in the child; the parent kills it two seconds after
MEMORY_BYTES = 1024 * 1024 * 1024
#: More than any phone's or scanner's page (8000 × 8000); beyond it an image is refused unopened.
MAX_PIXELS = 64_000_000
THUMBNAIL_SIDE = 160
FORMATS = {"jpeg": "JPEG", "png": "PNG"}


class Refused(Exception):
    """The file is not what it claims to be, or cannot be shown: `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def inspect_here(kind: str, content: bytes) -> bytes | None:
    """The thumbnail of `content` (a `kind` file: pdf, jpeg, png) as a PNG, decoding it all."""
    if kind == "pdf":
        return _pdf_thumbnail(content)
    if kind in FORMATS:
        return _image_thumbnail(FORMATS[kind], content)
    raise Refused("damaged")


def _image_thumbnail(image_format: str, content: bytes) -> bytes:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow warns above it and refuses above twice it
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content), formats=[image_format]) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise Refused("pixels")
                image.load()  # every byte decoded: a truncated or corrupt image fails here
                return _small_png(_upright(image))
        except Refused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError):
            raise Refused("pixels") from None
        except Exception:
            raise Refused("damaged") from None


def _upright(image: Any) -> Any:
    """The image as it is meant to be seen (its EXIF orientation applied); a broken EXIF block
    does not make a photo unreadable, so then it is shown as stored."""
    from PIL import ImageOps

    try:
        return ImageOps.exif_transpose(image)
    except Exception:
        return image


def _small_png(image: Any) -> bytes:
    """At most THUMBNAIL_SIDE × THUMBNAIL_SIDE, as a PNG with pixels only (no EXIF, no GPS, no
    ICC profile, no text chunks)."""
    from PIL import Image

    transparent = "A" in image.getbands() or "transparency" in image.info
    small = image.convert("RGBA" if transparent else "RGB")
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    clean = Image.new(small.mode, small.size)
    clean.paste(small)
    buffer = io.BytesIO()
    clean.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _pdf_thumbnail(content: bytes) -> bytes | None:
    try:
        import pypdfium2 as pdfium  # type: ignore[import-untyped]
    except ImportError:  # not installed: the page shows a PDF icon instead
        return None
    try:
        document = pdfium.PdfDocument(content)
    except pdfium.PdfiumError as error:
        raise Refused(
            "password" if getattr(error, "err_code", 0) == pdfium.raw.FPDF_ERR_PASSWORD else "damaged"
        ) from None
    try:
        if len(document) < 1:
            raise Refused("damaged")
        page = document[0]
        width, height = page.get_size()
        if not (width > 0 and height > 0):
            raise Refused("damaged")
        image = page.render(scale=THUMBNAIL_SIDE / max(width, height)).to_pil()
    except pdfium.PdfiumError:
        raise Refused("damaged") from None
    finally:
        document.close()
    return _small_png(image)


def _limit(seconds: float, memory: int) -> None:
    """Memory and CPU bounded, at a lower priority than the server's own process."""
    try:
        import os
        import resource

        os.nice(10)
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        cpu = int(seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    except (ImportError, ValueError, OSError):  # not on this platform: the parent's timeout still holds
        pass


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else ""
    content = sys.stdin.buffer.read()
    _limit(SECONDS, MEMORY_BYTES)
    try:
        answer = b"ok\n" + (inspect_here(kind, content) or b"")
    except Refused as refused:
        answer = f"refused {refused.reason}\n".encode("ascii")
    sys.stdout.buffer.write(answer)


if __name__ == "__main__":
    main()
