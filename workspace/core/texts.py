"""Texts shown later, or to someone else, than the request that made them: a notification read
tomorrow, the notice a facilitator's move sends to a participant's screens, a reminder written by
a background loop. Each is kept as its msgid and parameters and translated when it is shown, in
the language of whoever reads it (`str(text)` in that reader's request, or under `force_locale`).

`N_` marks the msgid for `pybabel extract` (one of its default keywords) and builds the `Text`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext


@dataclass(frozen=True)
class Text:
    """A msgid and its parameters (plain values, or texts translated with it)."""

    msgid: str
    params: tuple[tuple[str, Param], ...] = ()

    def __str__(self) -> str:
        values = {name: str(value) if isinstance(value, Text) else value for name, value in self.params}
        return gettext(self.msgid, **values)

    def as_data(self) -> dict[str, Any]:
        return {
            "msgid": self.msgid,
            "params": {name: value.as_data() if isinstance(value, Text) else value for name, value in self.params},
        }

    def to_json(self) -> str:
        return json.dumps(self.as_data(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_data(cls, data: Any) -> Text:
        if not isinstance(data, dict) or not isinstance(data.get("msgid"), str):
            raise ValueError("not a stored text")
        params = data.get("params") or {}
        if not isinstance(params, dict):
            raise ValueError("not a stored text")
        return cls(
            data["msgid"],
            tuple(
                (str(name), cls.from_data(value) if isinstance(value, dict) else _plain(value))
                for name, value in params.items()
            ),
        )


Param = str | int | float | Text


def _plain(value: Any) -> str | int | float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("not a stored text parameter")
    return value


def N_(msgid: str, **params: Param) -> Text:
    """The text `msgid` with `params`, translated when shown (`N_` is a default keyword of pybabel)."""
    return Text(msgid, tuple(params.items()))


def stored_text(text_json: str | None, fallback: str) -> str:
    """A stored text in the current language; `fallback` (what was stored as plain text, in the
    default language) when there is none or it cannot be read."""
    if not text_json:
        return fallback
    try:
        return str(Text.from_data(json.loads(text_json)))
    except (ValueError, TypeError, KeyError):
        return fallback
