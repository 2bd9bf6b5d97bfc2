"""Domain operations: validate → check permission → mutate → commit → broadcast.

Views and socket handlers call these and nothing else writes to the database.
"""
