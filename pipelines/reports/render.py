"""HTML and PDF of the public and regulator reports, and the public CSV/JSON downloads.

One Jinja environment (autoescape, StrictUndefined) over `templates/`; one base layout. WeasyPrint fetches nothing
but the project's own template assets. The output depends only on the warehouse and the period: dates come from the
period, the PDF identifiers are derived from the content, and every list is ordered by the SQL.
"""

from __future__ import annotations

import csv
import ctypes
import ctypes.util
import hashlib
import io
import json
import multiprocessing
import os
import posixpath
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

import jinja2
import weasyprint
from markupsafe import Markup
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from pipelines.files import write_atomic
from pipelines.publication import version_dir
from pipelines.receipts import ROOT_FILE
from pipelines.reports import archive
from pipelines.reports.charts import IMPACT_COLOURS, NARROW_WIDTH, fund_chart, trend_chart, uptime_bar
from pipelines.reports.data import ReportData, Row
from pipelines.reports.dictionary import DICTIONARY, dictionary_json
from pipelines.reports.formatting import Formatter, formatter, marked, plain
from pipelines.reports.i18n import SOURCE_LANGUAGE, display_name

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
ASSETS = TEMPLATES / "assets"
# Shipped beside the public page so that it works offline; the PDF embeds subsets of the same fonts.
PUBLIC_ASSETS = ("report.css", "fonts/Inter-Regular.otf", "fonts/Inter-SemiBold.otf", "fonts/Inter-Bold.otf",
                 "fonts/LICENSE-Inter.txt")


# Below this much HTML in all, a version's PDFs are laid out one after the other in this process: starting a
# process to lay out each (importing WeasyPrint again) costs more than it saves on a month of a few pages.
PARALLEL_LAYOUT_HTML = 2_000_000

# Up to this many incidents in a month, the regulator report prints every incident's texts and the classification
# detail of every incident meeting a criterion; above it (an exchange-scale month) only the major incidents', the
# rest being in the attached tables: a 500-page register helps no reader.
DETAILED_REGISTER_LIMIT = 100


class RefusedFetch(FatalURLFetchingError):
    """A report asked for a resource outside the project's template assets."""


@dataclass
class AssetsOnlyFetcher(URLFetcher):
    """Serves `file:` URLs inside templates/assets/ and refuses everything else, stopping the render."""

    refused: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)

    def fetch(self, url, headers=None):
        # The path as the file handler will open it: percent-decoded (WeasyPrint encodes spaces and non-ASCII).
        path = Path(unquote(urlsplit(url).path)).resolve() if url.startswith("file://") else None
        if path is None or not path.is_relative_to(ASSETS) or not path.is_file():
            self.refused.append(url)
            raise RefusedFetch(f"refused to fetch {url}: only the template assets may be used")
        return super().fetch(url, headers)


@cache
def environment(language: str = SOURCE_LANGUAGE) -> jinja2.Environment:
    """The templates in `language`: its catalog (jinja2.ext.i18n, whitespace-trimmed texts) and its formats; one
    environment a language, so that each template is compiled once a process."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.policies["ext.i18n.trimmed"] = True
    fmt = formatter(language)
    env.install_gettext_translations(fmt.translations, newstyle=True)
    env.filters.update(fmt.filters())
    # a text that comes from data (a metric's label, a check's description), translated as it is: no %-formatting
    env.filters["translate"] = fmt.gettext
    return env


def public_folder(language: str, languages: Sequence[str]) -> str:
    """Where a language's public page and PDF are in a version, and its archive page in reports/: the first
    language of the profile at the top ("public/", ""), each other one in a folder of its own ("public/de/")."""
    return "" if language == languages[0] else f"{language}/"


def alternates(language: str, languages: Sequence[str]) -> list[dict]:
    """The page in every language, linked from the page in `language` (hreflang links, the language menu)."""
    here = public_folder(language, languages) or "."
    return [{"language": other, "name": display_name(other), "current": other == language,
             "href": posixpath.relpath(public_folder(other, languages) + "index.html", here)}
            for other in languages]


def _up(folder: str) -> str:
    """The way up from a language's folder to where the primary language's page is ("" or "../")."""
    return "../" * folder.count("/")


def _context(data: ReportData, version: int, audience: str, language: str = SOURCE_LANGUAGE) -> dict:
    fmt = formatter(language)
    _ = fmt.gettext
    headline = data.headline
    description = _("Daily value of the insurance funds in %(month)s: from %(opening)s at the start to %(closing)s "
                    "at the end, lowest %(lowest)s, highest %(highest)s.") % {
        "month": fmt.month_name(data.period), "opening": fmt.usd(headline["insurance_fund_opening_usd"]["value"]),
        "closing": fmt.usd(headline["insurance_fund_closing_usd"]["value"]),
        "lowest": fmt.usd(headline["insurance_fund_min_usd"]["value"]),
        "highest": fmt.usd(headline["insurance_fund_max_usd"]["value"])}
    chart_title = _("Insurance funds, daily value in USD")
    languages = data.entity["public_languages"]
    # the page's way up to its version's public/ folder; a PDF's HTML is laid out from templates/, wherever it lies
    up = _up(public_folder(language, languages)) if audience == "public" else ""
    return {
        "data": data,
        "entity": data.entity,
        "audience": audience,
        "lang": language,
        "alternates": alternates(language, languages) if audience == "public" else [],
        "asset_root": up,
        # CSS, spliced into the translated "Page … of …" of the PDF's page footer (a string closed and reopened)
        "page_counter": Markup('" counter(page) "'), "pages_counter": Markup('" counter(pages) "'),
        "data_root": up + "data/",
        "detailed": len(data.regulator["incident_register"]) <= DETAILED_REGISTER_LIMIT,
        "version": version,
        "k": data.entity["small_cell_k"],
        "headline": headline,
        "metrics": data.metrics,
        "public": data.public,
        "regulator": data.regulator,
        "first_day": data.start.date(),
        "last_day": (data.end - timedelta(days=1)).date(),
        "fund_chart": fund_chart(data.public["insurance_fund_daily"], chart_title, description, fmt),
        # the public page's version for a phone (its stylesheet shows one of the two)
        "fund_chart_narrow": fund_chart(data.public["insurance_fund_daily"], chart_title, description, fmt,
                                        NARROW_WIDTH, "fund-chart-narrow"),
        "fund_chart_description": description,
        "downloads": public_download_names(data),
        "definitions": {d["metric"]: d for d in data.metric_definitions},
        # the root's sums, exact decimal strings, as numbers to display
        "root_values": {name: Decimal(value) for name, value in (data.compensation_root or {}).get("sums", {}).items()},
        "archive_root": "../../../" + up,  # reports/, from reports/YYYY-MM/vN/public/[de/]
        "fmt": _figures(fmt),
    }


def _figures(fmt: Formatter) -> SimpleNamespace:
    """The displays a template calls by name (fmt.usd, fmt.for_unit(unit)), each figure marked up as the filters
    mark it."""
    filters = fmt.filters()
    return SimpleNamespace(**filters, for_unit=lambda unit: marked(fmt.for_unit(unit)),
                           signed=filters["points"])


def render_html(template: str, data: ReportData, version: int, audience: str,
                language: str = SOURCE_LANGUAGE) -> str:
    return environment(language).get_template(template).render(**_context(data, version, audience, language))


def _pdf_identifier(html: str) -> bytes:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")


# Which library subsets the fonts WeasyPrint embeds changes a PDF's bytes but not its content: "auto" (HarfBuzz when
# its subset library is installed, which the setup does, else fontTools), "harfbuzz" or "fonttools".
FONT_SUBSETTER_ENV = "TRANSPARENCY_FONT_SUBSETTER"


def _harfbuzz_version() -> str | None:
    """The version of the HarfBuzz that WeasyPrint would subset with, None when it cannot (library missing)."""
    from weasyprint.pdf import fonts
    from weasyprint.text.ffi import harfbuzz

    if not fonts.harfbuzz_subset or not harfbuzz.hb_version_atleast(4, 1, 0):
        return None
    library = ctypes.CDLL(ctypes.util.find_library("harfbuzz") or "libharfbuzz.so.0")
    library.hb_version_string.restype = ctypes.c_char_p
    return library.hb_version_string().decode("ascii")


def font_subsetter() -> str:
    """The font subsetter this process renders with, "HarfBuzz <version>" or "fontTools <version>"; applies the
    TRANSPARENCY_FONT_SUBSETTER choice."""
    from weasyprint.pdf import fonts

    choice = os.environ.get(FONT_SUBSETTER_ENV, "auto")
    if choice not in ("auto", "harfbuzz", "fonttools"):
        raise ValueError(f"{FONT_SUBSETTER_ENV}={choice!r}: expected auto, harfbuzz or fonttools")
    if choice == "fonttools":
        fonts.harfbuzz_subset = None  # WeasyPrint falls back to fontTools when it has no HarfBuzz-Subset
    version = _harfbuzz_version()
    if version is None and choice == "harfbuzz":
        raise RuntimeError(f"{FONT_SUBSETTER_ENV}=harfbuzz, but libharfbuzz-subset (>= 4.1) is not installed")
    return f"HarfBuzz {version}" if version else f"fontTools {metadata.version('fonttools')}"


def renderer() -> dict[str, str]:
    """What turns the HTML into PDF bytes; recorded in the manifest, never part of a version's content."""
    return {"weasyprint": weasyprint.__version__, "pydyf": metadata.version("pydyf"),
            "font_subsetter": font_subsetter()}


@contextmanager
def _source_date(stamp: datetime):
    """fontTools stamps each font subset it writes with the clock (head.modified) unless SOURCE_DATE_EPOCH is set:
    set it to the period's stamp for the duration of a render."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(stamp.timestamp()))
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def write_pdf(html: str, target: Path, *, stamp: datetime, archival: bool = False,
              attachments: Sequence[tuple[str, bytes, str]] = ()) -> AssetsOnlyFetcher:
    """Render `html` to `target`; every date inside is `stamp` (the period, never the clock). Archival: PDF/A-3b,
    tagged, with `attachments` (name, bytes, description)."""
    font_subsetter()
    fetcher = AssetsOnlyFetcher()
    document = weasyprint.HTML(string=html, base_url=str(TEMPLATES) + "/", url_fetcher=fetcher)
    options: dict = {"pdf_identifier": _pdf_identifier(html), "pdf_tags": True}
    if archival:
        options["pdf_variant"] = "pdf/a-3b"
        options["attachments"] = [
            weasyprint.Attachment(string=content, name=name, description=description, relationship="Data",
                                  url_fetcher=fetcher, created=stamp, modified=stamp)
            for name, content, description in attachments
        ]
    target.parent.mkdir(parents=True, exist_ok=True)
    with _source_date(stamp):
        document.write_pdf(target, **options)
    return fetcher


@dataclass(frozen=True)
class PdfSource:
    """Everything a PDF of a version is made from: its HTML, attachments and date. Two PDFs from equal sources
    have the same content, whatever renderer laid them out."""

    html: str
    stamp: datetime
    archival: bool = False
    attachments: tuple[tuple[str, bytes, str], ...] = ()

    def digest(self) -> str:
        parts = {"html": _sha256(self.html.encode("utf-8")), "stamp": self.stamp.isoformat(),
                 "archival": self.archival,
                 "attachments": [[name, _sha256(content), description]
                                 for name, content, description in self.attachments]}
        return _sha256(json.dumps(parts, sort_keys=True).encode("utf-8"))

    def render(self, target: Path) -> None:
        write_pdf(self.html, target, stamp=self.stamp, archival=self.archival, attachments=self.attachments)


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def table_csv(rows: list[Row]) -> bytes:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: plain(v) for k, v in row.items()} for row in rows)
    return buffer.getvalue().encode("utf-8")


def table_json(rows: list[Row]) -> bytes:
    rows = [{k: plain(v) for k, v in row.items()} for row in rows]
    return (json.dumps(rows, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def regulator_attachments(data: ReportData) -> list[tuple[str, bytes, str]]:
    """Every table of the regulator report as CSV and JSON: (file name, bytes, description)."""
    return [
        (f"{name}.{ext}", encode(rows), f"{name.replace('_', ' ')} ({ext.upper()})")
        for name, rows in sorted(data.regulator.items())
        for ext, encode in (("csv", table_csv), ("json", table_json))
    ]


def public_download_names(data: ReportData) -> list[str]:
    return [f"{name}.{ext}" for name in sorted(data.public) for ext in ("csv", "json")] + ["dictionary.json"]


@dataclass(frozen=True)
class PeriodSources:
    """A version's files before any PDF is laid out: the files as written (public page, downloads, assets) and the
    sources of its PDFs, each under its path in the version."""

    files: dict[str, bytes]
    pdfs: dict[str, PdfSource]

    def digests(self) -> dict[str, str]:
        """SHA-256 of every file and PDF source: the content a version is compared by."""
        return {**{name: _sha256(content) for name, content in self.files.items()},
                **{name: source.digest() for name, source in self.pdfs.items()}}


def period_sources(data: ReportData, version: int) -> PeriodSources:
    """Everything of a version of `data` but the laid-out PDFs: public/index.html, public/data/*, public/assets/*,
    and the sources of public/report.pdf and regulator/report.pdf."""
    files = {}
    for name, rows in sorted(data.public.items()):
        files[f"public/data/{name}.csv"] = table_csv(rows)
        files[f"public/data/{name}.json"] = table_json(rows)
    files[DICTIONARY] = dictionary_json(data)
    files |= {f"public/assets/{asset}": (ASSETS / asset).read_bytes() for asset in PUBLIC_ASSETS}
    if data.compensation_root is not None:
        files[ROOT_FILE] = (json.dumps(data.compensation_root, indent=1) + "\n").encode("utf-8")
    stamp = data.end - timedelta(seconds=1)
    pdfs = {}
    languages = data.entity["public_languages"]
    for language in languages:
        folder = "public/" + public_folder(language, languages)
        files[folder + "index.html"] = render_html("public.html", data, version, "public", language).encode("utf-8")
        pdfs[folder + "report.pdf"] = PdfSource(render_html("public.html", data, version, "public-print", language),
                                                stamp)
    pdfs["regulator/report.pdf"] = PdfSource(render_html("regulator.html", data, version, "regulator"), stamp,
                                             archival=True, attachments=tuple(regulator_attachments(data)))
    return PeriodSources(files, pdfs)


def write_period(sources: PeriodSources, out_dir: Path) -> None:
    """Write a version's files under out_dir and lay out its PDFs."""
    for name, content in sources.files.items():
        (out_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (out_dir / name).write_bytes(content)
    if sum(len(source.html) for source in sources.pdfs.values()) < PARALLEL_LAYOUT_HTML:
        for name, source in sources.pdfs.items():
            source.render(out_dir / name)
        return
    # Long PDFs are laid out side by side, one process each (WeasyPrint is single-threaded and holds the GIL).
    # Spawned, not forked: the parent may hold DuckDB's threads.
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        jobs = [pool.submit(source.render, out_dir / name) for name, source in sources.pdfs.items()]
        for job in jobs:
            job.result()


def copy_public_assets(folder: Path) -> None:
    """The page's stylesheet and fonts beside it, each replaced in one step (a reader never sees half a file)."""
    for asset in PUBLIC_ASSETS:
        write_atomic(folder / "assets" / asset, (ASSETS / asset).read_bytes())


# Beside the archive page, for anyone to check a receipt offline: the stand-alone verifier and the format it follows.
RECEIPT_TOOLS = {"verify_receipt.py": Path(__file__).resolve().parents[1] / "receipt_verifier.py",
                 "RECEIPTS.md": TEMPLATES.parent / "docs" / "RECEIPTS.md"}


def _day_status(day, fmt: Formatter) -> str:
    """A day of an uptime bar in words, for its tooltip and the list beside the bar."""
    _ = fmt.gettext
    when = fmt.weekday(day.day)
    if day.worst_impact is None:
        return _("%(day)s: no published report") % {"day": when}
    minutes = {"major_outage": day.outage_minutes, "partial_outage": day.partial_minutes,
               "degraded_performance": day.degraded_minutes}.get(day.worst_impact)
    status = f"{when}: {fmt.label(day.worst_impact)}"
    return status + (f", {fmt.duration(minutes)}" if minutes is not None else "")


def _availability_floor(values: list[Decimal | None]) -> Decimal:
    """The availability charts' lower bound: a whole percent at or below the lowest value, at most 99 %."""
    lowest = min([v for v in values if v is not None] + [Decimal("0.99")])
    return (lowest * 100).to_integral_value(rounding="ROUND_FLOOR") / 100


def _period_page(reports_dir: Path, period: dict, language: str, languages: Sequence[str]) -> dict:
    """A period's row of the archive in `language`: its page in that language when the version has one (a version
    published before the language was added has not), else the first language's."""
    folder = public_folder(language, languages)
    public = version_dir(reports_dir, period["period"], period["version"]) / "public"
    if not (public / folder / "index.html").is_file():
        folder, language = "", languages[0]
    return {**period, "folder": folder, "folder_language": language}


def write_archive(reports_dir: Path, entity: Row, periods: list[dict], head: dict | None) -> list[Path]:
    """reports/index.html, the transparency page (and reports/<language>/index.html in each other language of the
    profile): the last 90 days of every service, 12-month trends, every period with its latest version and the
    publication log's latest signed head, each replaced atomically; the receipt verifier and its format beside
    them."""
    copy_public_assets(reports_dir)
    for name, source in RECEIPT_TOOLS.items():
        write_atomic(reports_dir / name, source.read_bytes())
    signed_at = datetime.fromisoformat(head["timestamp"]) if head else None
    services = archive.uptime(reports_dir, periods)
    history = archive.trends(reports_dir, periods)
    downloads = archive.dictionary(reports_dir, periods)
    languages = entity["public_languages"]
    written = []
    for language in languages:
        fmt = formatter(language)
        for service in services:
            statuses = [_day_status(d, fmt) for d in service["days"]]
            service["svg"] = uptime_bar(service, statuses, f"uptime-{service['service']}")
            service["impacted"] = [status for d, status in zip(service["days"], statuses)
                                   if d.worst_impact not in (None, "operational")]
        for metric in history["metrics"]:
            tick = fmt.compact_usd if metric["unit"] == "USD" else fmt.for_unit(metric["unit"])
            metric["svg"] = trend_chart(history["months"], metric["series"], tick, f"trend-{metric['metric']}", fmt)
        for service in history["availability"]:
            service["svg"] = trend_chart(history["months"], service["series"], fmt.availability,
                                         f"trend-{service['service']}", fmt,
                                         floor=_availability_floor(service["series"]))
        folder = public_folder(language, languages)
        page = environment(language).get_template("archive.html").render(
            entity=entity, head=head, head_signed_at=signed_at, audience="archive", lang=language,
            source_language=SOURCE_LANGUAGE, alternates=alternates(language, languages), asset_root=_up(folder),
            site_root=_up(folder), periods=[_period_page(reports_dir, p, language, languages) for p in periods],
            services=services, history=history, downloads=downloads, impact_colours=IMPACT_COLOURS,
            uptime_days=archive.UPTIME_DAYS, fmt=_figures(fmt))
        target = reports_dir / folder / "index.html"
        write_atomic(target, page)
        written.append(target)
    return written
