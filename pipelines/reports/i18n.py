"""The public pages' languages: gettext catalogs (locales/<language>/LC_MESSAGES/messages.po) read with Babel.

English is the source language: the templates, the metric definitions and the code labels are written in it, and
a catalog translates them. `make catalogs` extracts every text (babel.cfg) and merges it into each catalog; a test
checks that each catalog translates every text extracted. The .po files are compiled in memory when a report is
rendered, so no compiled catalog is kept beside them to go stale.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = Path(__file__).resolve().parents[2] / "locales"
SOURCE_LANGUAGE = "en"
DOMAIN = "messages"


def catalog_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def languages() -> tuple[str, ...]:
    """Every language a public page can be published in: the source language and each catalog's."""
    return (SOURCE_LANGUAGE, *sorted(p.parents[1].name for p in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po")))


@cache
def translations(language: str) -> NullTranslations:
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    path = catalog_path(language)
    if not path.is_file():
        raise LookupError(f"no catalog for the language {language!r}: {path} does not exist "
                          f"(languages with one: {', '.join(languages())})")
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def display_name(language: str) -> str:
    """A language's name in itself, as a language menu lists it: English, Deutsch."""
    name = Locale.parse(language).get_display_name(language)
    return name[:1].upper() + name[1:]


def N_(message: str) -> str:
    """Marks a text for extraction where it is defined; it is translated where it is shown."""
    return message


def code_label(code: str) -> str:
    """A code as English words, the catalogs' key for it: partially_approved → Partially approved."""
    return code.replace("_", " ").capitalize()


# Babel extractors (babel.cfg): the texts the public pages take from data rather than from a template.
def extract_metric_texts(fileobj, keywords, comment_tags, options):
    """The label of every metric (the compensation root's sums name some that are not public) and the description
    of every public one (sql/seeds/metrics.csv)."""
    for line, row in enumerate(csv.DictReader(io.TextIOWrapper(fileobj, encoding="utf-8")), start=2):
        yield line, None, row["label"], [f"metric {row['metric']}"]
        if row["public"] == "yes":
            yield line, None, row["description"], [f"metric {row['metric']}"]


# Codes and labels the marts derive (not the contract's) that a public page shows.
DERIVED_CODES = {"inflow": "fund movement direction", "outflow": "fund movement direction",
                 "operational": "a day's worst impact", "blocking": "check kind", "warning": "check kind"}
BACKLOG_BUCKETS = ("0-7 days", "7-30 days", "30-90 days", "90+ days")  # marts/claims_backlog.sql


def extract_code_labels(fileobj, keywords, comment_tags, options):
    """The label of every table and of every value of the data contract's enumerations (a public page shows them
    as words), and the codes and labels the marts derive."""
    from pipelines.contract import TABLES

    public = [table for table in TABLES if not table.confidential]
    codes = {table.name: "table" for table in public}
    codes |= {value: f"{table.name}.{column.name}" for table in public for column in table.columns
              for value in column.values}
    for code, comment in (codes | DERIVED_CODES).items():
        yield 1, None, code_label(code), [comment]
    for bucket in BACKLOG_BUCKETS:
        yield 1, None, bucket, ["age of pending claims"]


def extract_check_texts(fileobj, keywords, comment_tags, options):
    """The description of a consistency check (sql/checks/<name>.sql's leading comment), as the page shows it."""
    from pipelines.sql import SqlFile

    path = Path(fileobj.name)
    description = SqlFile("checks", path.stem).description
    yield 1, None, _without_kind(description), [f"check {path.stem}"]


def _without_kind(description: str) -> str:
    """A check's description without its leading "Blocking." or "Warning." (public_checks.sql drops it too)."""
    for kind in ("Blocking.", "Warning."):
        if description.startswith(kind):
            return description.removeprefix(kind).lstrip()
    return description


