"""`make bench`: run every benchmark module in tests/bench/ and print one table."""

import importlib
import os
import pkgutil
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def main() -> int:
    import django

    django.setup()
    rows: list[tuple[str, str, str]] = []
    package_dir = Path(__file__).parent
    for module_info in sorted(pkgutil.iter_modules([str(package_dir)]), key=lambda m: m.name):
        if not module_info.name.startswith("bench_"):
            continue
        module = importlib.import_module(f"tests.bench.{module_info.name}")
        rows.extend(module.run())
    print(f"{'benchmark':<48} {'result':>18}  note")
    print("-" * 90)
    if not rows:
        print("(no benchmarks yet)")
    for name, result, note in rows:
        print(f"{name:<48} {result:>18}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
