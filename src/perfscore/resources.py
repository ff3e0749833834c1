"""Where the shipped templates are: the package ``perfscore.templates`` when installed
(the repo's templates/ installs as it), the repo's templates/ in a bare source checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def templates_dir() -> Path:
    try:
        return Path(str(resources.files("perfscore.templates")))
    except ModuleNotFoundError:  # src/ on sys.path without an install
        return Path(__file__).resolve().parents[2] / "templates"
