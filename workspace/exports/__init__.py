"""What the agencies take home: the synchronisation matrix, the national-directions view, the
berita acara kesepakatan, and the Renja-style spreadsheet export and import.

Read models only: these modules compute from the stored proposals (integer rupiah throughout)
and never commit; the import's write side lives in `workspace.services.importing`.
"""
