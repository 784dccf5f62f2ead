"""Pagination that never fails on a hostile query string.

django-tables2's ``RequestConfig`` passes ``?page=`` and ``?per_page=`` to the paginator as they come: a
``per_page`` of 0 divides by zero, a negative one breaks the page count, a 30-digit one reaches the
database as a LIMIT it cannot hold. ``SafeRequestConfig`` takes the page and the page size from the
query string only when they are plain numbers in range: a page out of range shows the first or last page,
a page size is kept between 1 and ``MAX_PER_PAGE``.
"""

from django.core.paginator import EmptyPage, PageNotAnInteger
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
