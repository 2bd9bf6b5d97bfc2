"""The PDF documents' common ground: A4 in millimetres, with the DejaVu font vendored in
`exports/fonts/` (fpdf2 is pure Python, so a PDF needs no system package); the official documents'
footer ("Halaman x dari y") and the width a table column needs for its heading."""

from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _
from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent / "fonts" / "dejavu-2.37.3"


class SinergiPDF(FPDF):
    def __init__(self, orientation: str = "P") -> None:
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSansCondensed.ttf"))
        self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSansCondensed-Bold.ttf"))
        self.set_creator("Sinergi")


class OfficialPDF(SinergiPDF):
    """A document to sign: margins of an Indonesian letter, and on every page a footer naming the
    document and "Halaman x dari y"."""

    def __init__(self, footer_text: str, orientation: str = "P") -> None:
        super().__init__(orientation=orientation)
        self.footer_text = footer_text
        self.set_margins(20, 15, 18)
        self.set_auto_page_break(auto=True, margin=18)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 7.5)
        self.set_text_color(90, 100, 117)
        page = _("Page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}")
        self.cell(0, 5, f"{self.footer_text} · {page}" if self.footer_text else page, align="C")
        self.set_text_color(0, 0, 0)


def heading_width(pdf: FPDF, heading: str, minimum: float = 0, padding: float = 2.5) -> float:
    """The width (mm) a column needs so that no word of its heading breaks (in the current font):
    "Sub kegiatan" wraps between its words, never inside one."""
    widest = max((pdf.get_string_width(word) for word in heading.split()), default=0)
    return max(minimum, widest + padding)
