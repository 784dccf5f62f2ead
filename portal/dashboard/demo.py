"""Demo data for `make run`: sellers, their logins, and ops staff. Idempotent."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from portal.models import BillingContact, Seller, SellerUser, User

DEMO_PASSWORD = "portal-demo-2026"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    seller: str


SELLERS = [
    {
        "code": "youpin",
        "name": "优品跨境 Youpin",
        "legal_name": "深圳优品跨境电商有限公司",
        "tax_id": "91440300MA5G000001",
        "country": "CN",
        "billing_contacts": [
            ("billing@youpin.example.com", "财务部 Finance", "zh-hans"),
            ("accounts@youpin.example.com", "Accounts (HK office)", "en"),
        ],
        "language": "zh-hans",
        "default_currency": "CNY",
        "users": [
            ("owner@youpin.example.com", "owner", "王", "芳"),
            ("finance@youpin.example.com", "finance", "李", "娜"),
            ("staff@youpin.example.com", "staff", "张", "伟"),
        ],
    },
    {
        "code": "sakura-goods",
        "name": "Sakura Goods",
        "legal_name": "杭州樱花贸易有限公司",
        "tax_id": "91330100MA2H000002",
        "country": "CN",
        "billing_contacts": [
            ("billing@sakura.example.com", "経理部", "ja"),
            ("cw@sakura.example.com", "陈伟", "zh-hans"),
        ],
        "language": "ja",
        "default_currency": "JPY",
        "users": [("owner@sakura.example.com", "owner", "佐藤", "花子")],
    },
    {
        "code": "saigon-home",
        "name": "Saigon Home",
        "legal_name": "Công ty TNHH Saigon Home",
        "tax_id": "0312345678",
        "country": "VN",
        "billing_contacts": [("billing@saigonhome.example.com", "Phòng kế toán", "vi")],
        "language": "vi",
        "default_currency": "VND",
        "users": [("owner@saigonhome.example.com", "owner", "Nguyễn", "Lan")],
    },
]
# Warehouses and their service lines: (code, name, country, operator, currency, time zone, [(line, name)])
WAREHOUSES = [
    (
        "CN-HZ-BONDED",
        "菜鸟杭州保税仓 Cainiao Hangzhou bonded",
        "CN",
        "cainiao",
        "CNY",
        "Asia/Shanghai",
        [
            ("cainiao-bonded", "Cainiao bonded 菜鸟保税"),
            ("tmall-import", "Tmall import seller logistics 天猫进口"),
        ],
    ),
    (
        "HK-XY-OVERSEAS",
        "心怡香港海外备货仓",
        "HK",
        "cainiao",
        "CNY",
        "Asia/Hong_Kong",
        [("cainiao-overseas", "Cainiao overseas warehouse 菜鸟海外仓")],
    ),
    (
        "VN-CN-PX",
        "Kho Bằng Tường (China-side)",
        "CN",
        "vn-cn-warehouse",
        "VND",
        "Asia/Shanghai",
        [("ecommerce", "Line thương mại điện tử"), ("general", "Line tổng hợp"), ("lot", "Line lô")],
    ),
    (
        "JP-TYO-01",
        "Linkstar 東京倉庫",
        "JP",
        "linkstar",
        "JPY",
        "Asia/Tokyo",
        [("jp-fulfilment", "日本フルフィルメント")],
    ),
]
# Contracts: seller code -> [(warehouse, service line, rate card code, currency, customer class)]
CONTRACTS = {
    "youpin": [
        ("CN-HZ-BONDED", "cainiao-bonded", "cainiao-bonded", "CNY", "regular"),
        ("CN-HZ-BONDED", "tmall-import", "tmall-import", "CNY", "regular"),
        ("HK-XY-OVERSEAS", "cainiao-overseas", "cainiao-overseas", "CNY", "regular"),
    ],
    "sakura-goods": [("JP-TYO-01", "jp-fulfilment", "linkstar-jp-sample", "JPY", "regular")],
    "saigon-home": [
        ("VN-CN-PX", "ecommerce", "vn-ecommerce", "VND", "partner"),
        ("VN-CN-PX", "general", "vn-general", "VND", "regular"),
    ],
}
DEMO_CONTRACT_START = date(2016, 1, 1)  # a first of a month, open-ended: covers the golden 2016 ledgers
# Ledger aliases: (warehouse, seller code, the seller's store name in that warehouse's ledgers). The golden
# Cainiao ledger (../shared/golden/cainiao_overseas_2016-06_*.csv) names its seller "123旗舰店".
ALIASES = [("HK-XY-OVERSEAS", "youpin", "123旗舰店")]
STAFF = [
    ("ops@example.com", "ops", False),
    ("finance@example.com", "finance", False),
    ("admin@example.com", None, True),
]


@transaction.atomic
def load_demo_data(*, with_billing: bool = True) -> list[DemoLogin]:
    """The demo (idempotent); ``with_billing=False`` leaves out the ledgers and invoices (faster tests)."""
    logins: list[DemoLogin] = []
    for spec in SELLERS:
        spec = dict(spec)
        users = spec.pop("users")
        contacts = spec.pop("billing_contacts")
        seller, _ = Seller.objects.update_or_create(
            code=spec["code"],
            defaults={**spec, "status": Seller.Status.ACTIVE, "approved_at": timezone.now()},
        )
        for email, name, language in contacts:
            BillingContact.objects.update_or_create(
                seller=seller, email=email, defaults={"name": name, "language": language}
            )
        for email, role, last, first in users:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email=email,
                    password=DEMO_PASSWORD,
                    first_name=first,
                    last_name=last,
                    language=seller.language,
                )
            SellerUser.objects.update_or_create(user=user, defaults={"seller": seller, "role": role})
            logins.append(DemoLogin(email, role, seller.name))
    load_demo_warehouses()
    for email, group, superuser in STAFF:
        user = User.objects.filter(email=email).first()
        if user is None:
            if superuser:
                user = User.objects.create_superuser(email=email, password=DEMO_PASSWORD)
            else:
                user = User.objects.create_user(email=email, password=DEMO_PASSWORD, is_staff=True)
        if group:
            user.groups.add(Group.objects.get(name=group))
        logins.append(DemoLogin(email, group or "superuser", "operator"))
    load_demo_inventory()
    if with_billing:
        load_demo_billing(timezone.localdate())
    return logins


def load_demo_billing(today) -> None:
    """Two recent months of warehouse ledgers and this month so far for each demo seller, the close of both
    past months, the earlier one issued (one invoice paid, the others unpaid; ``demo_billing``), and each
    seller's dashboard figures."""
    from billing.figures import refresh_figures
    from portal.dashboard.demo_billing import (
        DEMO_LEDGERS,
        close_demo_months,
        demo_disputes,
        issue_demo_month,
        load_demo_ledgers,
    )

    load_demo_ledgers(today)
    close_demo_months(today)
    issue_demo_month(today)
    demo_disputes(today)
    for seller in Seller.objects.filter(code__in={spec[0] for spec in DEMO_LEDGERS}):
        refresh_figures(seller, today=today)


def load_demo_warehouses() -> None:
    """Warehouses, service lines, the demo sellers' contracts under the preset rate cards, and the store
    names the warehouses' ledgers use for them (aliases, SPEC §6)."""

    from portal.models import Operator, SellerAlias, ServiceLine, Warehouse
    from tariffs.models import Contract, RateCard
    from tariffs.services import change_contract, create_contract

    for code, name, country, operator, currency, tz, lines in WAREHOUSES:
        warehouse, _ = Warehouse.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "country": country,
                "operator": Operator.objects.get(code=operator),
                "currency": currency,
                "time_zone": tz,
            },
        )
        for line_code, line_name in lines:
            ServiceLine.objects.update_or_create(
                warehouse=warehouse, code=line_code, defaults={"name": line_name}
            )
    for seller_code, contracts in CONTRACTS.items():
        seller = Seller.objects.get(code=seller_code)
        for warehouse, line, card, currency, customer_class in contracts:
            service_line = ServiceLine.objects.get(warehouse__code=warehouse, code=line)
            terms = {
                "rate_card": RateCard.objects.get(code=card, currency=currency),
                "customer_class": customer_class,
            }
            # One contract at a time, from the first of a month (SPEC §3): through the contract service.
            current = Contract.objects.filter(seller=seller, service_line=service_line).order_by("-starts_on")
            if current.exists():
                change_contract(contract=current.first(), **terms)
            else:
                create_contract(
                    seller=seller, service_line=service_line, starts_on=DEMO_CONTRACT_START, **terms
                )
    for warehouse_code, seller_code, alias in ALIASES:
        warehouse = Warehouse.objects.get(code=warehouse_code)
        if not SellerAlias.objects.filter(warehouse=warehouse, alias__iexact=alias).exists():
            entry = SellerAlias(warehouse=warehouse, seller=Seller.objects.get(code=seller_code), alias=alias)
            entry.full_clean()
            entry.save()


DEMO_SKUS = {
    "youpin": [
        {
            "code": "YP-KETTLE-01",
            "name_zh": "电热水壶 1.7L",
            "name_en": "Electric kettle 1.7 L",
            "name_ja": "電気ケトル 1.7L",
            "material": "不锈钢 stainless steel",
            "category": "electronics",
            "hs_code": "8516719000",
            "declared_value": "18.50",
            "net_weight_g": "1200",
            "length_mm": 220,
            "width_mm": 160,
            "height_mm": 250,
            "units_per_carton": 8,
            "carton_length_mm": 460,
            "carton_width_mm": 340,
            "carton_height_mm": 520,
            "barcode": "6901234567892",
            "fnsku": "X00KETTLE1",
            "is_electrical": True,
        },
        {
            "code": "YP-BOX-S",
            "name_zh": "收纳盒 小号",
            "name_en": "Storage box, small",
            "name_ja": "収納ボックス S",
            "material": "PP",
            "category": "home",
            "hs_code": "392490",
            "declared_value": "3.20",
            "net_weight_g": "180",
            "length_mm": 200,
            "width_mm": 150,
            "height_mm": 100,
            "units_per_carton": 40,
            "carton_length_mm": 600,
            "carton_width_mm": 400,
            "carton_height_mm": 420,
            "barcode": "6901234567908",
        },
        {
            "code": "YP-POWERBANK",
            "name_zh": "移动电源 10000mAh",
            "name_en": "Power bank 10000 mAh",
            "category": "electronics",
            "hs_code": "850760",
            "declared_value": "9.90",
            "net_weight_g": "220",
            "length_mm": 140,
            "width_mm": 70,
            "height_mm": 20,
            "units_per_carton": 50,
            "carton_length_mm": 500,
            "carton_width_mm": 300,
            "carton_height_mm": 250,
            "has_battery": True,
        },
    ],
    "sakura-goods": [
        {
            "code": "SK-LAMP-01",
            "name_zh": "LED台灯",
            "name_en": "LED desk lamp",
            "name_ja": "LEDデスクライト",
            "category": "electronics",
            "hs_code": "940520",
            "declared_value": "15.00",
            "net_weight_g": "650",
            "length_mm": 300,
            "width_mm": 150,
            "height_mm": 120,
            "units_per_carton": 12,
            "carton_length_mm": 620,
            "carton_width_mm": 320,
            "carton_height_mm": 380,
            "is_electrical": True,
        },
    ],
}


def load_demo_inventory() -> None:
    """Demo SKUs (one blocked for Japan), certificates and inbound orders in several states."""
    from datetime import date, timedelta
    from decimal import Decimal

    from inventory.inbound import services
    from inventory.models import Certificate, InboundOrder, Sku
    from portal.models import Warehouse

    for seller_code, skus in DEMO_SKUS.items():
        seller = Seller.objects.get(code=seller_code)
        for spec in skus:
            values = {
                k: Decimal(v) if k in ("declared_value", "net_weight_g") else v for k, v in spec.items()
            }
            Sku.objects.update_or_create(seller=seller, code=spec["code"], defaults=values)
    lamp = Sku.objects.get(code="SK-LAMP-01")
    Certificate.objects.get_or_create(
        sku=lamp, kind="PSE", defaults={"number": "JET-2024-0815", "expires_on": date(2029, 3, 31)}
    )
    powerbank = Sku.objects.get(code="YP-POWERBANK")
    Certificate.objects.get_or_create(
        sku=powerbank,
        kind="MSDS",
        defaults={"number": "MSDS-PB-2025", "expires_on": timezone.localdate() + timedelta(days=21)},
    )
    youpin = Seller.objects.get(code="youpin")
    if InboundOrder.objects.filter(seller=youpin).exists():
        return
    owner = User.objects.get(email="owner@youpin.example.com")
    ops = User.objects.get(email="ops@example.com")
    box = Sku.objects.get(code="YP-BOX-S")
    hk = Warehouse.objects.get(code="HK-XY-OVERSEAS")

    def cartons(sku, count, units, weight):
        line = services.LineInput(sku=sku, units=units, batch_no="B2611")
        return [
            services.CartonInput(
                sku.carton_length_mm, sku.carton_width_mm, sku.carton_height_mm, Decimal(weight), (line,)
            )
        ] * count

    services.create_order(
        seller=youpin,
        user=owner,
        warehouse=hk,
        cartons=cartons(box, 4, 40, "9.6"),
        trade_term="DDP",
        shipping_mode="sea_lcl",
    )
    moving = services.create_order(
        seller=youpin,
        user=owner,
        warehouse=hk,
        cartons=cartons(powerbank, 2, 50, "12.4"),
        trade_term="DDP",
        shipping_mode="air_express",
    )
    moving = services.submit_order(order=moving, user=owner)
    services.advance_order(
        order=moving,
        target="in_transit",
        user=ops,
        role="ops",
        data={
            "carrier": "SF Express",
            "tracking_number": "SF1400228811",
            "etd": timezone.localdate(),
            "eta": timezone.localdate() + timedelta(days=5),
        },
        comment="Picked up in Shenzhen",
    )
    done = services.create_order(
        seller=youpin,
        user=owner,
        warehouse=hk,
        cartons=cartons(box, 2, 40, "9.6"),
        trade_term="DDP",
        shipping_mode="sea_lcl",
    )
    done = services.submit_order(order=done, user=owner)
    for target, data in (
        (
            "in_transit",
            {
                "carrier": "COSCO",
                "tracking_number": "COSU6180011",
                "etd": date(2026, 10, 2),
                "eta": date(2026, 10, 9),
            },
        ),
        ("export_cleared", {"export_declaration_no": "530120261000123456"}),
        ("import_cleared", {"import_declaration_no": "HK-IMP-2026-88121"}),
        ("receiving", {}),
    ):
        done = services.advance_order(order=done, target=target, user=ops, role="ops", data=data)
    first, second = done.cartons.all()
    services.record_receiving(
        order=done, carton_id=first.carton_id, counts={first.lines.get().pk: (40, 0)}, user=ops
    )
    services.record_receiving(
        order=done, carton_id=second.carton_id, counts={second.lines.get().pk: (37, 2)}, user=ops
    )
    services.advance_order(order=done, target="completed", user=ops, role="ops", comment="1 short, 2 damaged")
