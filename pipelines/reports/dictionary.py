"""The data dictionary of the public downloads (public/data/dictionary.json): for each download, what it holds (its
query's leading comment) and each column's type (from the query), unit and meaning (public_dictionary.toml)."""

from __future__ import annotations

import json
import tomllib

from pipelines.reports.data import ReportData
from pipelines.sql import SQL_DIR, SqlFile

DICTIONARY_TOML = SQL_DIR / "reports" / "public_dictionary.toml"
DICTIONARY = "public/data/dictionary.json"


class UndocumentedColumn(KeyError):
    """A public download's column that public_dictionary.toml does not describe."""


def dictionary(data: ReportData) -> list[dict]:
    documented = tomllib.loads(DICTIONARY_TOML.read_text(encoding="utf-8"))
    downloads = []
    for name, columns in sorted(data.public_columns.items()):
        described = []
        for column, kind in columns:
            entry = documented.get(name, {}).get(column) or documented["columns"].get(column)
            if entry is None:
                raise UndocumentedColumn(f"{DICTIONARY_TOML.name}: no unit and meaning for {name}.{column}")
            unit, meaning = entry
            described.append({"column": column, "type": kind, "unit": unit, "meaning": meaning})
        downloads.append({"download": name, "files": [f"{name}.csv", f"{name}.json"],
                          "description": SqlFile("reports", f"public_{name}").description, "columns": described})
    return downloads


def dictionary_json(data: ReportData) -> bytes:
    return (json.dumps(dictionary(data), ensure_ascii=False, indent=1) + "\n").encode("utf-8")
