"""Demo data for `make run`: sellers, their logins, and ops staff. Idempotent."""

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from .models import Seller, SellerUser, User

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
        "billing_email": "billing@youpin.example.com",
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
        "billing_email": "billing@sakura.example.com",
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
        "billing_email": "billing@saigonhome.example.com",
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
STAFF = [
    ("ops@example.com", "ops", False),
    ("finance@example.com", "finance", False),
    ("admin@example.com", None, True),
]


@transaction.atomic
def load_demo_data() -> list[DemoLogin]:
    logins: list[DemoLogin] = []
    for spec in SELLERS:
        spec = dict(spec)
        users = spec.pop("users")
        seller, _ = Seller.objects.update_or_create(
            code=spec["code"],
            defaults={**spec, "status": Seller.Status.ACTIVE, "approved_at": timezone.now()},
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
    return logins


def load_demo_warehouses() -> None:
    """Warehouses, service lines and the demo sellers' contracts under the preset rate cards."""
    from datetime import date

    from inventory.models import Operator, ServiceLine, Warehouse
    from tariffs.models import Contract, RateCard

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
            Contract.objects.update_or_create(
                seller=seller,
                service_line=ServiceLine.objects.get(warehouse__code=warehouse, code=line),
                defaults={
                    "rate_card": RateCard.objects.get(code=card, currency=currency),
                    "customer_class": customer_class,
                    "starts_on": date(2016, 1, 1),
                },
            )
