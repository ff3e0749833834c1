"""Where the shipped files are. Templates: the package ``perfscore.templates`` when
installed (the repo's templates/ installs as it), the repo's templates/ in a bare source
checkout. Presets: every ``perfscore/presets/*.yaml``, so dropping a file there adds a
preset by its name."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Sequence

_PACKAGE = Path(__file__).resolve().parent  # a path, not importlib.resources: cheaper at start-up


# the shipped templates, by the name ``fill -t`` / ``init -t`` and a policy's ``template`` take
TEMPLATE_NAMES = {
    "project": "project_sheet.xlsx",
    "department": "department_sheet.xlsx",
    "national": "national_project.xlsx",
    "national_department": "national_department.xlsx",
    "liaoning": "liaoning_project.xlsx",
    "hubei": "hubei_project.xlsx",
    "shanxi": "shanxi_project.xlsx",
}


def templates_dir() -> Path:
    installed = _PACKAGE / "templates"
    # an editable install or src/ on sys.path: the repo's templates/
    return installed if installed.is_dir() else _PACKAGE.parents[1] / "templates"


def presets_dir() -> Path:
    """The folder of the shipped (and any added) scoring presets."""
    return _PACKAGE / "presets"


def preset_path(name: str) -> Path:
    """The file of preset ``name``."""
    return presets_dir() / f"{name}.yaml"


def preset_names() -> tuple[str, ...]:
    """The presets in ``presets_dir()``, ``default`` first, the others by name."""
    names = sorted(p.stem for p in presets_dir().glob("*.yaml") if not p.name.startswith("."))
    return tuple(sorted(names, key=lambda n: n != "default"))


class _Presets(Sequence[str]):
    """The preset names as a live view of the presets folder (read when asked)."""

    def __iter__(self) -> Iterator[str]:
        return iter(preset_names())

    def __len__(self) -> int:
        return len(preset_names())

    def __getitem__(self, index):  # type: ignore[override]
        return preset_names()[index]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in preset_names()

    def __eq__(self, other: object) -> bool:
        return tuple(self) == tuple(other) if isinstance(other, (tuple, list, _Presets)) else NotImplemented

    def __repr__(self) -> str:
        return repr(preset_names())


PRESETS: Sequence[str] = _Presets()
