"""The translations of docs/i18n/messages_translations.json in Django's catalogs, for tests (issue 12).

Until the lead merges them into the .po files (and where the .mo files are not compiled), the ``translated``
fixture adds each entry the active catalogs lack, and takes it out again afterwards."""

import json
from pathlib import Path

import pytest
from django.utils.translation import trans_real

TRANSLATIONS = json.loads(
    (Path(__file__).resolve().parents[1] / "docs" / "i18n" / "messages_translations.json").read_text("utf-8")
)
LANGUAGES = {"zh_Hans": "zh-hans", "ja": "ja", "vi": "vi"}


@pytest.fixture
def translated():
    added = []
    for column, code in LANGUAGES.items():
        catalog = trans_real.translation(code)._catalog._catalogs[0]
        for msgid, entry in TRANSLATIONS.items():
            key = (msgid, 0) if "msgid_plural" in entry else msgid
            if key not in catalog:
                catalog[key] = entry[column]
                added.append((catalog, key))
    yield
    for catalog, key in added:
        del catalog[key]
