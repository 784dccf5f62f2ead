"""An inbound order's estimate at submission (issue 5): chargeable weight, receiving and first-month
storage fees, and expected duties and taxes, computed by the tariff engine and kept on the order so it
can be compared with what is billed later."""

from decimal import Decimal

from django.utils import timezone

from inventory.models import InboundOrder
from tariffs.engine import MonthFacts, compute_invoice
from tariffs.quote import CardTerms, StorageInput, quote_storage
from tariffs.rules import CustomsDeclaration, Period, RuleError, ServiceUse, chargeable_weight
from tariffs.selectors import NoContractInForce, RateCardNotFound, pricing_for, rule_specs

# Import taxes assumed when the card bills customs tax and the order is DDP (rates as decimals).
ASSUMED_IMPORT_TAX = {
    "tariff_rate": Decimal("0"),
    "consumption_tax_rate": Decimal("0"),
    "vat_rate": Decimal("0.13"),
}


def _money(amount: Decimal) -> str:
    return str(amount)


def estimate_order(order: InboundOrder, *, today=None) -> dict:
    """The estimate as a JSON-safe dict of decimal strings, with a note for what could not be priced."""
    today = today or timezone.localdate()
    cartons = list(order.cartons.prefetch_related("lines__sku"))
    actual = sum((c.gross_weight_kg for c in cartons), Decimal(0))
    chargeable = sum(
        (
            chargeable_weight(
                c.gross_weight_kg,
                Decimal(c.length_mm) / 10,
                Decimal(c.width_mm) / 10,
                Decimal(c.height_mm) / 10,
            )
            for c in cartons
        ),
        Decimal(0),
    )
    volume = sum(
        (Decimal(c.length_mm * c.width_mm * c.height_mm) / Decimal(10**9) for c in cartons), Decimal(0)
    )
    units = sum(line.units for c in cartons for line in c.lines.all())
    declared = sum(
        (line.sku.declared_value or Decimal(0)) * line.units for c in cartons for line in c.lines.all()
    )
    result = {
        "cartons": len(cartons),
        "units": units,
        "actual_weight_kg": _money(actual),
        "chargeable_weight_kg": _money(chargeable.quantize(Decimal("0.01"))),
        "volume_m3": _money(volume.quantize(Decimal("0.0001"))),
        "declared_value": _money(declared),
        "fees": [],
        "notes": [],
    }
    period = Period(today.year, today.month)
    try:
        pricing = pricing_for(seller=order.seller, warehouse=order.warehouse, period=period)
    except NoContractInForce:
        result["notes"].append(f"No contract with this warehouse in {period}: fees cannot be estimated.")
        return result
    except RateCardNotFound as exc:
        result["notes"].append(str(exc))
        return result
    contract, version = pricing.contract, pricing.version
    card = contract.rate_card
    terms = CardTerms(
        rules=tuple(rule_specs(version)),
        currency=card.currency,
        customer_class=contract.customer_class,
        service_tax_rate=card.service_tax_rate,
    )
    result.update(rate_card=card.code, version=version.version, currency=card.currency)

    def add(label: str, compute) -> None:
        try:
            computation = compute()
        except RuleError as exc:
            result["notes"].append(f"{label}: {exc}")
            return
        for line in computation.lines:
            result["fees"].append(
                {
                    "label": label,
                    "code": line.code,
                    "amount": _money(line.amount),
                    "formula": line.formula,  # English, and the fallback of formula_text (issue 12)
                    "formula_text": None if line.formula_text is None else line.formula_text.as_dict(),
                }
            )

    receiving_rules = [
        r for r in terms.for_ledger("vas") if "receiving_carton" in (r.params.get("prices") or {})
    ]
    if receiving_rules:
        add(
            "receiving",
            lambda: compute_invoice(
                MonthFacts(
                    period,
                    {"vas": [ServiceUse(service_code="receiving_carton", quantity=Decimal(len(cartons)))]},
                ),
                receiving_rules,
                currency=card.currency,
                customer_class=contract.customer_class,
            ),
        )
    if terms.for_ledger("stock"):
        add("storage_first_month", lambda: quote_storage(terms, StorageInput(volume, units, 0), period))
    tax_rules = terms.for_ledger("tax")
    if tax_rules and order.trade_term == InboundOrder.TradeTerm.DDP and declared > 0:
        add(
            "duties_and_taxes",
            lambda: compute_invoice(
                MonthFacts(
                    period,
                    {
                        "tax": [
                            CustomsDeclaration(
                                order_no=order.number, dutiable_value=declared, **ASSUMED_IMPORT_TAX
                            )
                        ]
                    },
                ),
                tax_rules,
                currency=card.currency,
                customer_class=contract.customer_class,
            ),
        )
        result["notes"].append(
            "Duties assume 0 % tariff, 0 % consumption tax and 13 % VAT on the declared value."
        )
    result["total"] = _money(sum((Decimal(fee["amount"]) for fee in result["fees"]), Decimal(0)))
    return result
