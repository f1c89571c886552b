"""The SQL files of the repository's `sql/` folder, and what each one needs, read from its own text.

A file names every table it reads: `staging.<table>` and `marts.<table>` for stored tables, and the bare name of
an intermediate model (`sql/intermediate/<name>.sql`, built as a temporary table of that name). Its leading comment
says what it builds; a line `-- windows: <kind>` in it says over which windows a mart is built (see marts.py). Files
that take the period as a value use the parameter `$period`. Nothing else is needed to run a file: the runner
(marts.py) reads all of this from the text, and Dagster's dependencies are derived from it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property
from graphlib import TopologicalSorter
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
STORED_TABLE = re.compile(r"\b(staging|marts)\.([a-z_][a-z0-9_]*)\b")
DIRECTIVE = re.compile(r"^--\s*(windows):\s*(\S+)\s*$")
# Comments and string literals name no table.
_NOT_CODE = re.compile(r"--[^\n]*|'(?:[^']|'')*'")


@cache
def read_sql(layer: str, name: str) -> str:
    """The text of `sql/<layer>/<name>.sql`."""
    return (SQL_DIR / layer / f"{name}.sql").read_text(encoding="utf-8")


def names(layer: str) -> list[str]:
    return sorted(p.stem for p in (SQL_DIR / layer).glob("*.sql"))


@dataclass(frozen=True)
class SqlFile:
    layer: str
    name: str

    @classmethod
    def at(cls, path: Path | str) -> SqlFile:
        """The file at `path` (inside `sql/`)."""
        resolved = Path(path).resolve()
        if resolved.suffix != ".sql" or resolved.parent.parent != SQL_DIR:
            raise ValueError(f"{path}: not a SQL file of {SQL_DIR}/<layer>/")
        return cls(resolved.parent.name, resolved.stem)

    @property
    def text(self) -> str:
        return read_sql(self.layer, self.name)

    @cached_property
    def _header(self) -> list[str]:
        lines = []
        for line in self.text.splitlines():
            if not line.startswith("--"):
                break
            lines.append(line)
        return lines

    @property
    def description(self) -> str:
        """The leading comment, directives left out: what the file builds, said once."""
        return " ".join(line.removeprefix("--").strip() for line in self._header if not DIRECTIVE.match(line))

    @property
    def windows(self) -> str | None:
        """The `-- windows:` directive of the leading comment, if any."""
        found = [m.group(2) for m in map(DIRECTIVE.match, self._header) if m]
        return found[0] if found else None

    @cached_property
    def _code(self) -> str:
        return _NOT_CODE.sub(" ", self.text)

    @property
    def stored_tables(self) -> set[str]:
        """`schema.table` of every stored table the file reads itself."""
        return {f"{schema}.{table}" for schema, table in STORED_TABLE.findall(self._code)}

    @property
    def intermediates(self) -> set[str]:
        """The intermediate models the file reads itself."""
        words = set(re.findall(r"\b[a-z_][a-z0-9_]*\b", self._code))
        return {name for name in intermediate_names() if name in words and name != self.name}

    @property
    def takes_period(self) -> bool:
        return "$period" in self._code


@cache
def intermediate_names() -> frozenset[str]:
    return frozenset(names("intermediate"))


def intermediates_needed(file: SqlFile) -> list[str]:
    """Every intermediate `file` reads, directly or through another, each after those it reads."""
    graph: dict[str, set[str]] = {}
    pending = list(file.intermediates)
    while pending:
        name = pending.pop()
        if name not in graph:
            graph[name] = SqlFile("intermediate", name).intermediates
            pending.extend(graph[name])
    return list(TopologicalSorter(graph).static_order())


def tables_read(file: SqlFile) -> set[str]:
    """Every stored table `file` reads, directly or through its intermediates."""
    tables = set(file.stored_tables)
    for name in intermediates_needed(file):
        tables |= SqlFile("intermediate", name).stored_tables
    return tables


def macros_in_order() -> list[str]:
    """The texts of `sql/macros/*.sql`, each after the macros it calls."""
    graph = {name: {other for other in names("macros") if other != name
                    and re.search(rf"\b{other}\s*\(", _NOT_CODE.sub(" ", read_sql("macros", name)))}
             for name in names("macros")}
    return [read_sql("macros", name) for name in TopologicalSorter(graph).static_order()]
