"""The Atom feed of publications and corrections (reports/feed.atom), checked against the rules of RFC 4287 (each
MUST of §4.1.1 and §4.1.2 that a feed of this shape can break, the date format of §3.3), its ids stable."""

from __future__ import annotations

import json
import re
import shutil
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from demo_run import MONTHS

from pipelines.profile import load_profile
from pipelines.reports.feed import write_feed

pytestmark = pytest.mark.xdist_group("demo")

A = "{http://www.w3.org/2005/Atom}"
# RFC 3339 date-time, as RFC 4287 §3.3 restricts it: upper-case T and Z, seconds present, an explicit offset.
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def atom_problems(document: bytes) -> list[str]:
    """Violations of RFC 4287 in a feed document, each naming the rule."""
    problems = []
    feed = ET.fromstring(document)
    if feed.tag != f"{A}feed":
        return [f"the root element is {feed.tag}, not atom:feed (§4.1.1)"]

    def once(parent: ET.Element, name: str, where: str) -> None:
        count = len(parent.findall(f"{A}{name}"))
        if count != 1:
            problems.append(f"{where} has {count} atom:{name}, exactly one is required")

    def at_most_once(parent: ET.Element, name: str, where: str) -> None:
        if len(parent.findall(f"{A}{name}")) > 1:
            problems.append(f"{where} has more than one atom:{name}")

    def links(parent: ET.Element, where: str) -> None:
        alternates = [(link.get("type"), link.get("hreflang")) for link in parent.findall(f"{A}link")
                      if link.get("rel", "alternate") == "alternate"]
        if len(alternates) != len(set(alternates)):
            problems.append(f"{where} has two alternate links of one type and language (§4.1.1)")
        if any(not link.get("href") for link in parent.findall(f"{A}link")):
            problems.append(f"{where} has an atom:link without href (§4.2.7.1)")
        if any(not re.fullmatch(r"\d+", link.get("length", "0")) for link in parent.findall(f"{A}link")):
            problems.append(f"{where} has an atom:link whose length is not a number of octets (§4.2.7.6)")

    def dates(parent: ET.Element, where: str) -> None:
        for name in ("updated", "published"):
            for element in parent.findall(f"{A}{name}"):
                if not DATE_TIME.fullmatch(element.text or ""):
                    problems.append(f"{where} atom:{name} {element.text!r} is not an RFC 3339 date-time (§3.3)")

    def iri(element: ET.Element | None, where: str) -> None:
        if element is not None and not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:\S+", element.text or ""):
            problems.append(f"{where} atom:id {element.text!r} is not an absolute IRI (§4.2.6)")

    for name in ("id", "title", "updated"):
        once(feed, name, "the feed")
    for name in ("generator", "icon", "logo", "rights", "subtitle"):
        at_most_once(feed, name, "the feed")
    links(feed, "the feed")
    dates(feed, "the feed")
    iri(feed.find(f"{A}id"), "the feed")
    if not any(link.get("rel") == "self" for link in feed.findall(f"{A}link")):
        problems.append("the feed has no atom:link rel=self (SHOULD, §4.1.1)")
    feed_author = feed.find(f"{A}author") is not None
    for index, entry in enumerate(feed.findall(f"{A}entry")):
        where = f"entry {index}"
        for name in ("id", "title", "updated"):
            once(entry, name, where)
        for name in ("content", "published", "rights", "source", "summary"):
            at_most_once(entry, name, where)
        if not feed_author and entry.find(f"{A}author") is None:
            problems.append(f"{where} has no atom:author and neither has the feed (§4.1.1)")
        has_content = entry.find(f"{A}content") is not None
        if not has_content and not any(link.get("rel", "alternate") == "alternate"
                                       for link in entry.findall(f"{A}link")):
            problems.append(f"{where} has neither atom:content nor an alternate link (§4.1.2)")
        if not has_content and entry.find(f"{A}summary") is None:
            problems.append(f"{where} has no atom:content, so it should have an atom:summary (§4.1.2)")
        for author in entry.findall(f"{A}author") + feed.findall(f"{A}author"):
            once(author, "name", f"{where} author")
        links(entry, where)
        dates(entry, where)
        iri(entry.find(f"{A}id"), where)
    ids = [e.text for e in feed.iter(f"{A}id")]
    if len(ids) != len(set(ids)):
        problems.append("two atom:id are the same (§4.2.6)")
    return problems


def entries(document: bytes) -> list[dict]:
    feed = ET.fromstring(document)
    return [{"id": e.findtext(f"{A}id"), "title": e.findtext(f"{A}title"), "updated": e.findtext(f"{A}updated"),
             "summary": e.findtext(f"{A}summary"),
             # an alternate link per language: "alternate" the first language's, "alternate:de" the German one
             "links": {link.get("rel") + ("" if link.get("hreflang") in (None, "en") else f":{link.get('hreflang')}"):
                       link.attrib for link in e.findall(f"{A}link")}}
            for e in feed.findall(f"{A}entry")]


def test_the_checker_finds_what_it_checks():
    good = (b'<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x:1</id><title>t</title>'
            b'<updated>2026-11-05T06:00:00Z</updated><author><name>n</name></author>'
            b'<link rel="self" href="f"/></feed>')
    assert atom_problems(good) == []
    assert atom_problems(good.replace(b"<title>t</title>", b"")) == ["the feed has 0 atom:title, exactly one is "
                                                                     "required"]
    assert "is not an RFC 3339 date-time" in atom_problems(good.replace(b"06:00:00Z", b"06:00"))[0]
    entry = b"<entry><id>urn:x:1</id><title>e</title><updated>2026-11-05T06:00:00Z</updated></entry></feed>"
    assert atom_problems(good.replace(b"</feed>", entry)) == [
        "entry 0 has neither atom:content nor an alternate link (§4.1.2)",
        "entry 0 has no atom:content, so it should have an atom:summary (§4.1.2)",
        "two atom:id are the same (§4.2.6)"]


def test_the_demo_feed_is_valid_atom_with_an_entry_per_publication(demo: Path):
    reports = demo / "reports"
    document = (reports / "feed.atom").read_bytes()
    assert atom_problems(document) == []
    found = entries(document)
    logged = [json.loads(line)["version"] for line in (reports / "log" / "entries.jsonl").read_text().splitlines()]
    assert len(found) == len(logged) == len(MONTHS)
    site = load_profile().site_url.rstrip("/")
    lei = load_profile().lei
    for entry, version in zip(found, reversed(logged)):  # newest first
        period = version.split("/")[0]
        assert entry["id"] == uuid.uuid5(uuid.NAMESPACE_URL, f"urn:lei:{lei}:transparency-reports:{version}").urn
        assert entry["links"]["alternate"]["href"] == f"{site}/{version}/public/index.html"
        assert entry["links"]["alternate:de"]["href"] == f"{site}/{version}/public/de/index.html"
        pdf = reports / version / "public" / "report.pdf"
        assert entry["links"]["enclosure"]["length"] == str(pdf.stat().st_size)
        assert period in entry["links"]["enclosure"]["href"] and entry["title"].startswith("Transparency report")
    assert '<link rel="alternate" type="application/atom+xml"' in (reports / "index.html").read_text()


def test_rewriting_the_feed_keeps_its_bytes_and_a_correction_is_an_entry_of_its_own(demo: Path, tmp_path: Path):
    """A correction (v2 of a month) is a new entry, titled so, counting the figures corrected; the entries before
    it keep their ids and times."""
    reports = tmp_path / "reports"
    shutil.copytree(demo / "reports", reports)
    entity = {"legal_name": "Northwind", "lei": load_profile().lei,
              "public_languages": list(load_profile().public_languages)}
    before = entries(write_feed(reports, entity, None).read_bytes())
    assert write_feed(reports, entity, None).read_bytes() == write_feed(reports, entity, None).read_bytes()

    # What publishing a v2 leaves behind: the version, its corrections, the log entry and its signed head.
    period = MONTHS[0]
    shutil.copytree(reports / period / "v1", reports / period / "v2")
    figures = reports / period / "v2" / "regulator" / "figures.json"
    content = json.loads(figures.read_text())
    content["corrections"] = [{"version": 2, "metric": m, "old": "1", "new": "2", "reason": "r"}
                              for m in ("claims_received", "compensation_paid_usd")]
    figures.write_text(json.dumps(content))
    log = reports / "log"
    with open(log / "entries.jsonl", "a") as handle:
        handle.write(json.dumps({"version": f"{period}/v2", "manifest_sha256": "0" * 64}) + "\n")
    head = json.loads((log / "latest.json").read_text())
    (log / "heads" / f"{head['size'] + 1:08d}.json").write_text(json.dumps(
        {**head, "size": head["size"] + 1, "timestamp": "2026-12-24T10:00:00.000001Z"}))

    document = write_feed(reports, entity, None).read_bytes()
    assert atom_problems(document) == []
    [newest, *rest] = entries(document)
    assert rest == before
    assert newest["title"] == "Correction: transparency report for September 2026, version 2"
    assert "2 figures corrected" in newest["summary"] and newest["updated"] == "2026-12-24T10:00:00Z"
    assert newest["links"]["alternate"]["href"] == f"{period}/v2/public/index.html"  # relative: no site_url


def test_the_feed_does_not_depend_on_namespaces_registered_elsewhere_in_the_process(demo: Path, tmp_path: Path):
    """ElementTree's namespace registry is global: a library registering its own default namespace (as one in the
    rendering stack does) once made the feed come out with ns0: prefixes, and differ between two builds."""
    reports = tmp_path / "reports"
    shutil.copytree(demo / "reports", reports)
    entity = {"legal_name": "Northwind", "lei": load_profile().lei,
              "public_languages": list(load_profile().public_languages)}
    before = write_feed(reports, entity, None).read_bytes()
    ET.register_namespace("", "http://www.w3.org/2000/svg")
    try:
        assert write_feed(reports, entity, None).read_bytes() == before
    finally:
        ET.register_namespace("svg", "http://www.w3.org/2000/svg")
    assert b"ns0:" not in before and b'<feed xmlns="http://www.w3.org/2005/Atom"' in before
