"""Moved to `workspace.core.item_fields`; this name stays until every importer uses the new one."""

from workspace.core.item_fields import *  # noqa: F403
from workspace.core.item_fields import FIELDS, FieldInvalid, apply_field_value, clean_text, field_applies, parse_field_value  # noqa: F401
