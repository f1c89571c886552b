"""The rendered reports, end to end: figures as displayed, PDF/A-3 with its data attached, no confidential field in
any public file, byte-identical reruns, safe rendering, small cells withheld, an accessible offline page, and
immutable versions.

Each scenario runs the whole graph once per module (module-scoped fixtures); the tests only read what it wrote.

* `demo`: two months of demo data (April and May 2026) with a unique marker planted in every confidential field
  and an incident title made of HTML with a remote image; May is reported.
* `demo_again`: the same landing files in a fresh warehouse and reports folder.
* `small`: the small hand-written set, grown so that one decision row describes fewer than k users.
* `republished`: a copy of `small` run again unchanged, then with one input value changed.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import dagster as dg
import markupsafe
import pypdf
import pytest
from landing_builder import valid_tables, write_landing

from pipelines.contract import TABLES
from pipelines.defs.metrics import PREVIOUS_MONTH_SELECTION
from pipelines.defs.resources import make_resources
from pipelines.demo import generate_demo
from pipelines.materialize import materialize
from pipelines.profile import load_profile
from pipelines.reports import formatting, render
from pipelines.reports.data import ReportData, load_report_data, report_queries
from pipelines.reports.render import (
    ASSETS,
    TEMPLATES,
    AssetsOnlyFetcher,
    RefusedFetch,
    render_html,
    table_csv,
    table_json,
    write_pdf,
)
from pipelines.warehouse import connect

MAY = "2026-05"
APRIL = "2026-04"
STAMP = datetime(2026, 5, 31, 23, 59, 59, tzinfo=UTC)  # a render date that is not the clock
K = 10  # small_cell_k of the demo profile

# Markers planted in the confidential fields of the demo input; none may reach a public file.
ACCOUNT_MARKER = "LEAKACCT"  # + a number per account
ROOT_CAUSE_MARKER = "LEAKCAUSE"  # + a number per incident
NOTES_MARKER = "LEAKNOTE"
ECONOMIC_COST = "987654.321987"  # one May incident's economic cost
# The cost as it could stand in a file: the exact decimal cut anywhere after the point, or displayed with grouping.
COST_FORMS = ("987654.3", "987,654")
MARKERS = (ACCOUNT_MARKER, ROOT_CAUSE_MARKER, NOTES_MARKER, *COST_FORMS)
PLANTED = {
    ("compensation_claims", "account_ref"),
    ("incidents", "economic_cost"),
    ("incidents", "root_cause_detail"),
    ("incidents", "internal_notes"),
}
HOSTILE_TITLE = '<img src="http://example.invalid/x.png"> <b>Outage</b>'


# --- Running the graph -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    landing: Path
    warehouse: Path  # the build folder is beside it
    reports: Path

    @classmethod
    def under(cls, root: Path, landing: Path | None = None) -> Scenario:
        return cls(landing or root / "landing", root / "warehouse" / "warehouse.duckdb", root / "reports")

    def run(self) -> dg.ExecuteInProcessResult:
        resources = make_resources(str(self.landing), str(self.warehouse), "", str(self.reports))
        # April's incident register first: May's month over month reads it
        materialize(resources, f"key:staging/* or {PREVIOUS_MONTH_SELECTION}", APRIL)
        result = materialize(resources, period=MAY)
        assert result.success, [f"{e.step_key}: {root_cause(e.step_failure_data.error)}"
                                for e in result.all_events if e.is_step_failure]
        return result

    def version(self, number: int = 1) -> Path:
        return self.reports / MAY / f"v{number}"

    @property
    def public(self) -> Path:
        return self.version() / "public"

    @property
    def regulator_pdf(self) -> Path:
        return self.version() / "regulator" / "report.pdf"

    def data(self) -> ReportData:
        with connect(self.warehouse) as con:
            return load_report_data(con, MAY)

    def period_metrics(self) -> dict[str, tuple[Decimal, str]]:
        with connect(self.warehouse, read_only=True) as con:
            rows = con.execute("SELECT metric, value, unit FROM marts.period_metrics WHERE period = ?", [MAY])
            return {metric: (value, unit) for metric, value, unit in rows.fetchall()}

    def metric_labels(self) -> dict[str, str]:
        with connect(self.warehouse, read_only=True) as con:
            return dict(con.execute("SELECT metric, label FROM staging.metric_definitions").fetchall())


def root_cause(error) -> str:
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


def plant_markers(landing: Path) -> None:
    """A marker in every confidential field of the demo landing files; the first incident of May gets the unique
    economic cost and the hostile title."""
    path = landing / "incidents.jsonl"
    incidents = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for n, incident in enumerate(incidents):
        incident["root_cause_detail"] = f"{ROOT_CAUSE_MARKER}{n:04d}"
        incident["internal_notes"] = f"{NOTES_MARKER}{n:04d}"
    first_of_may = min((i for i in incidents if i["started_at"].startswith(MAY)), key=lambda i: i["started_at"])
    first_of_may["economic_cost"] = ECONOMIC_COST
    first_of_may["title"] = HOSTILE_TITLE
    path.write_text("".join(json.dumps(i) + "\n" for i in incidents), encoding="utf-8")

    path = landing / "compensation_claims.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns, claims = reader.fieldnames, list(reader)
    accounts: dict[str, str] = {}  # the same account keeps one marker, so users are still counted right
    for claim in claims:
        claim["account_ref"] = accounts.setdefault(claim["account_ref"], f"{ACCOUNT_MARKER}{len(accounts):06d}")
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(claims)


def small_cell_tables() -> dict:
    """The valid set with 12 approved claims (by 12 users, 4 of them paid), 11 rejected as unrealized profit and 3
    rejected as not affected: one decision row of fewer than k users, and fewer than k users compensated."""
    tables = valid_tables()
    claims = tables["compensation_claims"]
    approved, rejected = claims[0], claims[1]

    def more(base: dict, count: int, first: int, **changes) -> list[dict]:
        return [dict(base, claim_id=f"CLM-{n}", account_ref=f"acct_{n:04d}", **changes)
                for n in range(first, first + count)]

    claims += more(approved, 11, 100)
    claims += more(rejected, 10, 200)
    claims += more(rejected, 3, 300, rejection_reason="not_affected")
    payout = tables["compensation_payouts"][0]
    tables["compensation_payouts"] += [
        dict(payout, payout_id=f"PAY-{n}", claim_id=f"CLM-{n}", amount="0.01000000") for n in range(100, 103)
    ]
    tables["incidents"][1]["clients_affected"] = "4"
    return tables


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Scenario:
    scenario = Scenario.under(tmp_path_factory.mktemp("demo"))
    generate_demo(scenario.landing, "2026-04", 2, 7, load_profile())
    plant_markers(scenario.landing)
    scenario.run()
    return scenario


@pytest.fixture(scope="module")
def demo_again(demo: Scenario, tmp_path_factory) -> Scenario:
    scenario = Scenario.under(tmp_path_factory.mktemp("demo_again"), landing=demo.landing)
    scenario.run()
    return scenario


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Scenario:
    root = tmp_path_factory.mktemp("small")
    scenario = Scenario.under(root, landing=write_landing(root / "landing", small_cell_tables()))
    scenario.run()
    return scenario


@dataclass(frozen=True)
class Republication:
    scenario: Scenario
    first: dict[str, bytes]  # reports/ after the first run
    unchanged: dict[str, bytes]  # after a second run on the same inputs
    changed: dict[str, bytes]  # after a run with one input value changed


CHANGED_SUMMARY = "Order matching stopped; a corrected summary."


@pytest.fixture(scope="module")
def republished(small: Scenario, tmp_path_factory) -> Republication:
    root = tmp_path_factory.mktemp("republished")
    for part in ("landing", "warehouse", "reports"):
        shutil.copytree(small.landing.parent / part, root / part)
    scenario = Scenario.under(root)
    first = tree(scenario.reports)
    scenario.run()
    unchanged = tree(scenario.reports)
    tables = small_cell_tables()
    tables["incidents"][0]["public_summary"] = CHANGED_SUMMARY
    write_landing(scenario.landing, tables)
    scenario.run()
    return Republication(scenario, first, unchanged, tree(scenario.reports))


# --- Reading what was written ----------------------------------------------------------------------------------


def tree(folder: Path) -> dict[str, bytes]:
    """Every published file's bytes by relative path; the analyst snapshot (a DuckDB file) aside."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "analytics.duckdb"}


def pdf_text(path: Path, layout: bool = False) -> str:
    # Without -layout, in content order (-raw): a table cell's wrapped lines stay together.
    args = ["pdftotext", "-enc", "UTF-8", "-layout" if layout else "-raw", str(path), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout.replace("\xa0", " ")


def flat(text: str) -> str:
    """Text with every run of white space made one space (line breaks in a PDF fall anywhere)."""
    return re.sub(r"\s+", " ", text.replace("\xa0", " "))


def squeezed(text: str) -> str:
    """Text without any white space or soft hyphen: a string broken across lines is still found."""
    return re.sub(r"[\s\u00ad]+", "", text)


def pdf_objects(path: Path) -> str:
    """Every object of a PDF, streams decompressed (page contents, structure tree, metadata, fonts...)."""
    reader = pypdf.PdfReader(path)
    parts = [repr(reader.trailer)]
    for number in range(1, int(reader.trailer["/Size"])):
        try:
            obj = reader.get_object(number)
        except Exception:  # a free entry
            continue
        if isinstance(obj, pypdf.generic.StreamObject):
            parts.append(repr({k: v for k, v in obj.items()}))
            parts.append(obj.get_data().decode("latin-1"))
        elif obj is not None:
            parts.append(repr(obj))
    return "\n".join(parts)


def attachments(pdf: Path, folder: Path) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdfdetach", "-saveall", "-o", str(folder), str(pdf)], check=True, capture_output=True)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def leaks(text: str) -> list[str]:
    low = text.lower()
    return [m for m in MARKERS if m.lower() in low]


class Page(HTMLParser):
    """The parts of an HTML page the tests look at: elements with their attributes, and the tables' cells."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.tables: list[dict] = []  # {"caption": str, "rows": [[cell text, ...]], "th": [attrs, ...]}
        self.texts: dict[str, str] = {}  # text of <title>, and of the svg's <title>/<desc> by id
        self._open: list[dict] = []
        self._cell: list[str] | None = None
        self._capture: tuple[str, str] | None = None
        self._caption = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "table":
            self._open.append({"caption": "", "rows": [], "th": []})
        elif tag == "caption":
            self._caption = True
        elif tag == "tr" and self._open:
            self._open[-1]["rows"].append([])
        elif tag in ("td", "th") and self._open:
            self._cell = []
            if tag == "th":
                self._open[-1]["th"].append(attributes)
        elif tag in ("title", "desc"):
            self._capture = (tag, attributes.get("id") or tag)
            self.texts[self._capture[1]] = ""

    def handle_endtag(self, tag):
        if tag == "table" and self._open:
            self.tables.append(self._open.pop())
        elif tag == "caption":
            self._caption = False
        elif tag in ("td", "th") and self._cell is not None:
            self._open[-1]["rows"][-1].append(flat("".join(self._cell)).strip())
            self._cell = None
        elif tag in ("title", "desc"):
            self._capture = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._caption and self._open:
            self._open[-1]["caption"] += data
        if self._capture:
            self.texts[self._capture[1]] += data

    def table(self, caption_start: str) -> dict:
        return next(t for t in self.tables if flat(t["caption"]).strip().startswith(caption_start))


def public_files(scenario: Scenario, version: int = 1) -> dict[str, bytes]:
    """What a reader of the website can get: the public folder, the manifest (linked from the archive), the archive
    page and its assets."""
    files = {f"public/{k}": v for k, v in tree(scenario.version(version) / "public").items()}
    files["manifest.json"] = (scenario.version(version) / "manifest.json").read_bytes()
    files["index.html"] = (scenario.reports / "index.html").read_bytes()
    files |= {f"assets/{k}": v for k, v in tree(scenario.reports / "assets").items()}
    return files


def csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


# --- 1. Headline figures, as displayed, in both PDFs -------------------------------------------------------------


def test_public_pdf_shows_the_headline_figures_of_period_metrics(demo):
    metrics = demo.period_metrics()
    text = flat(pdf_text(demo.public / "report.pdf"))
    value = {metric: v for metric, (v, _) in metrics.items()}
    expected = [
        f"{formatting.count(value['incidents_started'])} incident",
        formatting.usd(value["compensation_paid_usd"]),
        f"{formatting.count(value['users_compensated'])} users",
        formatting.usd(value["insurance_fund_closing_usd"]),
        formatting.percent(value["insurance_fund_change_pct"], 1, signed=True),
        formatting.count(value["claims_decided"]),
        formatting.count(value["bankruptcies_covered"]),
        formatting.duration_minutes(value["mttr_minutes_median"]),
        f"largest drawdown {formatting.percent(value['insurance_fund_max_drawdown_pct'], 1)}",
    ]
    assert value["users_compensated"] >= K  # nothing withheld: every figure must be shown
    assert [e for e in expected if e not in text] == []
    # The month-over-month table shows the figures by their unit, from the same values.
    page = Page((demo.public / "index.html").read_text(encoding="utf-8"))
    labels = demo.metric_labels()
    mom = {row[0]: row[1] for row in page.table("May 2026 against")["rows"][1:]}
    for metric in ("compensation_paid_usd", "insurance_fund_closing_usd", "insurance_fund_change_pct",
                   "claims_decided", "mttr_minutes_p90"):
        v, unit = metrics[metric]
        assert mom[labels[metric]] == formatting.for_unit(unit)(v), metric


def test_regulator_pdf_shows_every_summary_figure_of_period_metrics(demo):
    metrics = demo.period_metrics()
    labels = demo.metric_labels()
    text = pdf_text(demo.regulator_pdf, layout=True)
    keys = ["incidents_started", "incidents_major", "incident_impact_minutes", "mttd_minutes_median",
            "mttr_minutes_median", "mttr_minutes_p90", "clients_affected", "claims_received", "claims_decided",
            "claims_pending_end", "compensation_paid_usd", "users_compensated", "payout_latency_hours_median",
            "payout_latency_hours_p90", "insurance_fund_opening_usd", "insurance_fund_closing_usd",
            "insurance_fund_change_pct", "insurance_fund_max_drawdown_pct", "bankruptcies_covered"]
    missing = []
    for key in keys:
        value, unit = metrics[key]
        shown = formatting.for_unit(unit)(value)
        # the executive summary: one line per figure, its label then its value (pdftotext may drop the narrow
        # spaces inside a value: "2 d 5 h" can come out "2d5h")
        value_pattern = r"\s*".join(re.escape(part) for part in shown.split())
        if not re.search(rf"^\s*{re.escape(labels[key])}\s+{value_pattern}\s", text, re.MULTILINE):
            missing.append((key, labels[key], shown))
    assert missing == []
    assert formatting.usd(metrics["compensation_paid_usd"][0]) in text  # e.g. "$547,644"


# --- 2. PDF/A-3b, tagged, every regulator table attached ----------------------------------------------------------


def test_regulator_pdf_is_pdf_a_3b_and_tagged(demo):
    reader = pypdf.PdfReader(demo.regulator_pdf)
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data()
    pdfaid = "{http://www.aiim.org/pdfa/ns/id/}"
    identification = {}
    for element in ET.fromstring(xmp).iter():  # as attributes or as elements, both are valid XMP
        identification |= {k.removeprefix(pdfaid): v for k, v in element.attrib.items() if k.startswith(pdfaid)}
        if element.tag.startswith(pdfaid):
            identification[element.tag.removeprefix(pdfaid)] = (element.text or "").strip()
    assert identification.get("part") == "3"
    assert identification.get("conformance") == "B"
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a pypdf BooleanObject)
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en"
    assert [i["/S"] for i in root["/OutputIntents"]] == ["/GTS_PDFA1"]
    info = subprocess.run(["pdfinfo", str(demo.regulator_pdf)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE)
    assert re.search(r"^CreationDate:\s+\w+ May 31 00:00:00 2026", info, re.MULTILINE)  # the period's last day


def test_regulator_pdf_attaches_a_csv_and_a_json_of_every_regulator_table(demo, tmp_path):
    listing = subprocess.run(["pdfdetach", "-list", str(demo.regulator_pdf)], check=True, capture_output=True,
                             text=True).stdout
    listed = re.findall(r"^\d+: (.+)$", listing, re.MULTILINE)
    tables = [q.removeprefix("regulator_") for q in report_queries("regulator")]
    assert len(tables) >= 10
    assert sorted(listed) == sorted(f"{t}.{ext}" for t in tables for ext in ("csv", "json"))

    attached = attachments(demo.regulator_pdf, tmp_path / "attached")
    data = demo.data()
    assert data.regulator["incident_register"] and data.regulator["largest_payouts"]
    for table in tables:
        assert attached[f"{table}.csv"] == table_csv(data.regulator[table]), table
        assert attached[f"{table}.json"] == table_json(data.regulator[table]), table


# --- 3. No confidential field in any public file ------------------------------------------------------------------


def test_the_markers_cover_every_confidential_column_of_the_contract():
    assert {(t.name, c.name) for t in TABLES for c in t.columns if c.confidential} == PLANTED


def test_no_confidential_marker_in_any_public_file(demo):
    files = public_files(demo)
    assert "public/index.html" in files and "public/report.pdf" in files
    assert {f"public/data/{q.removeprefix('public_')}.{ext}" for q in report_queries("public")
            for ext in ("csv", "json")} <= files.keys()
    found = {name: leaks(content.decode("latin-1")) for name, content in files.items()}
    assert {name: hits for name, hits in found.items() if hits} == {}

    public_pdf = demo.public / "report.pdf"
    assert leaks(squeezed(pdf_text(public_pdf))) == []
    assert leaks(pdf_objects(public_pdf)) == []
    assert leaks(html.unescape((demo.public / "index.html").read_text(encoding="utf-8"))) == []


def test_the_markers_do_reach_the_regulator_report(demo, tmp_path):
    # Otherwise the test above could pass for want of markers in the output.
    text = squeezed(pdf_text(demo.regulator_pdf))
    for marker in (ACCOUNT_MARKER, ROOT_CAUSE_MARKER, NOTES_MARKER, "987,654.32"):
        assert marker in text, marker
    attached = attachments(demo.regulator_pdf, tmp_path / "attached")
    register = attached["incident_register.csv"].decode()
    assert ECONOMIC_COST in register and ROOT_CAUSE_MARKER in register and NOTES_MARKER in register
    assert ACCOUNT_MARKER in attached["largest_payouts.csv"].decode()


# --- 4. Byte-identical reruns -------------------------------------------------------------------------------------


def test_same_inputs_give_byte_identical_outputs(demo, demo_again):
    # The regulators' outboxes are records of deliveries, dated when they are made: they are not outputs compared.
    first, second = (
        {name: content for name, content in tree(s.reports).items() if not name.startswith("outbox/")}
        for s in (demo, demo_again)
    )
    assert sorted(first) == sorted(second)
    for kind in ("public/index.html", "public/report.pdf", "regulator/report.pdf", ".csv", ".json", "manifest.json"):
        assert any(name.endswith(kind) for name in first), kind
    builds = [tree(s.warehouse.parent / "build" / MAY) for s in (demo, demo_again)]
    assert builds[0] == builds[1]  # every file as rendered, before publication
    different = sorted(name for name in first if first[name] != second[name])

    # Publication may sign a PDF by appending a signature dated when it is made; the document signed, all bytes
    # before the signature, is identical, and so is the manifest but for the signed files' hashes.
    prefix = f"{MAY}/v1/"
    signed = [name.removeprefix(prefix) for name in different if name.endswith(".pdf")]
    for name in signed:
        assert first[prefix + name].startswith(builds[0][name]), name
        assert second[prefix + name].startswith(builds[0][name]), name
    manifests = [json.loads(files[prefix + "manifest.json"]) for files in (first, second)]
    for manifest in manifests:
        for name in signed:
            manifest["files"].pop(name)
    assert manifests[0] == manifests[1]
    # The publication log holds each run's manifest hash, and its tree heads are signed when they are made: the
    # same versions are logged, each with its own manifest's hash; the archive page differs in the head it shows.
    for files in (first, second):
        entries = [json.loads(line) for line in files["log/entries.jsonl"].decode().splitlines()]
        assert [(e["version"], e["manifest_sha256"]) for e in entries] == [
            (f"{MAY}/v1", hashlib.sha256(files[prefix + "manifest.json"]).hexdigest())]
    head_shown = re.compile(rb"<dd>(?:(?!</dd>).)*</dd>|<code class=\"hash\">[0-9a-f]{64}</code>")
    for page in [name for name in first if name.endswith("index.html") and "/public/" not in name]:  # each language's
        assert head_shown.sub(b"", first[page]) == head_shown.sub(b"", second[page]), page
    # The feed dates each entry by the head that first logged it.
    dated = re.compile(rb"<(updated|published)>[^<]*</(updated|published)>")
    assert dated.sub(b"", first["feed.atom"]) == dated.sub(b"", second["feed.atom"])
    logged = {"log/entries.jsonl", "log/latest.json", "log/heads/00000001.json", "index.html", "de/index.html",
              "feed.atom"}
    assert set(different) <= {prefix + "manifest.json", *(prefix + name for name in signed), *logged}
    assert set(signed) <= {"regulator/report.pdf"}  # the public files are never signed after rendering


# --- 5. Safe rendering --------------------------------------------------------------------------------------------


def test_html_in_an_incident_title_is_shown_as_text(demo):
    page = (demo.public / "index.html").read_text(encoding="utf-8")
    assert str(markupsafe.escape(HOSTILE_TITLE)) in page
    assert not re.search(r"<img\b", page, re.IGNORECASE)
    assert "<b>Outage" not in page
    incidents = json.loads((demo.public / "data" / "incidents.json").read_bytes())
    assert HOSTILE_TITLE in [i["title"] for i in incidents]  # the data keep it as it was written
    for pdf in (demo.public / "report.pdf", demo.regulator_pdf):
        assert squeezed(HOSTILE_TITLE) in squeezed(pdf_text(pdf)), pdf


def test_rendering_the_reports_fetches_nothing_but_template_assets(demo, tmp_path):
    data = demo.data()
    for template, audience in (("public.html", "public-print"), ("regulator.html", "regulator")):
        page = render_html(template, data, 1, audience)
        assert str(markupsafe.escape(HOSTILE_TITLE)) in page
        fetcher = write_pdf(page, tmp_path / f"{audience}.pdf", stamp=data.end, archival=audience == "regulator")
        assert fetcher.refused == []


def test_a_remote_resource_stops_the_render(tmp_path):
    for html_text in ('<p>x</p><img src="http://example.invalid/x.png">',
                      '<link rel="stylesheet" href="file:///etc/passwd"><p>x</p>'):
        with pytest.raises(RefusedFetch):
            write_pdf(html_text, tmp_path / "refused.pdf", stamp=STAMP)


def test_the_fetcher_serves_template_assets_only():
    fetcher = AssetsOnlyFetcher()
    refused = ["http://example.invalid/x.png", "https://example.invalid/x.css", "file:///etc/passwd",
               (TEMPLATES / "base.html").as_uri(), f"{ASSETS.as_uri()}/../base.html",
               f"{ASSETS.as_uri()}/%2E%2E/base.html", f"{ASSETS.as_uri()}/missing.css", "data:text/css,body{}",
               "ftp://example.invalid/x"]
    for url in refused:
        with pytest.raises(RefusedFetch):
            fetcher.fetch(url)
    assert fetcher.refused == refused

    for asset in (ASSETS / "report.css", ASSETS / "fonts" / "Inter-Regular.otf"):
        response = fetcher.fetch(asset.as_uri())
        try:
            assert response.read() == asset.read_bytes()
        finally:
            response.close()
    assert fetcher.refused == refused


def test_templates_in_a_folder_whose_path_has_a_space_still_render(tmp_path, monkeypatch):
    # WeasyPrint percent-encodes the path in the URLs it asks for: /my%20templates/assets/report.css.
    templates = tmp_path / "my templates é"
    shutil.copytree(TEMPLATES, templates)
    monkeypatch.setattr(render, "TEMPLATES", templates)
    monkeypatch.setattr(render, "ASSETS", templates / "assets")
    page = '<link rel="stylesheet" href="assets/report.css"><p>Figures</p>'
    fetcher = render.write_pdf(page, tmp_path / "spaced.pdf", stamp=STAMP)
    assert fetcher.refused == []
    fonts = pypdf.PdfReader(tmp_path / "spaced.pdf").pages[0]["/Resources"]["/Font"]
    assert any("Inter" in str(font.get_object()["/BaseFont"]) for font in fonts.values())  # the shipped font


# --- 6. Small cells withheld in every public output ---------------------------------------------------------------


def test_a_decision_row_of_fewer_than_k_users_is_withheld_with_the_next_smallest(small):
    data = small.public / "data"
    rows = {(r["decision"], r["rejection_reason"]): r for r in csv_rows(data / "compensation_decisions.csv")}
    withheld = {"claims": "", "users": "", "approved_usd": "", "suppressed": "True"}
    small_row, next_smallest = ("rejected", "not_affected"), ("rejected", "unrealized_profit")
    for key in (small_row, next_smallest):
        assert {c: rows[key][c] for c in withheld} == withheld, key
    assert rows[("approved", "")]["claims"] == "12" and rows[("approved", "")]["suppressed"] == "False"

    records = {(r["decision"], r["rejection_reason"]): r
               for r in json.loads((data / "compensation_decisions.json").read_bytes())}
    for key in (small_row, next_smallest):
        assert records[key]["suppressed"] is True
        assert records[key]["claims"] is records[key]["users"] is records[key]["approved_usd"] is None

    # The published total less the published rows leaves at least two withheld rows together: none is recovered.
    headline = {r["metric"]: r for r in csv_rows(data / "headline.csv")}
    total = Decimal(headline["claims_decided"]["value"])
    assert total == 26 and headline["claims_decided"]["suppressed"] == "False"
    published = sum(int(r["claims"]) for r in rows.values() if r["suppressed"] == "False")
    assert total - published == 14
    assert sum(r["suppressed"] == "True" for r in rows.values()) >= 2


def test_withheld_decision_rows_show_fewer_than_k_on_the_page_and_in_the_pdf(small):
    page = Page((small.public / "index.html").read_text(encoding="utf-8"))
    rows = {(r[0], r[1]): r[2:] for r in page.table("Claims decided in")["rows"][1:]}
    below = f"< {K}"
    # counts read "< k"; the amount is withheld (not "< k", which would read as less than $10)
    assert rows[("Rejected", "Not affected")] == [below, below, "withheld"]
    assert rows[("Rejected", "Unrealized profit")] == [below, below, "withheld"]
    assert rows[("Approved", "")][:2] == ["12", "12"]

    text = pdf_text(small.public / "report.pdf", layout=True)
    for reason in ("Not affected", "Unrealized profit"):
        line = next(line for line in text.splitlines() if reason in line)
        assert line.count(below) == 2 and line.count("withheld") == 1, line
        assert re.sub(r"\b10\b|withheld", "", line.split(reason, 1)[1]).strip("< ") == "", line


def test_compensation_paid_is_withheld_when_fewer_than_k_users_were_compensated(small):
    metrics = small.period_metrics()
    users, paid = metrics["users_compensated"][0], metrics["compensation_paid_usd"][0]
    assert 0 < users < K and paid > 0
    headline = {r["metric"]: r for r in csv_rows(small.public / "data" / "headline.csv")}
    for metric in ("users_compensated", "compensation_paid_usd"):
        assert headline[metric]["value"] == "" and headline[metric]["suppressed"] == "True", metric
        assert headline[metric]["change"] == headline[metric]["change_pct"] == ""
    exact = format(paid.normalize(), "f")  # 3600.02
    public = tree(small.public)
    assert [name for name, content in public.items() if exact in content.decode("latin-1")] == []
    shown = formatting.usd(paid)
    assert shown not in (small.public / "index.html").read_text(encoding="utf-8")
    assert shown not in flat(pdf_text(small.public / "report.pdf"))


def test_fund_compensation_to_fewer_than_k_users_is_withheld_with_the_next_smallest_outflow(small):
    metrics = small.period_metrics()
    assert 0 < metrics["users_compensated_insurance_fund"][0] < K
    headline = {r["metric"]: r for r in csv_rows(small.public / "data" / "headline.csv")}
    assert headline["compensation_paid_insurance_fund_usd"]["suppressed"] == "True"
    flows = csv_rows(small.public / "data" / "insurance_fund_flows.csv")
    withheld = [(r["kind"], r["direction"]) for r in flows if r["suppressed"] == "True"]
    assert ("compensation", "outflow") in withheld
    # the published total outflows less the shown rows leaves two rows together: neither is recovered
    assert len([w for w in withheld if w[1] == "outflow"]) >= 2 or all(
        r["kind"] == "compensation" for r in flows if r["direction"] == "outflow")
    assert all(r["amount_usd"] == "" for r in flows if r["suppressed"] == "True")


def test_the_publicly_linked_manifest_withholds_small_cells_too(small):
    archive = (small.reports / "index.html").read_text(encoding="utf-8")
    assert f'href="{MAY}/v1/manifest.json"' in archive  # the archive page offers it to everyone
    withheld = {r["metric"] for r in csv_rows(small.public / "data" / "headline.csv") if r["suppressed"] == "True"}
    assert {"users_compensated", "compensation_paid_usd"} <= withheld
    paid = small.period_metrics()["compensation_paid_usd"][0]

    def leaves(node, key=None):
        if isinstance(node, dict):
            for k, v in node.items():
                yield from leaves(v, k)
        elif isinstance(node, list):
            for v in node:
                yield from leaves(v, key)
        else:
            yield key, node

    found = []
    for key, value in leaves(json.loads((small.version() / "manifest.json").read_bytes())):
        if key in withheld and value is not None:
            found.append((key, value))
        elif isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value) and Decimal(value) == paid:
            found.append((key, value))
    assert found == []


def test_clients_affected_below_k_are_withheld(small):
    incidents = {r["incident_id"]: r for r in csv_rows(small.public / "data" / "incidents.csv")}
    assert incidents["INC-2"]["clients_affected"] == "" and incidents["INC-2"]["clients_affected_suppressed"] == "True"
    # the only other incident of the month is withheld too: the published total would give INC-2 away
    assert incidents["INC-1"]["clients_affected"] == "" and incidents["INC-1"]["clients_affected_suppressed"] == "True"


# --- 7. An accessible page that works offline --------------------------------------------------------------------


def test_public_page_accessibility_basics(demo):
    text = (demo.public / "index.html").read_text(encoding="utf-8")
    page = Page(text)
    tags = [tag for tag, _ in page.elements]
    html_attrs = next(attrs for tag, attrs in page.elements if tag == "html")
    assert html_attrs.get("lang") == "en"
    assert sum(tag == "title" and "id" not in attrs for tag, attrs in page.elements) == 1  # the chart's have ids
    assert page.texts["title"].strip().startswith("Northwind")
    assert tags.count("h1") == 1
    assert any(tag == "meta" and a.get("name") == "viewport" and "width=device-width" in (a.get("content") or "")
               for tag, a in page.elements)
    assert len(page.tables) >= 6
    for table in page.tables:
        assert table["caption"].strip(), table
        assert table["th"] and all(th.get("scope") in ("col", "row", "colgroup", "rowgroup") for th in table["th"])
    # the fund chart, and its phone version (the stylesheet shows one of the two)
    svg = [attrs for tag, attrs in page.elements if tag == "svg"]
    assert [a["viewbox"].split()[2] for a in svg] == ["720", "360"] and all(a.get("role") == "img" for a in svg)
    for attrs in svg:
        title_id, desc_id = attrs["aria-labelledby"].split()
        assert page.texts[title_id].strip() and page.texts[desc_id].strip()
        assert "Daily value of the insurance funds" in page.texts[desc_id]
    assert "script" not in tags


def test_public_page_works_offline(demo):
    folder = demo.public
    text = (folder / "index.html").read_text(encoding="utf-8")
    references = []
    for _tag, attrs in Page(text).elements:
        for name, value in attrs.items():
            if name in ("src", "href", "srcset", "poster", "data", "action", "xlink:href", "background"):
                references.append(value or "")
    assert references and not [r for r in references if re.match(r"\s*(https?:)?//", r, re.IGNORECASE)]
    # every local reference is shipped beside the page
    for reference in references:
        target = reference.split("#")[0]
        if target:
            assert (folder / target).is_file(), reference
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", text, re.IGNORECASE)
    for css in folder.rglob("*.css"):
        style = css.read_text(encoding="utf-8")
        assert not re.search(r"(url\(|@import)\s*['\"]?\s*(https?:)?//", style, re.IGNORECASE), css
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", style):
            assert (css.parent / url).is_file(), url


# --- 8. Immutable versions ----------------------------------------------------------------------------------------


def test_rerun_with_unchanged_inputs_publishes_nothing_new(republished):
    assert republished.unchanged == republished.first
    assert any(name.startswith(f"{MAY}/v1/") for name in republished.first)
    assert not any(name.startswith(f"{MAY}/v2/") for name in republished.unchanged)


def test_changed_input_publishes_v2_and_leaves_v1_untouched(republished):
    scenario = republished.scenario
    v1 = {k: v for k, v in republished.first.items() if k.startswith(f"{MAY}/v1/")}
    assert {k: v for k, v in republished.changed.items() if k.startswith(f"{MAY}/v1/")} == v1
    assert sorted(p.name for p in (scenario.reports / MAY).iterdir() if p.name != ".lock") == ["v1", "v2"]

    manifest = json.loads((scenario.version(2) / "manifest.json").read_bytes())
    assert manifest["version"] == 2 and manifest["period"] == MAY
    v2_page = flat((scenario.version(2) / "public" / "index.html").read_text(encoding="utf-8"))
    assert CHANGED_SUMMARY in v2_page and "version 2" in v2_page
    assert CHANGED_SUMMARY not in v1[f"{MAY}/v1/public/index.html"].decode()
    assert "version 2" in flat(pdf_text(scenario.version(2) / "public" / "report.pdf"))
    files = tree(scenario.version(2))
    del files["manifest.json"]
    assert manifest["files"] == {name: {"sha256": hashlib.sha256(content).hexdigest(), "bytes": len(content)}
                                 for name, content in files.items()}
    archive = (scenario.reports / "index.html").read_text(encoding="utf-8")
    assert f'href="{MAY}/v2/public/index.html"' in archive and f"{MAY}/v1/" not in archive
