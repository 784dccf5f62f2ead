# ruff: noqa: E501  (a message catalog: each template is one literal for makemessages)
"""Words in the reader's language (issue 12): the engine and the checks store a message id with its
parameters, never a sentence; pages, exports and PDFs render it here in the reader's language.

``render(message_id, params, fallback)`` gives the text in the active language (``translation.override`` to
choose another). An unknown id gives ``fallback`` (the English text stored beside it), so rows written
before a message had an id still read. A parameter may itself be a message (a ``Text`` or a stored
``{"id", "params"}``): a counted noun (``count.parcel``), a customer class, a tier.

``render_text(text, fallback)`` takes a ``tariffs.rules.Text`` or its stored dict (an invoice line's
``description_text``); the ``render_text`` template filter (``{% load messages %}``) does the same on pages.

The English templates below are exactly the English strings the engine writes beside each id (a test
renders every rule kind's lines in English and compares); their translations are in
``docs/i18n/messages_translations.json`` until they are merged into the .po files.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from tariffs.rules import Text

# message id -> a template with named ``{placeholders}`` (str.format): gettext_lazy, ngettext_lazy (a counted
# noun, by its ``count`` param), or a plain string for a shape without words (the same in every language).
CATALOG: dict[str, Any] = {
    # Counted nouns: English has two forms (ngettext); Chinese, Japanese and Vietnamese have one.
    "count.parcel": ngettext_lazy("{count} parcel", "{count} parcels", "count"),
    "count.sku_kind": ngettext_lazy("{count} SKU kind", "{count} SKU kinds", "count"),
    "count.extra_sku_kind": ngettext_lazy("{count} extra SKU kind", "{count} extra SKU kinds", "count"),
    "count.package": ngettext_lazy("{count} package", "{count} packages", "count"),
    "count.receiving_line": ngettext_lazy("{count} receiving line", "{count} receiving lines", "count"),
    "count.order": ngettext_lazy("{count} order", "{count} orders", "count"),
    "count.extra_unit": ngettext_lazy("{count} extra unit", "{count} extra units", "count"),
    # Names used inside other messages.
    "customer_class.regular": _("regular"),
    "customer_class.partner": _("partner"),
    "service.count": _("Count"),
    "service.inspect": _("Inspect"),
    "tier.all_kg": _("all kg"),
    "tier.up_to": _("≤ {max_kg} kg"),
    "tier.above": _("> {min_kg} kg"),
    "tier.between": _("> {min_kg} to {max_kg} kg"),
    "ledger.stock": _("stock"),
    "ledger.outbound": _("outbound"),
    "ledger.vas": _("value-added service"),
    "ledger.tax": _("tax"),
    "ledger.inbound": _("inbound"),
    "ledger.receiving": _("receiving"),
    "where.order_no": _("order no {order_no}"),
    "where.reference": _("reference {reference}"),
    "where.row": _("row {ref}"),
    "where.a_row": _("a row"),
    # Charge line descriptions (tariffs.rules, every rule kind); `{description}` is the card's own text.
    "line.weight_step.parcel": _("Parcel {order_no}: {weight_kg} kg, {sku_kinds}"),
    "line.weight_step.group": _("{parcels} charged at {chargeable_kg} kg"),
    "line.weight_step.group_extra_kinds": _("{parcels} charged at {chargeable_kg} kg, {extra_sku_kinds}"),
    "line.storage_daily_volume": _("Storage {period}: {cbm_days} CBM-days"),
    "line.storage_turnover": _(
        "Storage past {free_days} free days, {period}, all items: turnover {turnover_days} days"
    ),
    "line.storage_turnover.item": _(
        "Storage past {free_days} free days, {period}, item {item_id}: turnover {turnover_days} days"
    ),
    "line.storage_monthly_volume": _("Storage {period}: average {avg_volume_m3} CBM"),
    "line.per_unit": "{description}",
    "line.per_unit.at_cost": "{description}",
    "line.per_kg": "{description}",
    "line.piece_tier": _("{service}: {tier} units a line: {receiving_lines}"),
    "line.piece_tier.accessory": _("{service}: {tier} units a line, accessory: {receiving_lines}"),
    "line.size_code.crate_shared": _("Crate shared, size {size_code}: {packages}"),
    "line.size_code.crate_private": _("Crate private, size {size_code}: {packages}"),
    "line.size_code.wrap_shared": _("Wrap shared, size {size_code}: {packages}"),
    "line.size_code.wrap_private": _("Wrap private, size {size_code}: {packages}"),
    "line.cross_border_tax": _("Cross-border e-commerce tax, order {order_no}"),
    "line.tiered_per_kg": _(
        "Inbound line: {packages}, {weight_kg} kg (month {month_total_kg} kg, tier {tier}, {customer_class})"
    ),
    "line.tiered_per_kg.named": _(
        "Inbound {line} line: {packages}, {weight_kg} kg (month {month_total_kg} kg, tier {tier}, {customer_class})"
    ),
    "line.minimum_monthly": _("Minimum monthly charge {minimum} {currency}: shortfall"),
    "adjustment.dispute": _("Dispute D-{dispute} on invoice {invoice}: accepted adjustment"),
    "line.chargeable_weight": _("Parcel {order_no}: chargeable {chargeable_kg} kg"),
    "line.size_band": _("Last mile {carrier}, size {size_cm} (≤ {max_kg} kg): {parcels}"),
    "line.order_handling": _("Order handling: {orders}, {extra_units}"),
    # Formulas: one id per shape, the numbers are params; a shape without words is the same in every language.
    "formula.weight_step": "{expression} = {amount}",
    "formula.weight_step.group": "{count} × ({expression}) = {amount}",
    "formula.storage_daily_volume": "{price_per_cbm_day} × {cbm_days} = {amount}",
    "formula.storage_turnover": _(
        "billable days min({days_in_month}, max(0, {turnover_days} − {free_days})) = {billable_days}; {billable_days} × {price_per_cbm_day} × {avg_volume_m3} = {amount}"
    ),
    "formula.storage_monthly_volume": "{price_per_cbm_month} × {cbm_days} / {days_in_month} = {amount}",
    "formula.per_unit": "{quantity} × {price} = {amount}",
    "formula.per_unit.at_cost": "{amounts} = {amount}",
    "formula.per_unit.at_cost_many": _("Σ of {rows} ledger amounts = {amount}"),
    "formula.per_kg": "{weight_kg} × {price_per_kg} = {amount}",
    "formula.piece_tier": "{units} × {price} = {amount}",
    "formula.size_code": "{expression} = {amount}",
    "formula.size_code.group": "{count} × ({expression}) = {amount}",
    "formula.cross_border_tax": "({consumption_tax} + {vat}) × {discount} = {amount}",
    "formula.cross_border_tax.tariff": "{tariff} × {tariff_factor} + ({consumption_tax} + {vat}) × {discount} = {amount}",
    "formula.tiered_per_kg": "{expression} = {amount}",
    "formula.minimum_monthly": "max(0, {minimum} − {counted_fees}) = {amount}",
    "adjustment.dispute_formula": "{amount}",
    "formula.chargeable_weight": "max({actual_kg}, {length_cm} × {width_cm} × {height_cm} / {divisor}) × {price_per_kg} = {amount}",
    "formula.size_band": "{count} × {price} = {amount}",
    "formula.order_handling": "{orders} × {per_order} + {extra_units} × {per_extra_unit} = {amount}",
    # Engine refusals that sellers and ops read (RuleError.text).
    "error.at": _("{where}: {error}"),
    "error.unknown_service_code": _(
        "{where}: unknown service code '{service_code}' (this rate card knows: {known})"
    ),
    "error.units_above_last_tier": _("{units} units is above the last tier ({max_units} units)"),
    "error.kg_above_last_tier": _("month total {month_total_kg} kg is above the last tier ({max_kg} kg)"),
    "error.customer_class_not_on_card": _(
        "customer class '{customer_class}' is not on this rate card (classes: {known})"
    ),
    "error.volume_above_largest_size_code": _(
        "volume {volume_m3} m³ is above the largest size code {code} ({max_m3} m³)"
    ),
    "error.size_code_not_offered": _(
        "{service} is not offered for size code {code} (volume {volume_m3} m³): the price list leaves it blank"
    ),
    "error.no_fx_rate": _(
        "{service}: the size-code surcharges are priced in {price_currency} and this {currency} rate card states no {price_currency}→{currency} rate (fx_rate); it cannot be billed in {currency}"
    ),
    "error.unknown_carrier": _("unknown carrier '{carrier}' (this rate card has: {known})"),
    "error.parcel_too_large": _(
        "{carrier} takes up to {max_cm} cm (sum of three sides) and {max_kg} kg; this parcel is {size_cm} cm and {weight_kg} kg"
    ),
    "error.carrier_required": _("{where}: carrier is required for last-mile pricing"),
    "error.period_required": _("{kind} needs the billing period (its D is the number of days in the month)"),
    "error.unknown_ledgers": _("unknown ledger kind(s): {ledgers}"),
    "error.ledger_not_priced": _(
        "the rate card has no rule for the {ledger} ledger and does not list it as not billed ({rows} rows given)"
    ),
    "error.rows_not_billed": _("{rows} {ledger} row(s) are billed by no rule of the rate card: {sample}"),
    # Consistency findings of a month's stock ledger (inventory.ledgers.checks).
    "finding.unexplained_drop": _(
        "stock {before} → {stock} with {sales} sold: {missing} units unaccounted for"
    ),
    "finding.volume_mismatch": _("reported {volume_m3} m³ differs from the dimensions by more than 1 %"),
    "finding.source_mismatch": _(
        "warehouse: stock {stock}, sold {sales}; yours: stock {my_stock}, sold {my_sales}"
    ),
    # Destination compliance (inventory.catalog.compliance): the seeded requirements of SPEC §4.
    "compliance.pse": _("valid PSE certificate (electrical product)"),
    "compliance.msds": _("valid MSDS (battery, liquid or powder)"),
    "compliance.name_ja": _("Japanese product name"),
    "compliance.ce": _("valid CE certificate"),
    "compliance.ukca_ce": _("valid UKCA or CE certificate"),
    "compliance.fda": _("FDA registration number (food or cosmetics)"),
    "compliance.hs_code": _("HS code"),
    "compliance.declared_value": _("declared value above 0"),
    "compliance.net_weight": _("net weight"),
    "compliance.dimensions": _("item dimensions"),
}

RENDER_ERRORS = (KeyError, IndexError, ValueError, TypeError, AttributeError)


def _format(message_id: str, params: Mapping[str, Any] | None) -> str:
    """The message in the active language; a KeyError when the id (or a nested one) is unknown."""
    template = CATALOG[message_id]
    values = {name: _value(value) for name, value in dict(params or {}).items()}
    return template.format(**values)  # a lazy proxy formats in the active language


def _value(value: Any) -> Any:
    if isinstance(value, Text):
        return _format(value.id, value.params)
    if isinstance(value, Mapping) and "id" in value:
        return _format(str(value["id"]), value.get("params"))
    return value


def render(message_id: str | None, params: Mapping[str, Any] | None = None, fallback: str = "") -> str:
    """The message in the active language, or ``fallback`` when an id is unknown or a param is missing."""
    if not message_id or message_id not in CATALOG:
        return fallback
    try:
        return _format(message_id, params)
    except RENDER_ERRORS:
        return fallback


def render_text(text: Text | Mapping[str, Any] | None, fallback: str = "") -> str:
    """A ``Text`` or a stored ``{"id", "params"}`` in the active language; ``fallback`` when it is None."""
    if isinstance(text, Text):
        return render(text.id, text.params, fallback)
    if isinstance(text, Mapping) and "id" in text:
        return render(str(text["id"]), text.get("params"), fallback)
    return fallback


def is_known(message_id: str) -> bool:
    return message_id in CATALOG
