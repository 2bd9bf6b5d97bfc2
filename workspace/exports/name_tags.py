"""Name-tag cards with each person's join code and its QR code: an A4 print view and a PDF,
eight cards a page (2 × 4, 90 × 62 mm), both from the same `Card` list."""

from __future__ import annotations

from dataclasses import dataclass

import segno
from flask_babel import gettext as _
from fpdf import FPDF

from workspace.exports.pdf import SinergiPDF

CARD_WIDTH, CARD_HEIGHT = 90.0, 62.0
COLUMNS, ROWS = 2, 4
LEFT, TOP, GAP = 12.0, 12.0, 6.0


@dataclass(frozen=True)
class Card:
    name: str
    position: str
    agency: str
    username: str
    code: str  # XXXX-XXXX-XXXX
    url: str  # what the QR code opens: the join page with the code filled in

    def qr(self) -> segno.QRCode:
        return segno.make(self.url, error="m")

    def qr_data_uri(self) -> str:
        return self.qr().svg_data_uri(scale=4, border=2)


def cards_pdf(cards: list[Card], event_title: str) -> bytes:
    pdf = SinergiPDF()
    pdf.set_auto_page_break(False)
    pdf.set_title(_("Name-tag cards") + f" – {event_title}")
    per_page = COLUMNS * ROWS
    for index, card in enumerate(cards):
        if index % per_page == 0:
            pdf.add_page()
        slot = index % per_page
        x = LEFT + (slot % COLUMNS) * (CARD_WIDTH + GAP)
        y = TOP + (slot // COLUMNS) * (CARD_HEIGHT + GAP)
        _draw_card(pdf, card, x, y, event_title)
    return bytes(pdf.output())


def _draw_card(pdf: FPDF, card: Card, x: float, y: float, event_title: str) -> None:
    pdf.set_draw_color(150, 160, 175)
    pdf.set_line_width(0.2)
    pdf.set_dash_pattern(dash=1.5, gap=1.5)  # where to cut
    pdf.rect(x, y, CARD_WIDTH, CARD_HEIGHT)
    pdf.set_dash_pattern()
    pdf.set_fill_color(15, 92, 140)
    pdf.rect(x, y, CARD_WIDTH, 8, style="F")
    pdf.set_text_color(255, 255, 255)
    _draw_header(pdf, event_title, x + 3, y, CARD_WIDTH - 6)
    pdf.set_text_color(20, 30, 50)
    text_width = CARD_WIDTH - 38
    pdf.set_xy(x + 3, y + 11)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(text_width, 5, card.name[:80], align="L", new_x="LEFT", new_y="NEXT")
    pdf.set_font("DejaVu", "", 7.5)
    pdf.set_x(x + 3)
    pdf.multi_cell(text_width, 3.6, card.position[:90], align="L", new_x="LEFT", new_y="NEXT")
    pdf.set_x(x + 3)
    pdf.multi_cell(text_width, 3.6, card.agency[:120], align="L", new_x="LEFT", new_y="NEXT")
    pdf.set_font("DejaVu", "", 7)
    pdf.set_xy(x + 3, y + CARD_HEIGHT - 17)
    pdf.cell(text_width, 4, _("Username: %(username)s", username=card.username))
    pdf.set_xy(x + 3, y + CARD_HEIGHT - 12.5)
    pdf.cell(text_width, 4, _("Join code (once):"))
    pdf.set_font("DejaVu", "B", 11)
    pdf.set_xy(x + 3, y + CARD_HEIGHT - 8.5)
    pdf.cell(text_width, 6, card.code)
    _draw_qr(pdf, card.qr(), x + CARD_WIDTH - 34, y + 12, 31)


HEADER_HEIGHT = 8.0
HEADER_SIZES = (7.5, 7.0, 6.5, 6.0)  # pt: the largest the title fits in on one line


def header_lines(pdf: FPDF, title: str, width: float) -> tuple[float, list[str]]:
    """The card header, measured, never clipped: the largest size at which the title fits one line;
    else two lines at 6 pt (and, past two, the second line shortened with an ellipsis)."""
    for size in HEADER_SIZES:
        pdf.set_font("DejaVu", "B", size)
        if pdf.get_string_width(title) <= width:
            return size, [title]
    pdf.set_font("DejaVu", "B", 6.0)
    lines: list[str] = [""]
    for word in title.split():
        candidate = f"{lines[-1]} {word}".strip()
        if pdf.get_string_width(candidate) <= width or not lines[-1]:
            lines[-1] = candidate
        else:
            lines.append(word)
    if len(lines) > 2:
        rest = " ".join(lines[1:])
        while rest and pdf.get_string_width(rest + "…") > width:
            rest = rest[:-1].rstrip()
        lines = [lines[0], rest + "…"]
    return 6.0, lines


def _draw_header(pdf: FPDF, title: str, x: float, y: float, width: float) -> None:
    size, lines = header_lines(pdf, title, width)
    pdf.set_font("DejaVu", "B", size)
    line_height = 3.0 if len(lines) > 1 else 5.0
    top = y + (HEADER_HEIGHT - line_height * len(lines)) / 2
    for index, line in enumerate(lines):
        pdf.set_xy(x, top + index * line_height)
        pdf.cell(width, line_height, line, align="L")


def _draw_qr(pdf: FPDF, qr: segno.QRCode, x: float, y: float, size: float) -> None:
    """The QR code as filled squares: no image library involved, sharp at any print resolution."""
    matrix = [list(row) for row in qr.matrix]
    modules = len(matrix) + 4  # a quiet zone of two modules
    step = size / modules
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(matrix):
        start = None
        for column_index, dark in enumerate([*row, 0]):
            if dark and start is None:
                start = column_index
            elif not dark and start is not None:
                pdf.rect(
                    x + (start + 2) * step, y + (row_index + 2) * step, (column_index - start) * step, step, style="F"
                )
                start = None
