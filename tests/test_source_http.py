"""The live sources' shared fetching (pipelines/sources/http.py), with a fake opener: no test touches the network."""

from __future__ import annotations

import pytest
from fake_http import FlakyOpener, MissingOpener

from pipelines.sources.http import FetchError, fetch


def test_fetch_retries_then_succeeds_and_passes_the_timeout() -> None:
    opener, pauses = FlakyOpener(b"[]", failures=2), []
    body = fetch("https://www.bitmex.com/api/v1/insurance?count=1", timeout=4.5, retries=3, opener=opener,
                 pause=pauses.append)
    assert body == b"[]"
    assert [call[1] for call in opener.calls] == [4.5, 4.5, 4.5]
    assert opener.calls[0][2] == "application/json"
    assert pauses == [1.0, 2.0]  # backoff between attempts


def test_fetch_gives_up_after_the_retries() -> None:
    opener = FlakyOpener(b"[]", failures=10)
    with pytest.raises(FetchError, match=r"GET https://example\.invalid/x: failed after 3 attempts"):
        fetch("https://example.invalid/x", retries=2, opener=opener, pause=lambda s: None)
    assert len(opener.calls) == 3


def test_fetch_does_not_retry_a_client_error() -> None:
    opener = MissingOpener()
    with pytest.raises(FetchError, match=r"GET https://example\.invalid/x: HTTP 404"):
        fetch("https://example.invalid/x", opener=opener, pause=lambda s: None)
    assert len(opener.calls) == 1


def test_fetch_only_https() -> None:
    with pytest.raises(ValueError, match="https"):
        fetch("http://www.bitmex.com/api/v1/insurance", opener=lambda *a, **k: None)
