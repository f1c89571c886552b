import sys
from pathlib import Path

import pytest

# tests/landing_builder.py is a helper module shared by the tests.
sys.path.insert(0, str(Path(__file__).parent))

from demo_run import build_demo  # noqa: E402
from landing_builder import valid_tables, write_landing  # noqa: E402

from pipelines.profile import load_profile  # noqa: E402


@pytest.fixture
def profile():
    return load_profile()


@pytest.fixture
def valid_landing(tmp_path: Path) -> Path:
    """The small hand-written valid landing set, written under tmp_path/landing."""
    return write_landing(tmp_path / "landing", valid_tables())


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """A working folder where `transparency demo` built demo_run.MONTHS: read it, or copy it to change it."""
    return build_demo(tmp_path_factory.mktemp("demo"))
