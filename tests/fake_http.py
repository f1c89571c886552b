"""Stand-ins for `urlopen`, so that the live sources' tests never touch the network."""

from __future__ import annotations

import urllib.error


class FakeResponse:
    def __init__(self, body: bytes, status: int = 200) -> None:
        self.body, self.status = body, status

    def read(self) -> bytes:
        return self.body

    def __enter__(self) -> FakeResponse:
        return self

    def __exit__(self, *exc) -> None:
        return None


class FlakyOpener:
    """Fails `failures` times (a timeout, then a 503, ...), then answers `body`; records every call."""

    def __init__(self, body: bytes, failures: int) -> None:
        self.body, self.failures, self.calls = body, failures, []

    def __call__(self, request, timeout=None):
        self.calls.append((request.full_url, timeout, request.get_header("Accept")))
        if len(self.calls) <= self.failures:
            if len(self.calls) % 2:
                raise TimeoutError("timed out")
            raise urllib.error.HTTPError(request.full_url, 503, "Service Unavailable", {}, None)
        return FakeResponse(self.body)


class MissingOpener:
    """Answers every request with a 404; records every call."""

    def __init__(self) -> None:
        self.calls = []

    def __call__(self, request, timeout=None):
        self.calls.append(request.full_url)
        raise urllib.error.HTTPError(request.full_url, 404, "Not Found", {}, None)
