"""Default Extranet access per function, read from `data/access-profiles.yaml`.

The file is operator-editable; it names every resource (code + French label), the profile of
each known function and the minimal profile of functions it does not know.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from access.config import DEFAULT_DATA_DIR
from access.errors import InvalidInput
from access.text import compact_key


@dataclass(frozen=True)
class Resource:
    code: str
    label: str


@dataclass(frozen=True)
class FunctionProfile:
    code: str
    label: str
    is_direction: bool
    resources: frozenset[str]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profiles:
    resources: dict[str, Resource]
    functions: dict[str, FunctionProfile]
    minimal: frozenset[str]
    _by_key: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def resources_for(self, function_code: str) -> frozenset[str]:
        profile = self.functions.get(function_code)
        return profile.resources if profile is not None else self.minimal

    def all_resources(self) -> list[Resource]:
        return list(self.resources.values())

    def label_of_resource(self, code: str) -> str:
        resource = self.resources.get(code)
        return resource.label if resource is not None else code

    def is_known(self, function_code: str) -> bool:
        return function_code in self.functions

    def code_for(self, raw_function: str) -> str | None:
        """The known function a label from the export names (any spelling), or None."""
        return self._by_key.get(compact_key(raw_function))


DEFAULT_PROFILES_FILE = DEFAULT_DATA_DIR / "access-profiles.yaml"


@lru_cache(maxsize=8)
def default_profiles(path: Path = DEFAULT_PROFILES_FILE) -> Profiles:
    """The profiles file, read once per process (callers that edit it pass `load_profiles`)."""
    return load_profiles(path)


def load_profiles(path: Path) -> Profiles:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InvalidInput(
            "invalid_profiles", detail=f"cannot read access profiles {path}: {error}"
        ) from None
    try:
        return _build(data)
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidInput(
            "invalid_profiles", detail=f"invalid access profiles {path}: {error}"
        ) from None


def _build(data: dict[str, Any]) -> Profiles:
    resources = {
        str(item["code"]): Resource(str(item["code"]), str(item["label"]))
        for item in data["resources"]
    }

    def checked(codes: list[Any], owner: str) -> frozenset[str]:
        unknown = [str(code) for code in codes if str(code) not in resources]
        if unknown:
            raise ValueError(f"{owner} names unknown resources: {', '.join(unknown)}")
        return frozenset(str(code) for code in codes)

    functions: dict[str, FunctionProfile] = {}
    by_key: dict[str, str] = {}
    for code, entry in (data.get("functions") or {}).items():
        code = str(code)
        profile = FunctionProfile(
            code=code,
            label=str(entry["label"]),
            is_direction=bool(entry.get("direction", False)),
            resources=checked(entry.get("resources") or [], f"function {code}"),
            aliases=tuple(str(alias) for alias in entry.get("aliases") or []),
        )
        functions[code] = profile
        for spelling in (code, profile.label, *profile.aliases):
            other = by_key.setdefault(compact_key(spelling), code)
            if other != code:
                raise ValueError(f"spelling {spelling!r} names both {other} and {code}")
    minimal = checked(data.get("minimal") or [], "minimal")
    return Profiles(resources=resources, functions=functions, minimal=minimal, _by_key=by_key)
