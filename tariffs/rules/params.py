"""Reading a rule's params dict with every bad field reported by name (spec 7: rate cards are data)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from .errors import RuleError
from .money import to_decimal

_MISSING = object()


P = TypeVar("P")


def coerce_params(cls: type[P], params: object) -> P:
    """The typed params of a rule: as given when already typed, else read from a mapping."""
    if isinstance(params, cls):
        return params
    return cls.from_params(params)  # type: ignore[attr-defined]


def params_to_dict(params: object) -> dict[str, Any]:
    """Typed params back to a JSON-safe dict that `from_params` reads again (for JSON fields)."""
    return jsonable(dataclasses.asdict(params))  # type: ignore[call-overload]


def jsonable(value: Any) -> Any:
    """Decimals to plain strings, tuples to lists, recursively; for JSON fields and exports."""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if value.is_finite() else str(value)
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


class ParamReader:
    """Reads typed values out of one params mapping; `done()` refuses keys nobody asked for."""

    def __init__(self, raw: object, path: str = "") -> None:
        if not isinstance(raw, Mapping):
            where = path or "params"
            raise RuleError(
                f"{where}: expected a mapping of fields, got {type(raw).__name__}", field=path or None
            )
        self.raw = raw
        self.path = path
        self.used: set[str] = set()

    def name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _get(self, key: str, *, optional: bool) -> Any:
        self.used.add(key)
        value = self.raw.get(key, _MISSING)
        if value is _MISSING or value is None or value == "":
            if optional:
                return _MISSING
            raise RuleError(f"{self.name(key)}: required", field=self.name(key))
        return value

    def decimal(
        self,
        key: str,
        *,
        gt: Decimal | int | None = None,
        ge: Decimal | int | None = None,
        lt: Decimal | int | None = None,
        optional: bool = False,
        default: Decimal | None = None,
    ) -> Decimal | None:
        value = self._get(key, optional=optional)
        if value is _MISSING:
            return default
        return check_decimal(to_decimal(value, field=self.name(key)), self.name(key), gt=gt, ge=ge, lt=lt)

    def integer(
        self, key: str, *, ge: int | None = None, optional: bool = False, default: int | None = None
    ) -> int | None:
        value = self._get(key, optional=optional)
        if value is _MISSING:
            return default
        name = self.name(key)
        number = to_decimal(value, field=name)
        if number != number.to_integral_value():
            raise RuleError(f"{name}: must be a whole number, got {value!r}", field=name)
        result = int(number)
        if ge is not None and result < ge:
            raise RuleError(f"{name}: must be at least {ge}, got {result}", field=name)
        return result

    def boolean(self, key: str, *, default: bool) -> bool:
        self.used.add(key)
        value = self.raw.get(key, default)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false"}:
            return value.lower() == "true"
        raise RuleError(f"{self.name(key)}: must be true or false, got {value!r}", field=self.name(key))

    def text(self, key: str, *, optional: bool = False, default: str | None = None) -> str | None:
        value = self._get(key, optional=optional)
        if value is _MISSING:
            return default
        if not isinstance(value, str) or not value.strip():
            raise RuleError(
                f"{self.name(key)}: must be a non-empty text, got {value!r}", field=self.name(key)
            )
        return value.strip()

    def choice(self, key: str, choices: Sequence[str], *, default: str | None = None) -> str:
        value = self.text(key, optional=default is not None, default=default)
        if value not in choices:
            raise RuleError(
                f"{self.name(key)}: must be one of {', '.join(choices)}, got {value!r}", field=self.name(key)
            )
        return value

    def mapping(self, key: str, *, optional: bool = False) -> ParamReader | None:
        value = self._get(key, optional=optional)
        if value is _MISSING:
            return None
        return ParamReader(value, self.name(key))

    def items(self, key: str) -> list[ParamReader]:
        value = self._get(key, optional=False)
        if isinstance(value, str | bytes) or not isinstance(value, Sequence) or not value:
            raise RuleError(f"{self.name(key)}: must be a non-empty list", field=self.name(key))
        return [ParamReader(item, f"{self.name(key)}[{index}]") for index, item in enumerate(value)]

    def decimal_map(self, key: str, *, ge: Decimal | int | None = None) -> dict[str, Decimal]:
        """A mapping of names (e.g. customer classes) to decimals."""
        reader = self.mapping(key)
        assert reader is not None
        if not reader.raw:
            raise RuleError(f"{reader.path}: must not be empty", field=reader.path)
        return {str(name): reader.decimal(str(name), ge=ge) for name in reader.raw}

    def done(self) -> None:
        unknown = sorted(str(key) for key in self.raw if key not in self.used)
        if unknown:
            name = self.name(unknown[0])
            raise RuleError(f"{name}: unknown field (known: {', '.join(sorted(self.used))})", field=name)


def check_decimal(
    value: Decimal,
    name: str,
    *,
    gt: Decimal | int | None = None,
    ge: Decimal | int | None = None,
    lt: Decimal | int | None = None,
) -> Decimal:
    if gt is not None and not value > gt:
        raise RuleError(f"{name}: must be greater than {gt}, got {value}", field=name)
    if ge is not None and not value >= ge:
        raise RuleError(f"{name}: must be at least {ge}, got {value}", field=name)
    if lt is not None and not value < lt:
        raise RuleError(f"{name}: must be less than {lt}, got {value}", field=name)
    return value


def check_fact_decimal(
    value: object, name: str, where: str, *, gt: int | None = None, ge: int | None = None
) -> Decimal:
    """A fact's number, refused with the fact's name when missing, not a Decimal or out of range."""
    if value is None:
        raise RuleError(f"{where}: {name} is required", field=name)
    number = to_decimal(value, field=name)
    if gt is not None and not number > gt:
        raise RuleError(f"{where}: {name} must be greater than {gt}, got {number}", field=name)
    if ge is not None and not number >= ge:
        raise RuleError(f"{where}: {name} must be at least {ge}, got {number}", field=name)
    return number


def check_fact_int(value: object, name: str, where: str, *, ge: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(f"{where}: {name} must be a whole number, got {value!r}", field=name)
    if value < ge:
        raise RuleError(f"{where}: {name} must be at least {ge}, got {value}", field=name)
    return value
