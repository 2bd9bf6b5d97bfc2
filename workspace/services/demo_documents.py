"""The demo rakor's letterhead and signatories, so that its berita acara and daftar hadir look as
the real ones will (the organiser changes them under Admin rakor → Dokumen)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from workspace.extensions import db
from workspace.models import DocumentSettings, Event


def _demo_logo() -> bytes:
    """A plain shield in the province's colours, drawn here: the demo ships no one's real emblem."""
    image = Image.new("RGBA", (240, 280), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    shield = [(20, 10), (220, 10), (220, 150), (120, 270), (20, 150)]
    draw.polygon(shield, fill=(20, 82, 148), outline=(240, 190, 30))
    draw.line([*shield, shield[0]], fill=(240, 190, 30), width=10)
    star = [
        (120, 50),
        (135, 95),
        (182, 95),
        (144, 122),
        (158, 168),
        (120, 140),
        (82, 168),
        (96, 122),
        (58, 95),
        (105, 95),
    ]
    draw.polygon(star, fill=(240, 190, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def add_demo_document_settings(event: Event) -> None:
    """Inside the demo's unit of work; only when the event has none (never over the organiser's)."""
    if db.session.get(DocumentSettings, event.id) is not None:
        return
    db.session.add(
        DocumentSettings(
            event_id=event.id,
            institution="Pemerintah Provinsi Kalimantan Barat\nBadan Kesatuan Bangsa dan Politik",
            address="Jalan Ahmad Yani No. 1, Pontianak, Kalimantan Barat 78124",
            contact="Telepon (0561) 736541 · Pos-el kesbangpol@kalbarprov.go.id · kesbangpol.kalbarprov.go.id",
            logo_png=_demo_logo(),
            number_pattern="{nomor}/BA-RAKOR/KESBANGPOL/{tahun}",
            next_number=5,
            signing_place="Pontianak",
            organiser_title="Sekretaris Badan Kesbangpol Provinsi Kalimantan Barat",
            organiser_name="Dra. Hj. Siti Aminah, M.Si.",
            organiser_nip="196805121993032004",
            head_title="Kepala Badan Kesatuan Bangsa dan Politik Provinsi Kalimantan Barat",
            head_name="Drs. H. Manto Saidi, M.M.",
            head_rank="Pembina Utama Muda",
            head_nip="196705031992031006",
        )
    )
