"""The one number converter: every id and number a request carries is read here.

A number from outside is ASCII digits and nothing else (no sign, space, separator, fraction, nor
another script's digits: "²", "٣" and "５" pass str.isdigit() and int() reads some of them), and
bounded in length (int() of 5,000 digits raises, and a 25-digit id overflows the database driver).

- Paths: `<int:…>` routes use `DatabaseIdConverter` (installed by `workspace.create_app`):
  anything else is a 404, never a view call.
- Query strings: `query_id` → 400 with a clear message (404 where the id names the page's subject).
- Form fields carrying an id (hidden inputs, selects): `form_id` / `form_ids` → 400 with "the
  form is incomplete" (nothing is stored).
- Numbers people type (minutes, a year, a target): `typed_number` → 422 on that field.
- Socket payloads: `payload_id` → None (the handler answers `invalid`).

Permission checks come first: `@access(…, load=…)` runs before a view reads its form or query,
so an observer sending a malformed id is refused (403), not told the id is malformed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from werkzeug.routing import BaseConverter, ValidationError

from workspace.core.errors import NotFound, ServiceError, ValidationFailed

# The largest id a database row gets here (and the largest integer a browser's JSON keeps exact).
MAX_ID = 2**53
ID_DIGITS = len(str(MAX_ID))  # 16
# Amounts and other numbers people type: Rp 100 triliun has 15 digits.
TYPED_DIGITS = 18


def whole_number(text: object, max_digits: int = ID_DIGITS) -> int | None:
    """`text` as a non-negative whole number when it is 1 to `max_digits` ASCII digits; else None."""
    if not isinstance(text, str) or not 0 < len(text) <= max_digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def database_id(text: object) -> int | None:
    """An id as a route, form or query carries it: 1 … MAX_ID, ASCII digits only; else None."""
    number = whole_number(text)
    return number if number is not None and 0 < number <= MAX_ID else None


def digit_count(text: str) -> int:
    """How many ASCII digits a typed value holds (a bound before any grouped parse)."""
    return sum(1 for character in text if "0" <= character <= "9")


class MalformedNumber(ServiceError):
    """A form or query number that no page of ours sends: 400, nothing read or stored."""

    status = 400


def _form_incomplete() -> MalformedNumber:
    return MalformedNumber(_("The form is incomplete; reload the page and try again."))


def form_id(value: str | None) -> int | None:
    """An optional id from a form field: None when absent or empty; 400 when malformed."""
    if value is None or value == "":
        return None
    number = database_id(value)
    if number is None:
        raise _form_incomplete()
    return number


def required_form_id(value: str | None) -> int:
    """An id the form must carry: 400 when absent or malformed."""
    number = form_id(value)
    if number is None:
        raise _form_incomplete()
    return number


def required_form_number(value: str | None) -> int:
    """A whole number a page put in a hidden field (a revision: 0 too): 400 when absent or malformed."""
    number = whole_number(value)
    if number is None:
        raise _form_incomplete()
    return number


def form_ids(values: Iterable[str]) -> list[int]:
    """Several ids from one form field (checkboxes, a multiple select): 400 if any is malformed."""
    numbers = [form_id(value) for value in values if value != ""]
    return [number for number in numbers if number is not None]


def query_id(value: str | None, not_found: bool = False) -> int | None:
    """An optional id from the query string: None when absent or empty; when malformed 400, or 404
    with `not_found` (where the id names what the page shows, as `?sesi=` of the berita acara)."""
    if value is None or value == "":
        return None
    number = database_id(value)
    if number is None and not_found:
        raise NotFound(_("The page or data you are looking for does not exist."))
    if number is None:
        raise MalformedNumber(_("This address carries an invalid number; open it again from the page."))
    return number


def typed_number(value: str, field: str, message: str, minimum: int = 0, maximum: int | None = None) -> int:
    """A whole number a person typed into `field` (surrounding spaces allowed): 422 with `message`
    on that field when it is not ASCII digits, too long, or outside minimum … maximum."""
    number = whole_number(value.strip(), max_digits=TYPED_DIGITS)
    if number is None or number < minimum or (maximum is not None and number > maximum):
        raise ValidationFailed({field: message})
    return number


def payload_id(payload: Any, key: str) -> int | None:
    """An id in a socket event's payload: a JSON integer (not a boolean) in 1 … MAX_ID; else None."""
    if not isinstance(payload, dict):
        return None
    value = payload.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        return None
    return value


class DatabaseIdConverter(BaseConverter):
    """`<int:…>` in routes: 1 to 16 ASCII digits, no larger than a database id can be. Anything
    else (Unicode digits, 25 or 5,000 digits, a sign) does not match the route: 404."""

    regex = r"[1-9][0-9]{0,15}"  # no leading zero: "0" and "007" match no route (404, never 405)
    weight = 50
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = database_id(value)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))
