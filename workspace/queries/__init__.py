"""The read side: what pages, fragments and services load. Queries only: nothing here writes,
commits or knows about requests, sockets or templates (DESIGN.md §10)."""
