"""The columns of the Renja evaluation form (Evaluasi Renja, Permendagri 86/2017; DESIGN.md §9):
written by the evaluation export (`renja_evaluation.py`), read back by the realisation import
(`services/realisation_import.py`) — one format for export and import.

The headers are the form's Indonesian terms whatever the UI language. The import finds its columns
by header (a column moved or a column added is fine) and its rows by the hidden item id (`ID`),
falling back to the code. Only the realisation columns (TW I–IV, K and Rp) and the two notes are
read; everything else (targets, totals, achievements) is computed and written back by the export.
"""

from __future__ import annotations

QUARTER_NAMES = ("I", "II", "III", "IV")
SHEET_TITLE = "Evaluasi Renja"

# (key, header) in the order of the sheet.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("number", "No"),
    ("goal", "Sasaran"),
    ("code", "Kode"),
    ("name", "Program / Kegiatan / Sub Kegiatan"),
    ("indicator", "Indikator Kinerja"),
    ("unit", "Satuan"),
    ("formula", "Rumus"),
    ("target", "Target (K)"),
    ("budget", "Pagu (Rp)"),
    *(
        column
        for number, roman in enumerate(QUARTER_NAMES, start=1)
        for column in (
            (f"q{number}_physical", f"Realisasi TW {roman} (K)"),
            (f"q{number}_budget", f"Realisasi TW {roman} (Rp)"),
        )
    ),
    ("total_physical", "Total Realisasi (K)"),
    ("total_budget", "Total Realisasi (Rp)"),
    ("achievement", "Capaian Kinerja (%)"),
    ("absorption", "Serapan Anggaran (%)"),
    ("unit_in_charge", "Unit Penanggung Jawab"),
    ("problem", "Permasalahan"),
    ("solution", "Solusi / Tindak Lanjut"),
    ("item_id", "ID"),
)
HEADERS = dict(COLUMNS)
# What the import reads (everything else is the export's to compute).
IMPORTED = (*(key for key, _header in COLUMNS if key.startswith("q")), "problem", "solution")
# Above the table: which quarter the sheet reports to ("Triwulan: II"); the two notes columns are
# that quarter's, the realisation columns every quarter's.
QUARTER_LABEL = "Triwulan"
