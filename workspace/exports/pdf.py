"""The PDF documents' common ground: A4 in millimetres, with the DejaVu font vendored in
`exports/fonts/` (fpdf2 is pure Python, so a PDF needs no system package)."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent / "fonts" / "dejavu-2.37.3"


class SinergiPDF(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSansCondensed.ttf"))
        self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSansCondensed-Bold.ttf"))
        self.set_creator("Sinergi")
