"""The core every layer may use: errors with their HTTP status, the unit of work and its typed
changes, access rules, and permission predicates. It imports models only (DESIGN.md §10)."""
