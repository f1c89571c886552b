"""reports/feed.atom: an Atom feed (RFC 4287) of every publication and correction, newest first.

The entries are the publication log's (pipelines/publication_log.py), in the order published; an entry's time is
that of the first signed tree head that includes it, i.e. when it was published. Ids are URNs derived from the
entity's LEI and the version, so they stay the same wherever the reports are hosted and however often the feed is
rewritten. Links are absolute under the profile's `site_url`, or relative to the feed when it names none.
"""

from __future__ import annotations

import json
import re
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

from pipelines import publication_log
from pipelines.files import write_atomic
from pipelines.publication import read_figures, read_manifest, version_dir
from pipelines.reports.formatting import month_name
from pipelines.timestamps import iso_utc

FEED = "feed.atom"
ATOM = "http://www.w3.org/2005/Atom"
# a version's page in a language other than its first (public/de/index.html), which an entry links with its hreflang
OTHER_LANGUAGE_PAGE = re.compile(r"public/([a-z]{2})/index\.html")


def _urn(lei: str, name: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"urn:lei:{lei}:transparency-reports:{name}").urn


def publications(reports_dir: Path) -> list[dict]:
    """Every logged version, oldest first: {period, version, published}, `published` the time of the first signed
    head whose tree includes it."""
    heads = sorted((publication_log.log_dir(reports_dir) / "heads").glob("*.json"))
    signed = [json.loads(p.read_text(encoding="utf-8")) for p in heads]
    entries = []
    for index, entry in enumerate(publication_log.read_entries(reports_dir)):
        head = next(h for h in signed if h["size"] > index)
        period, version = entry.version.split("/v")
        entries.append({"period": period, "version": int(version),
                        "published": datetime.fromisoformat(head["timestamp"])})
    return entries


def _corrected(reports_dir: Path, period: str, version: int) -> int:
    """How many figures `version` corrected (the public page lists them)."""
    corrections = read_figures(version_dir(reports_dir, period, version))["corrections"]
    return sum(1 for c in corrections if c["version"] == version)


def _element(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    element.text = text
    return element


def _rfc3339(moment: datetime) -> str:
    """To the second: a feed reader needs no more, and the head's microseconds are not a publication's."""
    return iso_utc(moment.replace(microsecond=0))


def write_feed(reports_dir: Path, entity: dict, site_url: str | None) -> Path | None:
    """Write reports/feed.atom from the log; nothing before the first publication."""
    published = publications(reports_dir)
    if not published:
        return None
    base = site_url.rstrip("/") + "/" if site_url else ""
    primary = entity["public_languages"][0]
    # Unqualified tags under a literal xmlns: ET.register_namespace would do it through a registry global to the
    # process, and another library registering its own default namespace (an SVG one, say) made the feed ns0:.
    feed = ET.Element("feed", {"xmlns": ATOM, "xml:lang": "en"})
    _element(feed, "id", _urn(entity["lei"], "feed"))
    _element(feed, "title", f"{entity['legal_name']}: transparency reports")
    _element(feed, "subtitle", "Every month: what failed, what we paid back and what the insurance funds hold; "
             "and every correction of a published month.")
    _element(feed, "updated", _rfc3339(max(p["published"] for p in published)))
    _element(_element(feed, "author"), "name", entity["legal_name"])
    _element(feed, "link", href=f"{base}index.html", rel="alternate", type="text/html")
    _element(feed, "link", href=f"{base}{FEED}", rel="self", type="application/atom+xml")
    _element(feed, "generator", "transparency-pipeline")
    for item in reversed(published):
        period, version = item["period"], item["version"]
        folder, month = f"{base}{period}/v{version}/public/", month_name(period)
        entry = _element(feed, "entry")
        _element(entry, "id", _urn(entity["lei"], f"{period}/v{version}"))
        if version == 1:
            _element(entry, "title", f"Transparency report for {month}")
            summary = (f"The report for {month}: incidents and availability of every service, compensation "
                       "claimed, decided and paid, and the insurance funds.")
        else:
            count = _corrected(reports_dir, period, version)
            _element(entry, "title", f"Correction: transparency report for {month}, version {version}")
            summary = (f"Version {version} of the report for {month} replaces version {version - 1}: {count} "
                       f"figure{'s' if count != 1 else ''} corrected, each listed with its old and new value in the "
                       "report's corrections section. Earlier versions stay published unchanged.")
        _element(entry, "published", _rfc3339(item["published"]))
        _element(entry, "updated", _rfc3339(item["published"]))
        files = read_manifest(version_dir(reports_dir, period, version))["files"]
        _element(entry, "link", href=f"{folder}index.html", rel="alternate", type="text/html", hreflang=primary)
        for language in sorted(m.group(1) for m in map(OTHER_LANGUAGE_PAGE.fullmatch, files) if m):
            _element(entry, "link", href=f"{folder}{language}/index.html", rel="alternate", type="text/html",
                     hreflang=language)
        pdf = files["public/report.pdf"]
        _element(entry, "link", href=f"{folder}report.pdf", rel="enclosure", type="application/pdf",
                 length=str(pdf["bytes"]))
        _element(entry, "summary", summary)
    ET.indent(feed)
    target = reports_dir / FEED
    write_atomic(target, ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n")
    return target
