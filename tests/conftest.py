import sys
from pathlib import Path

import pytest

# tests/landing_builder.py is a helper module shared by the tests.
sys.path.insert(0, str(Path(__file__).parent))

from landing_builder import valid_tables, write_landing  # noqa: E402

from pipelines.profile import load_profile  # noqa: E402


@pytest.fixture
def profile():
    return load_profile()


@pytest.fixture
def valid_landing(tmp_path: Path) -> Path:
    """The small hand-written valid landing set, written under tmp_path/landing."""
    return write_landing(tmp_path / "landing", valid_tables())
