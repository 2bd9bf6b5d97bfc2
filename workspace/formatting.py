"""Formatting and parsing of rupiah amounts and other display values."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from flask_babel import to_user_timezone

_GROUP_SEPARATOR = "."

# Indonesia's three time zones by their everyday names, for times printed with their zone.
ZONE_NAMES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def zone_name(zone: str) -> str:
    """`Asia/Pontianak` → `WIB`; another zone by its own name."""
    return ZONE_NAMES.get(zone, zone)


def local_date(moment: datetime) -> date:
    """The day a stored (naive UTC) moment falls on where the event takes place."""
    return to_user_timezone(moment).date()


def local_today() -> date:
    """Today where the event takes place (BABEL_DEFAULT_TIMEZONE), not on the server's clock."""
    return local_date(datetime.now(UTC).replace(tzinfo=None))


def format_rupiah(amount: int | None) -> str:
    """`1250000000` → `Rp 1.250.000.000` (Indonesian grouping, no decimals; rupiah are whole)."""
    if amount is None:
        return "–"
    sign = "-" if amount < 0 else ""
    return f"Rp {sign}{abs(int(amount)):,}".replace(",", _GROUP_SEPARATOR)


def format_number(amount: int | None) -> str:
    if amount is None:
        return ""
    return f"{int(amount):,}".replace(",", _GROUP_SEPARATOR)


# ASCII digits only: int() would also accept other scripts' digits, which nobody means here.
_RUPIAH_INPUT = re.compile(r"^(?:rp\.?\s*)?([0-9]{1,3}(?:[., ][0-9]{3})+|[0-9]+)(?:,-|,00|\.-)?$", re.IGNORECASE)


def parse_rupiah(text: str) -> int | None:
    """Parse what people type for an amount: `1.250.000`, `1 250 000`, `Rp 1.250.000,-`, `1250000`.

    Returns None for an empty input; raises ValueError for anything that is not a whole,
    non-negative number of rupiah (a decimal part other than ,00 or a minus sign is refused).
    """
    cleaned = text.strip()
    if not cleaned:
        return None
    match = _RUPIAH_INPUT.match(cleaned)
    if not match:
        raise ValueError(cleaned)
    return int(re.sub(r"[., ]", "", match.group(1)))


_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""


def comment_html(text: str) -> str:
    """Plain text → safe HTML: everything escaped, line breaks kept, http(s) links made clickable.

    Only `<a href="http(s)://…" rel target>` and `<br>` are ever produced; nothing a user types can
    become markup (no other scheme is linked, so no `javascript:`).
    """
    from markupsafe import Markup, escape

    parts: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        url = match.group(0)
        stripped = url.rstrip(_TRAILING_PUNCTUATION)
        end = match.start() + len(stripped)
        parts.append(str(escape(text[position : match.start()])))
        safe_url = escape(stripped)
        parts.append(f'<a href="{safe_url}" rel="nofollow noopener noreferrer" target="_blank">{safe_url}</a>')
        position = end
    parts.append(str(escape(text[position:])))
    return Markup("".join(parts).replace("\n", "<br>\n"))


# ---- Numbers in words, as an Indonesian official document spells its date --------------------

_ID_UNITS = [
    "nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan", "sepuluh", "sebelas",
]  # fmt: skip
_EN_UNITS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
]  # fmt: skip
_EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _indonesian_words(number: int) -> str:
    if number < 12:
        return _ID_UNITS[number]
    if number < 20:
        return f"{_ID_UNITS[number - 10]} belas"
    if number < 100:
        tens, rest = divmod(number, 10)
        return f"{_ID_UNITS[tens]} puluh" + (f" {_ID_UNITS[rest]}" if rest else "")
    for size, word, one in ((1000, "ribu", "seribu"), (100, "ratus", "seratus")):
        if number >= size:
            head, rest = divmod(number, size)
            spoken = one if head == 1 else f"{_indonesian_words(head)} {word}"
            return spoken + (f" {_indonesian_words(rest)}" if rest else "")
    raise AssertionError(number)  # pragma: no cover


def _english_words(number: int) -> str:
    if number < 20:
        return _EN_UNITS[number]
    if number < 100:
        tens, rest = divmod(number, 10)
        return _EN_TENS[tens] + (f"-{_EN_UNITS[rest]}" if rest else "")
    for size, word in ((1000, "thousand"), (100, "hundred")):
        if number >= size:
            head, rest = divmod(number, size)
            return f"{_english_words(head)} {word}" + (f" {_english_words(rest)}" if rest else "")
    raise AssertionError(number)  # pragma: no cover


def spelled_number(number: int, language: str) -> str:
    """`2023` → `dua ribu dua puluh tiga` (Indonesian) or `two thousand twenty-three` (English),
    for 0 to 999,999: the day and year of a berita acara's "Pada hari ini …"."""
    if not 0 <= number < 1_000_000:
        raise ValueError(f"{number} is outside 0 to 999,999")
    return _indonesian_words(number) if language == "id" else _english_words(number)


def format_nip(nip: str) -> str:
    """An 18-digit NIP as it is printed: `197501012000031002` → `19750101 200003 1 002` (birth date,
    appointment month, sex, number); anything else as given."""
    digits = nip.replace(" ", "")
    if len(digits) == 18 and digits.isascii() and digits.isdigit():
        return f"{digits[:8]} {digits[8:14]} {digits[14]} {digits[15:]}"
    return nip


def format_millions(amount: int | None) -> str:
    """Rupiah in millions with one decimal, Indonesian style: `1145685000` → `1.145,7` (the
    printed matrix, where 15 regions must fit one landscape page)."""
    if amount is None:
        return ""
    whole, tenth = divmod(round(abs(int(amount)) / 100_000), 10)
    return f"{'-' if amount < 0 else ''}{format_number(whole)},{tenth}"
