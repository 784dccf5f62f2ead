"""The one-way dependency graph (issue 11, README "Layers"): imports follow the import-linter contracts,
and no model points at a model of a higher layer (a ForeignKey, even as a string, is an import)."""

import subprocess
import sys
from pathlib import Path

from django.apps import apps

REPO = Path(__file__).resolve().parent.parent

# Lowest first, by app label. Django's and third-party apps sit below everything of the project.
LAYERS = {"portal": 0, "tariffs": 1, "inventory": 2, "billing": 3, "dashboard": 4}
BELOW_EVERYTHING = -1


def layer_of(model) -> int:
    return LAYERS.get(model._meta.app_label, BELOW_EVERYTHING)


def wrong_way_relations() -> list[str]:
    wrong = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label not in LAYERS:
            continue
        for field in model._meta.get_fields(include_hidden=True):
            if not field.concrete and not field.many_to_many:
                continue  # reverse accessors: the relation is checked from the model that holds it
            target = field.related_model if field.is_relation else None
            if target is None or isinstance(target, str):
                continue
            if layer_of(target) > layer_of(model):
                wrong.append(f"{model._meta.label}.{field.name} -> {target._meta.label}")
    return wrong


def test_every_relation_points_to_the_same_or_a_lower_layer():
    assert wrong_way_relations() == []


def test_the_walk_sees_every_kind_of_relation():
    """The check finds the relations it must judge: FKs across layers, one-to-ones, many-to-manys."""
    from inventory.models import InboundOrder
    from portal.models import Warehouse
    from tariffs.models import RateCard

    assert InboundOrder._meta.get_field("warehouse").related_model is Warehouse
    assert layer_of(RateCard._meta.get_field("operator").related_model) == LAYERS["portal"]
    kinds = {
        (field.many_to_many, field.one_to_one)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.concrete and field.is_relation and model._meta.app_label in LAYERS
    }
    assert (False, False) in kinds  # plain ForeignKeys
    assert (True, False) in kinds  # User.groups / user_permissions (portal's user model)


def test_a_relation_from_a_lower_to_a_higher_layer_is_reported():
    """Fail-first: a base model pointing at inventory is what the check exists to catch."""
    from django.db import models

    class WrongWay(models.Model):
        sku = models.ForeignKey("inventory.Sku", on_delete=models.CASCADE)

        class Meta:
            app_label = "portal"

        def __str__(self) -> str:
            return str(self.pk)

    try:
        assert wrong_way_relations() == ["portal.WrongWay.sku -> inventory.Sku"]
    finally:
        del apps.all_models["portal"]["wrongway"]
        apps.clear_cache()
    assert wrong_way_relations() == []


def test_the_import_contracts_hold():
    """``make lint`` runs this too; here so that a plain ``pytest`` fails on a wrong-way import."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
