"""Storage: per CBM-day (spec 7.2), past the free turnover (spec 7.3), or per average CBM-month."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from .errors import RuleError
from .facts import Period, StockDay, StockItemMonth, refs_of
from .lines import ChargeLine, RuleContext
from .money import ZERO, fmt_number
from .params import ParamReader, check_fact_decimal, check_fact_int, coerce_params
from .text import Text

INFINITY = Decimal("Infinity")


@dataclass(frozen=True)
class StorageDailyVolumeParams:
    """`price_per_cbm_day` times the month's CBM-days (spec 7.2)."""

    price_per_cbm_day: Decimal

    @classmethod
    def from_params(cls, raw: Mapping[str, Any]) -> StorageDailyVolumeParams:
        reader = ParamReader(raw)
        params = cls(price_per_cbm_day=reader.decimal("price_per_cbm_day", ge=0))
        reader.done()
        return params


@dataclass(frozen=True)
class StorageTurnoverParams:
    """`price_per_cbm_day` past `free_days` of turnover; `per_item` bills each item alone (spec 7.3)."""

    price_per_cbm_day: Decimal
    free_days: Decimal
    per_item: bool = False

    @classmethod
    def from_params(cls, raw: Mapping[str, Any]) -> StorageTurnoverParams:
        reader = ParamReader(raw)
        params = cls(
            price_per_cbm_day=reader.decimal("price_per_cbm_day", ge=0),
            free_days=reader.decimal("free_days", ge=0),
            per_item=reader.boolean("per_item", default=False),
        )
        reader.done()
        return params


@dataclass(frozen=True)
class StorageMonthlyVolumeParams:
    """`price_per_cbm_month` times the month's average stored volume (Σ daily volume / D)."""

    price_per_cbm_month: Decimal

    @classmethod
    def from_params(cls, raw: Mapping[str, Any]) -> StorageMonthlyVolumeParams:
        reader = ParamReader(raw)
        params = cls(price_per_cbm_month=reader.decimal("price_per_cbm_month", ge=0))
        reader.done()
        return params


@dataclass(frozen=True)
class TurnoverFigures:
    """The turnover arithmetic of spec 7.3 at full precision (`turnover_days` infinite without sales)."""

    days_in_month: int
    total_stock: int
    total_sales: int
    total_volume_m3: Decimal
    turnover_days: Decimal
    billable_days: Decimal
    avg_volume_m3: Decimal

    @property
    def cbm_days(self) -> Decimal:
        return self.billable_days * self.avg_volume_m3


StockFact = StockDay | StockItemMonth


def _checked_days(days: Iterable[StockFact], period: Period) -> list[StockFact]:
    """The month's stock facts, refusing days outside the period, duplicates and negative figures.

    A `StockItemMonth` (an item's month of rows summed) stands for all of its item's days: it must lie in
    the period, and its item may have no other fact (neither a second sum nor a `StockDay`)."""
    result = []
    first, last = period.first_day, period.last_day
    seen: dict[str, int] = {}  # item -> bit mask of the days already seen (a set of pairs costs ~10x more)
    summed: set[str] = set()  # items given as a month's sum
    for day in days:
        if day.__class__ is StockItemMonth:
            _check_item_month(day, period, seen, summed)
            result.append(day)
            continue
        business_date = day.business_date
        if not first <= business_date <= last:
            where = f"item {day.item_id} on {business_date}"
            raise RuleError(f"{where}: the day is outside the period {period}", field="business_date")
        bit = 1 << business_date.day
        mask = seen.get(day.item_id, 0)
        if mask & bit:
            where = f"item {day.item_id} on {business_date}"
            raise RuleError(f"{where}: two stock rows for the same item and day", field="business_date")
        if summed and day.item_id in summed:
            where = f"item {day.item_id} on {business_date}"
            raise RuleError(f"{where}: two stock facts for the same item in {period}", field="item_id")
        seen[day.item_id] = mask | bit
        if not (
            type(day.stock_qty) is int
            and day.stock_qty >= 0
            and type(day.sales_qty) is int
            and day.sales_qty >= 0
            and type(day.volume_m3) is Decimal
            and day.volume_m3 >= 0
        ):
            where = f"item {day.item_id} on {business_date}"
            check_fact_int(day.stock_qty, "stock_qty", where, ge=0)
            check_fact_int(day.sales_qty, "sales_qty", where, ge=0)
            check_fact_decimal(day.volume_m3, "volume_m3", where, ge=0)
        result.append(day)
    return result


def _check_item_month(fact: StockItemMonth, period: Period, seen: dict[str, int], summed: set[str]) -> None:
    where = f"item {fact.item_id} from {fact.first_day} to {fact.last_day}"
    if not (
        isinstance(fact.first_day, date)
        and isinstance(fact.last_day, date)
        and period.first_day <= fact.first_day <= fact.last_day <= period.last_day
    ):
        raise RuleError(f"{where}: the days are outside the period {period}", field="business_date")
    if fact.item_id in summed or fact.item_id in seen:
        raise RuleError(f"{where}: two stock facts for the same item in {period}", field="item_id")
    check_fact_int(fact.days, "days", where, ge=1)
    if fact.days > (fact.last_day - fact.first_day).days + 1:
        raise RuleError(
            f"{where}: {fact.days} stock rows in {(fact.last_day - fact.first_day).days + 1} days "
            "(two rows for the same item and day)",
            field="business_date",
        )
    check_fact_int(fact.stock_qty, "stock_qty", where, ge=0)
    check_fact_int(fact.sales_qty, "sales_qty", where, ge=0)
    check_fact_decimal(fact.volume_m3, "volume_m3", where, ge=0)
    summed.add(fact.item_id)


def _rows_of(facts: list[StockFact]) -> int:
    """How many ledger rows the facts stand for (a month's sum stands for its days)."""
    return sum(fact.days if fact.__class__ is StockItemMonth else 1 for fact in facts)


def turnover_figures(days: Iterable[StockFact], *, free_days: Decimal, days_in_month: int) -> TurnoverFigures:
    """Turnover = avg stock / avg sales; billable = min(D, max(0, turnover − free)) (spec 7.3)."""
    day_list = list(days)
    total_stock = sum(day.stock_qty for day in day_list)
    total_sales = sum(day.sales_qty for day in day_list)
    total_volume = sum((day.volume_m3 for day in day_list), ZERO)
    month_days = Decimal(days_in_month)
    # avg_stock / avg_sales with the D's cancelled: one division instead of three.
    turnover = INFINITY if total_sales == 0 else Decimal(total_stock) / total_sales
    billable = min(month_days, max(ZERO, turnover - free_days))
    return TurnoverFigures(
        days_in_month=days_in_month,
        total_stock=total_stock,
        total_sales=total_sales,
        total_volume_m3=total_volume,
        turnover_days=turnover,
        billable_days=billable,
        avg_volume_m3=total_volume / month_days,
    )


def bill_storage_daily_volume(
    days: Iterable[StockFact], params: StorageDailyVolumeParams | Mapping[str, Any], ctx: RuleContext
) -> list[ChargeLine]:
    """One line: `price_per_cbm_day × Σ days Σ items daily volume` (spec 7.2)."""
    params = coerce_params(StorageDailyVolumeParams, params)
    period = ctx.require_period("storage_daily_volume")
    day_list = _checked_days(days, period)
    if not day_list:
        return []
    cbm_days = sum((day.volume_m3 for day in day_list), ZERO)
    return [
        ChargeLine.from_exact(
            code=ctx.charge_code,
            section=ctx.section_or("storage"),
            description=f"Storage {period}: {fmt_number(cbm_days)} CBM-days",
            quantity=cbm_days,
            unit="cbm_day",
            unit_price=params.price_per_cbm_day,
            exact_amount=params.price_per_cbm_day * cbm_days,
            currency=ctx.currency,
            expression=f"{fmt_number(params.price_per_cbm_day)} × {fmt_number(cbm_days)}",
            description_text=Text(
                "line.storage_daily_volume", {"period": str(period), "cbm_days": fmt_number(cbm_days)}
            ),
            formula_text=Text(
                "formula.storage_daily_volume",
                {"price_per_cbm_day": fmt_number(params.price_per_cbm_day), "cbm_days": fmt_number(cbm_days)},
            ),
            inputs={"period": str(period), "stock_rows": _rows_of(day_list), "cbm_days": cbm_days},
            source_refs=refs_of(day_list),
        )
    ]


def _turnover_line(
    day_list: list[StockFact],
    params: StorageTurnoverParams,
    ctx: RuleContext,
    period: Period,
    item: str | None,
) -> ChargeLine:
    figures = turnover_figures(day_list, free_days=params.free_days, days_in_month=period.days)
    billable = fmt_number(figures.billable_days)
    whose = f"item {item}" if item is not None else "all items"
    description_params = {
        "free_days": fmt_number(params.free_days),
        "period": str(period),
        "turnover_days": fmt_number(figures.turnover_days, 1),
    }
    if item is not None:
        description_text = Text("line.storage_turnover.item", {**description_params, "item_id": item})
    else:
        description_text = Text("line.storage_turnover", description_params)
    return ChargeLine.from_exact(
        code=ctx.charge_code,
        section=ctx.section_or("storage"),
        description=f"Storage past {fmt_number(params.free_days)} free days, {period}, {whose}: "
        f"turnover {fmt_number(figures.turnover_days, 1)} days",
        quantity=figures.cbm_days,
        unit="cbm_day",
        unit_price=params.price_per_cbm_day,
        exact_amount=figures.cbm_days * params.price_per_cbm_day,
        currency=ctx.currency,
        expression=(
            f"billable days min({figures.days_in_month}, max(0, {fmt_number(figures.turnover_days)} − "
            f"{fmt_number(params.free_days)})) = {billable}; "
            f"{billable} × {fmt_number(params.price_per_cbm_day)} × {fmt_number(figures.avg_volume_m3)}"
        ),
        description_text=description_text,
        formula_text=Text(
            "formula.storage_turnover",
            {
                "days_in_month": figures.days_in_month,
                "turnover_days": fmt_number(figures.turnover_days),
                "free_days": fmt_number(params.free_days),
                "billable_days": billable,
                "price_per_cbm_day": fmt_number(params.price_per_cbm_day),
                "avg_volume_m3": fmt_number(figures.avg_volume_m3),
            },
        ),
        inputs={
            "period": str(period),
            "item_id": item,
            "days_in_month": figures.days_in_month,
            "total_stock_qty": figures.total_stock,
            "total_sales_qty": figures.total_sales,
            "avg_stock_qty": Decimal(figures.total_stock) / figures.days_in_month,
            "avg_sales_qty": Decimal(figures.total_sales) / figures.days_in_month,
            "turnover_days": figures.turnover_days,
            "free_days": params.free_days,
            "billable_days": figures.billable_days,
            "avg_volume_m3": figures.avg_volume_m3,
        },
        source_refs=refs_of(day_list),
    )


def bill_storage_turnover(
    days: Iterable[StockFact], params: StorageTurnoverParams | Mapping[str, Any], ctx: RuleContext
) -> list[ChargeLine]:
    """`billable_days × price_per_cbm_day × avg_volume`, for the seller or per item (spec 7.3)."""
    params = coerce_params(StorageTurnoverParams, params)
    period = ctx.require_period("storage_turnover")
    day_list = _checked_days(days, period)
    if not day_list:
        return []
    if not params.per_item:
        return [_turnover_line(day_list, params, ctx, period, None)]
    by_item: dict[str, list[StockFact]] = {}
    for day in day_list:
        by_item.setdefault(day.item_id, []).append(day)
    return [_turnover_line(by_item[item], params, ctx, period, item) for item in sorted(by_item)]


def bill_storage_monthly_volume(
    days: Iterable[StockFact], params: StorageMonthlyVolumeParams | Mapping[str, Any], ctx: RuleContext
) -> list[ChargeLine]:
    """One line: `price_per_cbm_month × Σ daily volume / D` (the Japanese sample card's storage)."""
    params = coerce_params(StorageMonthlyVolumeParams, params)
    period = ctx.require_period("storage_monthly_volume")
    day_list = _checked_days(days, period)
    if not day_list:
        return []
    cbm_days = sum((day.volume_m3 for day in day_list), ZERO)
    avg_volume = cbm_days / period.days
    return [
        ChargeLine.from_exact(
            code=ctx.charge_code,
            section=ctx.section_or("storage"),
            description=f"Storage {period}: average {fmt_number(avg_volume)} CBM",
            quantity=avg_volume,
            unit="cbm_month",
            unit_price=params.price_per_cbm_month,
            exact_amount=params.price_per_cbm_month * avg_volume,
            currency=ctx.currency,
            expression=f"{fmt_number(params.price_per_cbm_month)} × {fmt_number(cbm_days)} / {period.days}",
            description_text=Text(
                "line.storage_monthly_volume",
                {"period": str(period), "avg_volume_m3": fmt_number(avg_volume)},
            ),
            formula_text=Text(
                "formula.storage_monthly_volume",
                {
                    "price_per_cbm_month": fmt_number(params.price_per_cbm_month),
                    "cbm_days": fmt_number(cbm_days),
                    "days_in_month": period.days,
                },
            ),
            inputs={"period": str(period), "cbm_days": cbm_days, "days_in_month": period.days},
            source_refs=refs_of(day_list),
        )
    ]
