"""One DORA report as the authorities' "IR" JSON: built from the fields' sources, checked against the project's JSON
Schema (derived from pipelines/dora/fields.py, kept in schemas/dora/) and against the stage rules of ITS 2025/302
Annex II, every problem naming the field's number."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jsonschema

from pipelines.dora import its
from pipelines.dora.fields import BY_NUMBER, FIELDS, Field, Source, empty

SCHEMA_VERSION = "IR-1.2.1"
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "dora" / f"{SCHEMA_VERSION}.schema.json"
REPORT_NAMES = {"initial": "initial notification", "intermediate": "intermediate report",
                "updated_intermediate": "updated intermediate report", "final": "final report",
                "reclassified": "reclassification as non-major"}


@dataclass(frozen=True, order=True)
class FieldError:
    number: str  # the ITS field, e.g. "2.7"
    problem: str

    def __str__(self) -> str:
        return f"field {self.number} ({BY_NUMBER[self.number].label}): {self.problem}"


def _put(document: dict, path: tuple, value: object) -> None:
    node: dict | list = document
    for key, following in zip(path, path[1:]):
        child = [] if isinstance(following, int) else {}
        if isinstance(key, int):
            while len(node) <= key:
                node.append(child)
            node = node[key]
        else:
            node = node.setdefault(key, child)
    node[path[-1]] = value


def value_at(document: dict, path: tuple) -> object:
    node: object = document
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def build(source: Source) -> dict:
    """The report of `source.stage`: every field the stage may carry (Y or C) whose value is known; empty values
    are left out, as the authorities' schema wants."""
    document: dict = {}
    for field in FIELDS:
        if field.rule(source.stage) != "N" and not empty(value := field.value(source)):
            _put(document, field.path, value)
    return document


def _set_schema(tree: dict, path: tuple, schema: dict) -> None:
    node = tree
    for key, following in zip(path, path[1:]):
        if isinstance(following, int):
            node = node["properties"].setdefault(key, {"type": "array", "minItems": 1, "items": {}})["items"]
            node.setdefault("type", "object")
            node.setdefault("additionalProperties", False)
            node.setdefault("properties", {})
        elif isinstance(key, int):
            continue
        else:
            node = node["properties"].setdefault(key, {"type": "object", "additionalProperties": False,
                                                       "properties": {}})
    last = path[-1]
    node["properties"][last] = {**schema, "description": f"field {_number_of(path)}"}


def _number_of(path: tuple) -> str:
    return next(f.number for f in FIELDS if f.path == path)


def schema() -> dict:
    """The JSON Schema of every stage's file, from the field table (`make schemas` writes it to SCHEMA_FILE)."""
    tree = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_VERSION,
            "title": "DORA major ICT-related incident report (ITS 2025/302 Annex II)", "type": "object",
            "additionalProperties": False, "required": ["incidentSubmission", "submittingEntity", "incident"],
            "properties": {}}
    for field in FIELDS:
        _set_schema(tree, field.path, field.schema)
    return tree


def schema_text() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


@cache
def _validator() -> jsonschema.Draft202012Validator:
    stored = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(stored, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _field_at(path: tuple) -> Field | None:
    """The field at `path` of a document, or the one whose value holds it (an item of a list field)."""
    for length in range(len(path), 0, -1):
        prefix = tuple(path[:length])
        found = next((f for f in FIELDS if f.path == prefix), None)
        if found:
            return found
    return None


def schema_errors(document: dict) -> list[FieldError]:
    """The schema's complaints, each at the field it is about (or the first field under the object it is about)."""
    errors = []
    for error in _validator().iter_errors(document):
        path = tuple(error.absolute_path)
        field = _field_at(path) or next((f for f in FIELDS if f.path[:len(path)] == path), FIELDS[0])
        errors.append(FieldError(field.number, f"schema {SCHEMA_VERSION}: {error.message}"))
    return errors


def stage_errors(document: dict, source: Source) -> list[FieldError]:
    """The ITS stage rules: every mandatory field of the stage present, every conditional one whose condition
    holds; none the stage does not take; the root-cause hierarchy of 4.1-4.3 respected."""
    report = REPORT_NAMES[source.stage]
    errors = []
    for field in FIELDS:
        rule, present = field.rule(source.stage), not empty(value_at(document, field.path))
        if rule == "Y" and not present:
            errors.append(FieldError(field.number, f"mandatory in the {report} and missing"))
        elif rule == "C" and not present and field.condition and field.condition(source):
            errors.append(FieldError(field.number, f"required in the {report} here and missing"))
        elif rule == "N" and present:
            errors.append(FieldError(field.number, f"not part of the {report}"))
    high = set(value_at(document, BY_NUMBER["4.1"].path) or [])
    for detail in value_at(document, BY_NUMBER["4.2"].path) or []:
        parent = next(h for h, details in its.ROOT_CAUSES.items() if detail in details)
        if parent not in high:
            errors.append(FieldError("4.2", f"{detail} belongs to the high-level type {parent}, not given in 4.1"))
    details = set(value_at(document, BY_NUMBER["4.2"].path) or [])
    for extra in value_at(document, BY_NUMBER["4.3"].path) or []:
        parent = next(d for d, extras in its.ADDITIONAL_ROOT_CAUSES.items() if extra in extras)
        if parent not in details:
            errors.append(FieldError("4.3", f"{extra} refines the detailed type {parent}, not given in 4.2"))
    return errors


def validate(document: dict, source: Source) -> list[FieldError]:
    """Every problem of `document` as the `source.stage` report: the schema's, then the stage rules'."""
    return sorted(set(schema_errors(document) + stage_errors(document, source)),
                  key=lambda e: (tuple(int(p) for p in e.number.split(".")), e.problem))
