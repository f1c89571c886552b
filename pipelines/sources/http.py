"""GET over https for every live source: each attempt limited by a timeout, transient failures (a network error,
a timeout, HTTP 408, 425, 429 or 5xx) retried with exponential backoff, and every error naming the URL."""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.client import HTTPException
from typing import Any

# HTTP statuses worth another try; any other error status fails at once.
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = "transparency-pipeline/0.1"
BACKOFF_SECONDS = 1.0

# Looked up at call time, so tests can replace them.
urlopen = urllib.request.urlopen
sleep = time.sleep


class FetchError(OSError):
    """A live source could not be fetched: a permanent failure, or a transient one after every retry."""


def fetch(
    url: str,
    *,
    timeout: float = 10,
    retries: int = 3,
    opener: Callable[..., Any] | None = None,
    pause: Callable[[float], None] | None = None,
) -> bytes:
    """GET an https URL: each attempt limited by `timeout` seconds, up to `retries` more attempts after the first
    on a network error, a timeout or a retryable status (429, 5xx...), waiting 1 s, 2 s, 4 s... in between."""
    if urllib.parse.urlsplit(url).scheme != "https":
        raise ValueError(f"{url}: a live source must be an https URL")
    if retries < 0:
        raise ValueError("retries must be 0 or more")
    opener = opener or urlopen
    pause = pause or sleep
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": USER_AGENT})
    last: Exception | None = None
    for attempt in range(retries + 1):
        if attempt:
            pause(BACKOFF_SECONDS * 2 ** (attempt - 1))
        try:
            with opener(request, timeout=timeout) as response:
                status = getattr(response, "status", 200)
                if status in RETRYABLE_STATUS:
                    last = FetchError(f"HTTP {status}")
                    continue
                if not 200 <= status < 300:
                    raise FetchError(f"GET {url}: HTTP {status}")
                return response.read()
        except urllib.error.HTTPError as exc:
            if exc.code not in RETRYABLE_STATUS:
                raise FetchError(f"GET {url}: HTTP {exc.code} {exc.reason}") from exc
            last = exc
        except (urllib.error.URLError, TimeoutError, ConnectionError, HTTPException) as exc:
            last = exc
    raise FetchError(f"GET {url}: failed after {retries + 1} attempts; last error: {last}") from last
