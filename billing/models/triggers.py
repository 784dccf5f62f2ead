"""PostgreSQL triggers (django-pgtrigger) that keep issued billing documents immutable (SPEC §9), beside the
model layer's refusal: a raw ``UPDATE`` of an issued document's content, its ``DELETE``, and any change to the
lines of an issued document are refused by the database. Only the status fields may change. On SQLite (``make
run``) pgtrigger installs nothing; the models' ``save``/``delete`` still refuse."""

from __future__ import annotations

import pgtrigger

ISSUED = "issued"


class IssuedContentChanged(pgtrigger.Condition):
    """``OLD`` is issued and a column not in ``allowed`` changed (plain SQL, the same on every backend)."""

    def __init__(self, allowed):
        self.allowed = frozenset(allowed)
        super().__init__(sql="-")

    def resolve(self, model) -> str:
        columns = sorted(
            field.column
            for field in model._meta.concrete_fields
            if field.name not in self.allowed and field.attname not in self.allowed
        )
        changed = " OR ".join(f'OLD."{column}" IS DISTINCT FROM NEW."{column}"' for column in columns)
        return f"OLD.\"status\" = '{ISSUED}' AND ({changed})"


def issued_document_triggers(prefix: str, allowed) -> list[pgtrigger.Trigger]:
    """Refuse a change to the content of an issued document, and its delete."""
    return [
        pgtrigger.Protect(
            name=f"{prefix}_issued_content",
            operation=pgtrigger.Update,
            condition=IssuedContentChanged(allowed),
        ),
        pgtrigger.Protect(
            name=f"{prefix}_issued_delete",
            operation=pgtrigger.Delete,
            condition=pgtrigger.Condition(f"OLD.\"status\" = '{ISSUED}'"),
        ),
    ]


def issued_lines_trigger(prefix: str, document_table: str, document_column: str) -> pgtrigger.Trigger:
    """Refuse an INSERT, UPDATE or DELETE of a line whose document (before or after) is issued."""
    issued = f"SELECT 1 FROM {document_table} WHERE id = %s.\"{document_column}\" AND status = '{ISSUED}'"
    return pgtrigger.Trigger(
        name=f"{prefix}_issued_lines",
        when=pgtrigger.Before,
        operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
        func=f"""
            IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS ({issued % "OLD"}) THEN
                RAISE EXCEPTION 'billing: the lines of an issued document cannot change (% on %)',
                    TG_OP, TG_TABLE_NAME;
            END IF;
            IF TG_OP IN ('UPDATE', 'INSERT') AND EXISTS ({issued % "NEW"}) THEN
                RAISE EXCEPTION 'billing: the lines of an issued document cannot change (% on %)',
                    TG_OP, TG_TABLE_NAME;
            END IF;
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            RETURN NEW;
        """,
    )
