"""The public pages' languages: the catalogs translate every text the pages show, Babel formats each figure in the
page's language, and the German pages show the same figures as the English ones, formatted for German."""

from __future__ import annotations

import re
import subprocess
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.numbers import parse_decimal
from demo_run import MONTHS

from pipelines.reports.formatting import formatter
from pipelines.reports.i18n import SOURCE_LANGUAGE, catalog_path, languages

ROOT = Path(__file__).resolve().parents[1]
NBSP = "\u00a0"


def extracted_texts() -> set:
    """Every text babel.cfg extracts, as `make catalogs` does (plural texts as (singular, plural))."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    return {message for _file, _line, message, _comments, _context
            in extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)}


@pytest.mark.parametrize("language", [lang for lang in languages() if lang != SOURCE_LANGUAGE])
def test_every_catalog_translates_every_text_it_should(language):
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language)
    ids = {message.id if isinstance(message.id, str) else tuple(message.id) for message in catalog if message.id}
    texts = extracted_texts()
    assert sorted(texts - ids, key=str) == [], "texts missing from the catalog: run `make catalogs`, translate them"
    assert sorted(ids - texts, key=str) == [], "texts no page shows any more: run `make catalogs`"
    untranslated = [m.id for m in catalog if m.id and not all(m.string if isinstance(m.string, tuple) else
                                                                   [m.string])]
    assert untranslated == []
    assert [m.id for m in catalog if m.id and m.fuzzy] == [], "fuzzy translations left to review"
    # placeholders (%(month)s) the same in each translation as in its text; a text without one is never formatted
    # (Babel takes the "20 % f" of "20 % from" for one)
    assert [(m.id, errors) for m, errors in catalog.check() if "%(" in str(m.id)] == []


def test_figures_in_german():
    de = formatter("de")
    assert de.usd(Decimal("1264474.53")) == f"1.264.475{NBSP}$"
    assert de.usd(Decimal("-5")) == f"−5{NBSP}$"
    assert de.usd(Decimal("2.125"), 2) == f"2,12{NBSP}$"  # half to even
    assert de.number(Decimal("1234.567"), 2) == "1.234,57"
    assert de.count(12345) == "12.345"
    assert de.percent(Decimal("-12.108628"), 1) == "−12,1 %"
    assert de.percent(Decimal("3.25"), 1, signed=True) == "+3,2 %"
    assert de.availability(Decimal("0.99766")) == "99,766 %"
    assert de.hours(Decimal("138.75")) == "138,8 h"
    assert de.duration(Decimal(3000)) == "2 d 2 h" and de.duration(Decimal("125.4")) == "2 h 05 min"
    assert de.amount(Decimal("1234.01250000"), "BTC") == "1.234,0125 BTC"
    assert de.amount(Decimal("12.00000000"), "BTC") == "12 BTC"
    assert de.day(date(2026, 10, 5)) == "05.10.2026"
    assert de.timestamp(datetime(2026, 10, 5, 14, 1, tzinfo=UTC)) == "05.10.2026 14:01 UTC"
    assert de.month_name("2026-10") == "Oktober 2026" and de.short_month("2026-03") == "März 2026"
    assert de.compact_usd(Decimal(1_500_000)) == f"1,5{NBSP}Mio.{NBSP}$"
    assert de.points(Decimal("0.42")) == "+0,42 Pp."
    assert de.label("partially_approved") == "Teilweise bewilligt"


def test_figures_in_english():
    en = formatter("en")
    assert en.usd(Decimal("1264474.53")) == "$1,264,475" and en.usd(Decimal("-5")) == "−$5"
    assert en.number(Decimal("1234.567"), 2) == "1,234.57" and en.percent(Decimal("-12.108628"), 1) == "−12.1 %"
    assert en.amount(Decimal("1234.01250000"), "BTC") == "1,234.0125 BTC"
    assert en.day(date(2026, 10, 5)) == "2026-10-05" and en.month_name("2026-10") == "October 2026"
    assert en.compact_usd(Decimal(1_500_000)) == "$1.5M" and en.compact_usd(Decimal(25_000_000)) == "$25M"
    assert en.label("partially_approved") == "Partially approved"


class Page(HTMLParser):
    """A page's figures (each <data value> and its text), its language and its links to other languages."""

    def __init__(self, path: Path):
        super().__init__()
        self.figures: list[tuple[str, str]] = []
        self.alternates: dict[str, str] = {}
        self.links: list[str] = []
        self.lang = None
        self._figure = None
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "data":
            self._figure = [attrs["value"], ""]
        elif tag == "link" and attrs.get("rel") == "alternate" and "hreflang" in attrs:
            self.alternates[attrs["hreflang"]] = attrs["href"]
        elif tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])

    def handle_data(self, data):
        if self._figure is not None:
            self._figure[1] += data

    def handle_endtag(self, tag):
        if tag == "data":
            self.figures.append(tuple(self._figure))
            self._figure = None


# A number as each language writes it: 1,234.5 and 1.234,5 (a leading sign is the figure's, not the number's).
NUMBER = {"en": r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?", "de": r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"}


def numbers(text: str, language: str) -> list[Decimal]:
    return [parse_decimal(n, locale=language, strict=True) for n in re.findall(NUMBER[language], text)]


def as_german(value: str, english: str) -> str | None:
    """The German text expected for a date or time figure (None for other figures)."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        assert english == value
        year, month, day = value.split("-")
        return f"{day}.{month}.{year}"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T.*", value):
        moment = datetime.fromisoformat(value)
        return moment.strftime("%d.%m.%Y %H:%M") + (" UTC" if english.endswith("UTC") else "")
    return None


@pytest.mark.xdist_group("demo")
@pytest.mark.parametrize("month", MONTHS)
def test_the_german_page_shows_every_figure_of_the_english_one_formatted_for_german(demo, month):
    public = demo / "reports" / month / "v1" / "public"
    english, german = Page(public / "index.html"), Page(public / "de" / "index.html")
    assert (english.lang, german.lang) == ("en", "de")
    assert len(english.figures) > 300
    # the same figures, each shown as often; a translation may put a sentence's figures in another order, so each
    # English figure is paired with the German one of the same value and the same rank among those
    assert Counter(v for v, _ in german.figures) == Counter(v for v, _ in english.figures)
    german_texts = defaultdict(list)
    for value, text in german.figures:
        german_texts[value].append(text)
    rank = Counter()
    for value, en_text in english.figures:
        de_text = german_texts[value][rank[value]]
        rank[value] += 1
        expected = as_german(value, en_text)
        if expected is not None:
            assert de_text == expected, (value, en_text, de_text)
            continue
        shown = numbers(en_text, "en")
        assert shown, (value, en_text)
        assert numbers(de_text, "de") == shown, (value, en_text, de_text)
        if "$" in en_text:
            assert de_text.endswith(f"{NBSP}$") and en_text.lstrip("−").startswith("$"), (en_text, de_text)
    # the German PDF has the German figures of the page's summary
    text = subprocess.run(["pdftotext", "-layout", str(public / "de" / "report.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout.replace(NBSP, " ")
    # pdftotext guesses word spaces from glyph gaps, and drops narrow ones ("2 d 5 h" can come out "2d5h")
    squeezed = re.sub(r"\s+", "", text)
    for _, de_text in german.figures[:16]:
        assert re.sub(r"\s+", "", de_text) in squeezed, de_text


@pytest.mark.xdist_group("demo")
def test_each_language_links_to_the_others_and_the_archive_offers_each(demo):
    reports = demo / "reports"
    month = MONTHS[-1]
    pages = {"en": reports / month / "v1" / "public" / "index.html",
             "de": reports / month / "v1" / "public" / "de" / "index.html"}
    archives = {"en": reports / "index.html", "de": reports / "de" / "index.html"}
    for group in (pages, archives):
        for language, path in group.items():
            page = Page(path)
            assert page.lang == language
            assert {lang: (path.parent / href).resolve() for lang, href in page.alternates.items()} == \
                {lang: other.resolve() for lang, other in group.items()}
    german_archive = Page(archives["de"])
    month_pages = [href for href in german_archive.links if href.endswith("/public/de/index.html")]
    assert len(month_pages) == len(MONTHS)
    for href in german_archive.links:
        target = urlsplit(urljoin(archives["de"].as_uri(), href))
        if target.scheme == "file":
            assert Path(target.path).is_file(), href
