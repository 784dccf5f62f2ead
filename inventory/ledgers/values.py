"""Cell parsers: text of one cell -> typed value, or InvalidValue with a plain-English reason (SPEC §2, §6).

Numbers become `Decimal` or `int`, never `float`. Every parser takes the cell text as a `str`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from datetime import date
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from .errors import InvalidValue

_NUMBER_CHARS = "0123456789.+-"
_DATE_RE = re.compile(r"([0-9]{4})-?([0-9]{2})-?([0-9]{2})")
_SHOWN_MAX = 40


def shown(text: str) -> str:
    """The offending value as quoted in an error message, shortened if long."""
    text = text.strip()
    if len(text) > _SHOWN_MAX:
        text = text[: _SHOWN_MAX - 1] + "…"
    return f'"{text}"'


def _blank(required: bool, default: object) -> object:
    if required:
        raise InvalidValue("is required (the cell is empty)")
    return default


def text_parser(*, required: bool, default: object = None) -> Callable[[str], object]:
    """Free text (codes, names, ids): kept as the stripped string."""

    def parse(raw: str) -> object:
        value = raw.strip()
        return value if value else _blank(required, default)

    return parse


def code_parser(*, required: bool, default: object = None) -> Callable[[str], object]:
    """A code whose valid values the caller knows (a VAS service code): the stripped, lower-cased text."""

    def parse(raw: str) -> object:
        value = raw.strip().lower()
        return value if value else _blank(required, default)

    return parse


def choice_parser(
    choices: Collection[str], *, required: bool, default: object = None
) -> Callable[[str], object]:
    """One of a fixed list of codes, matched case-insensitively; yields the code as listed."""
    canonical = {c.lower(): c for c in choices}
    listed = ", ".join(choices)

    def parse(raw: str) -> object:
        value = raw.strip()
        if not value:
            return _blank(required, default)
        code = canonical.get(value.lower())
        if code is None:
            raise InvalidValue(f"must be one of {listed} (got {shown(raw)})")
        return code

    return parse


def date_parser(*, required: bool, default: object = None) -> Callable[[str], object]:
    """A calendar date written `YYYYMMDD` or `YYYY-MM-DD` (SPEC §6.1)."""

    def parse(raw: str) -> object:
        value = raw.strip()
        if not value:
            return _blank(required, default)
        match = _DATE_RE.fullmatch(value)
        if match is None or (len(value) != 8 and len(value) != 10):
            raise InvalidValue(f"must be a date written YYYYMMDD or YYYY-MM-DD (got {shown(raw)})")
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise InvalidValue(f"is not a real calendar date (got {shown(raw)})") from None

    return parse


def _to_decimal(raw: str) -> Decimal:
    value = raw.strip()
    if value.strip(_NUMBER_CHARS):
        if "," in value:
            raise InvalidValue(
                f"must be a plain number, without thousands separators or decimal commas (got {shown(raw)})"
            )
        if value.endswith("%"):
            raise InvalidValue(f"must be a decimal such as 0.3, not a percentage (got {shown(raw)})")
        raise InvalidValue(f"must be a number (got {shown(raw)})")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise InvalidValue(f"must be a number (got {shown(raw)})") from None


def _bounds_checker(
    gt: Decimal | None, ge: Decimal | None, lt: Decimal | None, le: Decimal | None
) -> Callable[[Decimal | int, str], None]:
    def check(number: Decimal | int, raw: str) -> None:
        if gt is not None and not number > gt:
            raise InvalidValue(f"must be greater than {gt} (got {shown(raw)})")
        if ge is not None and not number >= ge:
            word = "0 or more" if ge == 0 else f"at least {ge}"
            raise InvalidValue(f"must be {word} (got {shown(raw)})")
        if lt is not None and not number < lt:
            raise InvalidValue(f"must be less than {lt} (got {shown(raw)})")
        if le is not None and not number <= le:
            raise InvalidValue(f"must be at most {le} (got {shown(raw)})")

    return check


def decimal_parser(
    *,
    required: bool,
    default: object = None,
    gt: Decimal | None = None,
    ge: Decimal | None = None,
    lt: Decimal | None = None,
    le: Decimal | None = None,
    places: int | None = None,
) -> Callable[[str], object]:
    """A plain decimal number (`12`, `-0.5`, `1.1726`): no exponent, separators, units or percent sign;
    with ``places``, at most that many decimal places (trailing zeros aside): what is stored is what the
    file says, never a rounding of it."""
    check = _bounds_checker(gt, ge, lt, le)
    unit = None if places is None else Decimal(1).scaleb(-places)

    def careful(raw: str) -> object:
        if not raw.strip():
            return _blank(required, default)
        number = _to_decimal(raw)
        check(number, raw)
        if unit is not None and number != number.quantize(unit, rounding=ROUND_DOWN):
            raise InvalidValue(f"{raw.strip()!r} has more than {places} decimal places")
        return number

    def parse(raw: str) -> object:
        # Good path in one call; anything unusual (spaces, blanks, bad values) goes to `careful`.
        if raw and not raw.strip(_NUMBER_CHARS):
            try:
                number = Decimal(raw)
            except InvalidOperation:
                return careful(raw)
            if (
                (gt is None or number > gt)
                and (ge is None or number >= ge)
                and (lt is None or number < lt)
                and (le is None or number <= le)
                and (places is None or (dot := raw.find(".")) < 0 or len(raw) - dot - 1 <= places)
            ):
                return number
        return careful(raw)

    return parse


def integer_parser(
    *,
    required: bool,
    default: object = None,
    gt: Decimal | None = None,
    ge: Decimal | None = None,
    lt: Decimal | None = None,
    le: Decimal | None = None,
) -> Callable[[str], object]:
    """A whole number; `82.0` (as spreadsheets write it) is accepted as 82, `82.5` is not."""
    check = _bounds_checker(gt, ge, lt, le)

    def careful(raw: str) -> object:
        value = raw.strip()
        if not value:
            return _blank(required, default)
        if value.isascii() and value.isdigit():
            number = int(value)
        else:
            decimal = _to_decimal(raw)
            if decimal != decimal.to_integral_value():
                raise InvalidValue(f"must be a whole number (got {shown(raw)})")
            number = int(decimal)
        check(number, raw)
        return number

    def parse(raw: str) -> object:
        if raw.isdigit() and raw.isascii():
            number = int(raw)
            if (
                (gt is None or number > gt)
                and (ge is None or number >= ge)
                and (lt is None or number < lt)
                and (le is None or number <= le)
            ):
                return number
        return careful(raw)

    return parse
