"""The columns of a Renja sheet: written by the export (`spreadsheet.py`), read back by the import
(`sheet_reading.py`).

The file format is a planning document, so its column headers are the Renja terms in Indonesian
whatever the UI language.
"""

from __future__ import annotations

# (key, header) in the order of the sheet.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "Kode"),
    ("name", "Program / Kegiatan / Sub Kegiatan"),
    ("level", "Tingkat"),
    ("indicator", "Indikator"),
    ("target", "Target"),
    ("unit", "Satuan"),
    ("location", "Lokasi"),
    ("budget", "Pagu Indikatif (Rp)"),
    ("funding_source", "Sumber Dana"),
    ("forward_target", "Target n+1"),
    ("forward_budget", "Pagu n+1 (Rp)"),
    ("directions", "Amanat Presiden"),
    ("outside_catalog", "Di Luar Nomenklatur"),
    ("note", "Catatan Penting"),
)
AGENCY_HEADER = "Perangkat Daerah"
