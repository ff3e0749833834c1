"""Where the shipped files are, and the provinces (docs/provinces.md).

Templates: the package ``perfscore.templates`` when installed (the repo's templates/
installs as it), the repo's templates/ in a bare source checkout. Presets: every
``perfscore/presets/*.yaml`` (``default``), and every province's policy.

A province is a folder, ``perfscore/provinces/<name>/``, holding what it ships:

- ``province.yaml``: its display name (``name: 辽宁省``) — the folder is a province by it;
- ``policy.yaml``: its scoring preset (``--policy <name>``);
- ``project.xlsx`` + ``project.map.yaml`` (the 表样 ``-t <name>``) and
  ``department.xlsx`` + ``department.map.yaml`` (``-t <name>_department``);
- ``report_style.j2``: its 预算绩效情况说明 style (the default of its preset);
- ``labels.yaml``: words its forms print beside the common vocabulary, where there are any.

Every list of provinces (presets, templates, styles, the CLI's help, the page's options)
is read from the folders when asked, so copying a folder adds a province; a user's own
province folder elsewhere is named by its path (``--policy 河南/``, ``-t 河南/``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

_PACKAGE = Path(__file__).resolve().parent  # a path, not importlib.resources: cheaper at start-up

PROVINCE_FILE = "province.yaml"

# the shipped templates that are no province's, by the name ``fill -t`` / ``init -t`` and a
# policy's ``template`` take
GENERIC_TEMPLATES = {
    "project": "project_sheet.xlsx",
    "department": "department_sheet.xlsx",
    "national": "national_project.xlsx",
    "national_department": "national_department.xlsx",
}


def templates_dir() -> Path:
    installed = _PACKAGE / "templates"
    # an editable install or src/ on sys.path: the repo's templates/
    return installed if installed.is_dir() else _PACKAGE.parents[1] / "templates"


def presets_dir() -> Path:
    """The folder of the shipped (and any added) scoring presets that are no province's."""
    return _PACKAGE / "presets"


def provinces_dir() -> Path:
    """The folder of the shipped (and any added) provinces."""
    return _PACKAGE / "provinces"


@dataclass(frozen=True)
class Province:
    """One province folder and what it holds (each file optional but ``province.yaml``)."""

    name: str  # the folder's name: the preset, template and style name
    folder: Path

    @property
    def title(self) -> str:
        """Its display name (辽宁省), from province.yaml; the folder's name when it gives none."""
        return province_title(self.folder)

    def file(self, name: str) -> Path | None:
        path = self.folder / name
        return path if path.is_file() else None

    @property
    def policy(self) -> Path | None:
        return self.file("policy.yaml")

    @property
    def style(self) -> Path | None:
        return self.file("report_style.j2")

    @property
    def labels(self) -> Path | None:
        return self.file("labels.yaml")

    def template(self, kind: str = "project") -> Path | None:
        return self.file(f"{kind}.xlsx")

    def template_names(self) -> dict[str, Path]:
        """Its 表样 by the names ``-t`` takes: ``<name>`` (project), ``<name>_department``."""
        out = {}
        for kind, name in (("project", self.name), ("department", f"{self.name}_department")):
            path = self.template(kind)
            if path is not None:
                out[name] = path
        return out


def province_at(folder: Path | str) -> Province | None:
    """The province a folder is (it holds province.yaml), or None."""
    folder = Path(folder)
    if not (folder / PROVINCE_FILE).is_file():
        return None
    return Province(folder.resolve().name if folder.name in ("", ".", "..") else folder.name, folder)


def province_title(folder: Path) -> str:
    """``name:`` of a province folder's province.yaml (read with the project's YAML rules)."""
    from .projectfile import read_mapping

    try:
        title = read_mapping(folder / PROVINCE_FILE).get("name")
    except Exception:  # noqa: BLE001 - a broken province.yaml still leaves the folder's name
        title = None
    return title if isinstance(title, str) and title.strip() else folder.name


def provinces() -> dict[str, Province]:
    """The shipped (and added) provinces, by name, in name order."""
    try:
        names = sorted(e.name for e in os.scandir(provinces_dir()) if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return {}
    found = (province_at(provinces_dir() / name) for name in names)
    return {p.name: p for p in found if p is not None}


def preset_path(name: str) -> Path:
    """The file of preset ``name``: ``presets/<name>.yaml``, else province ``name``'s policy."""
    path = presets_dir() / f"{name}.yaml"
    if not path.is_file():
        province = provinces().get(name)
        if province is not None and province.policy is not None:
            return province.policy
    return path


def preset_names() -> tuple[str, ...]:
    """The presets, ``default`` first, the others by name: ``presets/*.yaml`` and every
    province with a policy.yaml."""
    names = {p.stem for p in presets_dir().glob("*.yaml") if not p.name.startswith(".")}
    names |= {p.name for p in provinces().values() if p.policy is not None}
    return tuple(sorted(sorted(names), key=lambda n: n != "default"))


# the presets that are no province's, as a clerk names them
GENERIC_LABELS = {"default": "财预〔2020〕10号通用规则"}


def preset_label(name: str) -> str:
    """A preset by the name a clerk knows it: a province's by its display name (辽宁省, from
    its province.yaml), ``default`` as 财预〔2020〕10号通用规则."""
    if name in GENERIC_LABELS:
        return GENERIC_LABELS[name]
    province = provinces().get(name)
    return province.title if province is not None else name


def style_names() -> tuple[str, ...]:
    """The shipped 文风 (report styles): every province with a report_style.j2."""
    return tuple(p.name for p in provinces().values() if p.style is not None)


def style_path(name: str) -> Path:
    """The file of shipped style ``name``."""
    province = provinces().get(name)
    if province is None or province.style is None:
        raise KeyError(name)
    return province.style


def template_paths() -> dict[str, Path]:
    """Every shipped 表样 by its name: the generic ones, then each province's."""
    generic = templates_dir()
    out = {name: generic / file for name, file in GENERIC_TEMPLATES.items()}
    for province in provinces().values():
        for name, path in province.template_names().items():
            out.setdefault(name, path)
    return out


class _Names(Sequence[str]):
    """Names as a live view of the folders (read when asked)."""

    def __init__(self, read: Callable[[], tuple[str, ...]]):
        self._read = read

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())

    def __getitem__(self, index):  # type: ignore[override]
        return self._read()[index]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._read()

    def __eq__(self, other: object) -> bool:
        return tuple(self) == tuple(other) if isinstance(other, (tuple, list, _Names)) else NotImplemented

    def __repr__(self) -> str:
        return repr(self._read())


class _Templates(Mapping[str, Path]):
    """The shipped 表样 (name → file) as a live view of the folders."""

    def __getitem__(self, name: str) -> Path:
        return template_paths()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(template_paths())

    def __len__(self) -> int:
        return len(template_paths())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in template_paths()

    def __repr__(self) -> str:
        return repr(template_paths())


PRESETS: Sequence[str] = _Names(preset_names)
REPORT_STYLES: Sequence[str] = _Names(style_names)
TEMPLATE_NAMES: Mapping[str, Path] = _Templates()
