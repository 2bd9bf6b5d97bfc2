"""The kop surat of the event's official documents (berita acara, daftar hadir): the logo on the
left, the institution's lines centred in capitals, address and contact below, a double rule. Set by
the organiser (services/documents.py); the print views draw the same kop from the same object."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from fpdf import FPDF

from workspace.models import DocumentSettings


@dataclass(frozen=True)
class Letterhead:
    institution_lines: list[str]
    address: str
    contact: str
    logo_png: bytes | None

    @property
    def is_set(self) -> bool:
        return bool(self.institution_lines)

    @property
    def logo_data_uri(self) -> str:
        """The logo inside the page itself, so that a stored print view needs nothing else."""
        if not self.logo_png:
            return ""
        return "data:image/png;base64," + base64.b64encode(self.logo_png).decode("ascii")


def letterhead_of(settings: DocumentSettings) -> Letterhead:
    lines = [line.strip() for line in (settings.institution or "").splitlines() if line.strip()]
    return Letterhead(
        institution_lines=lines,
        address=settings.address or "",
        contact=settings.contact or "",
        logo_png=settings.logo_png,
    )


LOGO_SIZE = 22.0  # mm, the logo's box at the kop's left


def write_letterhead(pdf: FPDF, letterhead: Letterhead) -> None:
    """The kop at the top of the first page (nothing when the organiser has not set one)."""
    if not letterhead.is_set:
        return
    top = pdf.get_y()
    text_left = pdf.l_margin + (LOGO_SIZE + 3 if letterhead.logo_png else 0)
    text_width = pdf.w - pdf.r_margin - text_left
    if letterhead.logo_png:
        logo = io.BytesIO(letterhead.logo_png)
        pdf.image(logo, x=pdf.l_margin, y=top, w=LOGO_SIZE, h=LOGO_SIZE, keep_aspect_ratio=True)
    pdf.set_xy(text_left, top)
    last = len(letterhead.institution_lines) - 1
    for index, line in enumerate(letterhead.institution_lines):
        pdf.set_font("DejaVu", "B", 13 if index == last else 11.5)
        pdf.set_x(text_left)
        height = 5.6 if index == last else 5.2
        pdf.multi_cell(text_width, height, line.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8.5)
    for line in (letterhead.address, letterhead.contact):
        if line:
            pdf.set_x(text_left)
            pdf.multi_cell(text_width, 4.2, line, align="C", new_x="LMARGIN", new_y="NEXT")
    bottom = max(pdf.get_y(), top + (LOGO_SIZE if letterhead.logo_png else 0)) + 1.5
    pdf.set_line_width(0.8)
    pdf.line(pdf.l_margin, bottom, pdf.w - pdf.r_margin, bottom)
    pdf.set_line_width(0.2)
    pdf.line(pdf.l_margin, bottom + 1.1, pdf.w - pdf.r_margin, bottom + 1.1)
    pdf.set_y(bottom + 5)
