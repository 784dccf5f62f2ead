"""Pagination that never fails on a hostile query string.

django-tables2's ``RequestConfig`` passes ``?page=`` and ``?per_page=`` to the paginator as they come: a
``per_page`` of 0 divides by zero, a negative one breaks the page count, a 30-digit one reaches the
database as a LIMIT it cannot hold. ``SafeRequestConfig`` takes the page and the page size from the
query string only when they are plain numbers in range: a page out of range shows the first or last page,
a page size is kept between 1 and ``MAX_PER_PAGE``.
"""

import base64
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import F, Q
from django_tables2 import RequestConfig

MAX_PER_PAGE = 500
MAX_DIGITS = 9  # a page number or size with more digits is treated as out of range


def _number(value: str | None) -> int | None:
    """The query string value as an int, or None when it is not a plain decimal number."""
    if value is None:
        return None
    value = value.strip()
    sign = -1 if value.startswith("-") else 1
    digits = value.lstrip("+-")
    if not digits.isascii() or not digits.isdigit():
        return None
    if len(digits) > MAX_DIGITS:
        return sign * 10**MAX_DIGITS
    return sign * int(digits)


class SafeRequestConfig(RequestConfig):
    def configure(self, table):
        table.request = self.request
        order_by = [value for value in self.request.GET.getlist(table.prefixed_order_by_field) if value]
        if order_by:
            table.order_by = order_by  # tables2 ignores names that are not orderable columns
        if not self.paginate:
            return table
        kwargs = dict(self.paginate) if hasattr(self.paginate, "items") else {}
        kwargs.pop("silent", None)
        per_page = _number(self.request.GET.get(table.prefixed_per_page_field))
        if per_page is not None:
            kwargs["per_page"] = min(max(per_page, 1), MAX_PER_PAGE)
        page = _number(self.request.GET.get(table.prefixed_page_field))
        try:
            table.paginate(page=page if page is not None else 1, **kwargs)
        except PageNotAnInteger:
            table.page = table.paginator.page(1)
        except EmptyPage:
            last = table.paginator.num_pages
            table.page = table.paginator.page(1 if page is not None and page < 1 else last)
        return table

    def per_page(self, default: int, prefix: str = "") -> int:
        """The page size the query string asks for, kept between 1 and MAX_PER_PAGE."""
        per_page = _number(self.request.GET.get(f"{prefix}per_page"))
        return default if per_page is None else min(max(per_page, 1), MAX_PER_PAGE)

    def keyset_page(self, queryset, keys: list["Key"], *, per_page: int, prefix: str = "") -> "KeysetPage":
        """One keyset page of ``queryset``: ``?after=`` / ``?before=`` cursors and ``?per_page=`` from the
        query string, any hostile value of them giving the first page or the default size."""
        paginator = KeysetPaginator(queryset, keys, self.per_page(per_page, prefix))
        get = self.request.GET.get
        return paginator.page(after=get(f"{prefix}after"), before=get(f"{prefix}before"))


# --- Keyset pagination: pages that cost the same at any depth and any table size. ---
#
# An OFFSET page reads and throws away every row before it, and django-tables2's paginator counts every
# row (an exact COUNT(*)) to draw its page numbers: both grow with the rows stored. A keyset page instead
# starts after (or before) the last row shown, through an index in the page's order, so it reads one page
# of rows wherever it is. Its link carries a cursor: the sort values of that row. A cursor is only a
# position: the query around it stays scoped to the seller, so a crafted cursor can move in the seller's
# own rows and nowhere else; one that does not parse (or was made for another order) shows the first page.

CURSOR_MAX_CHARS = 1000


@dataclass(frozen=True)
class Key:
    """One column of a keyset order: a lookup (may follow a relation), its direction, whether NULLs occur
    (they come last). The last key of an order must be unique (the primary key)."""

    lookup: str
    descending: bool = False
    nullable: bool = False

    @property
    def alias(self) -> str:
        return f"-{self.lookup}" if self.descending else self.lookup


@dataclass
class KeysetPage:
    object_list: list
    per_page: int
    next_cursor: str | None = None
    previous_cursor: str | None = None
    is_first: bool = True  # the first page (no cursor, or one that did not parse)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def __len__(self) -> int:
        return len(self.object_list)


def _field_of(model, lookup: str):
    """The model field a lookup such as ``warehouse__code`` ends on."""
    field = None
    for part in lookup.split("__"):
        field = model._meta.pk if part == "pk" else model._meta.get_field(part)
        model = field.related_model or model
    return field.target_field if field.is_relation else field


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (date, Decimal)):
        return str(value)
    raise TypeError(f"a keyset key holds {type(value).__name__}")


def _ordering(keys, reverse: bool) -> list:
    ordering = []
    for key in keys:
        descending = key.descending != reverse
        expression = F(key.lookup)
        if key.nullable:  # NULLs last in the forward order, first in the reverse one
            nulls = {"nulls_first": True} if reverse else {"nulls_last": True}
            ordering.append(expression.desc(**nulls) if descending else expression.asc(**nulls))
        else:  # plain ASC/DESC, so that the order matches the index
            ordering.append(expression.desc() if descending else expression.asc())
    return ordering


def _beyond(keys, values, reverse: bool) -> Q:
    """Rows strictly after the cursor's row in the order of ``keys`` (strictly before it when ``reverse``),
    plus a bound on the first key alone that an index can start from."""
    terms, same = [], Q()
    for key, value in zip(keys, values, strict=True):
        descending = key.descending != reverse
        if value is None:  # NULLs are last: nothing is after one, every non-NULL value is before it
            step = Q(**{f"{key.lookup}__isnull": False}) if reverse else None
            equal = Q(**{f"{key.lookup}__isnull": True})
        else:
            step = Q(**{f"{key.lookup}__{'lt' if descending else 'gt'}": value})
            if key.nullable and not reverse:
                step |= Q(**{f"{key.lookup}__isnull": True})
            equal = Q(**{key.lookup: value})
        if step is not None:
            terms.append(same & step)
        same &= equal
    condition = Q(pk__in=[])
    for term in terms:
        condition |= term
    first, value = keys[0], values[0]
    if value is not None:
        descending = first.descending != reverse
        bound = Q(**{f"{first.lookup}__{'lte' if descending else 'gte'}": value})
        if first.nullable and not reverse:
            bound |= Q(**{f"{first.lookup}__isnull": True})
        condition &= bound
    return condition


class KeysetPaginator:
    """Pages of ``queryset`` in the order of ``keys``, ``per_page`` rows each, reached by cursors."""

    def __init__(self, queryset, keys: list[Key], per_page: int):
        if keys[-1].lookup not in ("pk", "id", queryset.model._meta.pk.name):
            raise ValueError("the last key of a keyset order must be the primary key")
        self.queryset = queryset.annotate(**{f"keyset_{n}": F(key.lookup) for n, key in enumerate(keys)})
        self.keys = list(keys)
        self.per_page = per_page
        self.fields = [_field_of(queryset.model, key.lookup) for key in keys]

    @property
    def signature(self) -> str:
        return ",".join(key.alias for key in self.keys)

    def cursor_of(self, row) -> str:
        values = [_jsonable(getattr(row, f"keyset_{n}")) for n in range(len(self.keys))]
        text = json.dumps([self.signature, *values], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def values_of(self, cursor: str | None) -> list | None:
        """The key values a cursor holds, checked against their fields; None when it does not parse, was
        made for another order, or holds a value its column cannot hold (never an error)."""
        if not cursor or len(cursor) > CURSOR_MAX_CHARS:
            return None
        try:
            decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            if not isinstance(decoded, list) or decoded[:1] != [self.signature]:
                return None
            raw = decoded[1:]
            if len(raw) != len(self.keys):
                return None
            values = []
            for key, field, value in zip(self.keys, self.fields, raw, strict=True):
                if value is None and key.nullable:
                    values.append(None)
                    continue
                if not isinstance(value, (bool, int, str)) or (isinstance(value, str) and "\x00" in value):
                    return None
                value = field.to_python(value)
                if value is None or (isinstance(value, Decimal) and not value.is_finite()):
                    return None
                field.run_validators(value)
                values.append(value)
            return values
        except (ValueError, TypeError, ValidationError, ArithmeticError, UnicodeError):
            return None

    def page(self, *, after: str | None = None, before: str | None = None) -> KeysetPage:
        """The page after the cursor ``after``, or before ``before``; the first page when neither parses or
        when the cursor's page is empty (past the end, or a crafted position)."""
        size = self.per_page
        values = self.values_of(after)
        if values is not None:
            rows = list(
                self.queryset.filter(_beyond(self.keys, values, False)).order_by(
                    *_ordering(self.keys, False)
                )[: size + 1]
            )
            if rows:
                return self._page(rows[:size], more_after=len(rows) > size, more_before=True, first=False)
        values = self.values_of(before) if values is None else None
        if values is not None:
            rows = list(
                self.queryset.filter(_beyond(self.keys, values, True)).order_by(*_ordering(self.keys, True))[
                    : size + 1
                ]
            )
            if rows:
                return self._page(
                    rows[:size][::-1], more_after=True, more_before=len(rows) > size, first=False
                )
        rows = list(self.queryset.order_by(*_ordering(self.keys, False))[: size + 1])
        return self._page(rows[:size], more_after=len(rows) > size, more_before=False, first=True)

    def _page(self, rows, *, more_after: bool, more_before: bool, first: bool) -> KeysetPage:
        return KeysetPage(
            object_list=rows,
            per_page=self.per_page,
            next_cursor=self.cursor_of(rows[-1]) if rows and more_after else None,
            previous_cursor=self.cursor_of(rows[0]) if rows and more_before else None,
            is_first=first,
        )
