"""Turning the function label of a ProECO export row into a function code.

Known functions (any spelling the profiles file lists) get their profile's code; any other
label is kept as it comes, under a readable code derived from it, and gets the minimal profile.
"""

from __future__ import annotations

from dataclasses import dataclass

from access.directory.profiles import Profiles
from access.text import slug

MAX_CODE_LENGTH = 64


@dataclass(frozen=True)
class FunctionRef:
    code: str
    label: str
    known: bool
    is_direction: bool


def function_of(raw_label: str, profiles: Profiles) -> FunctionRef:
    label = " ".join(raw_label.split())
    code = profiles.code_for(label)
    if code is not None:
        profile = profiles.functions[code]
        return FunctionRef(code, profile.label, True, profile.is_direction)
    unknown_code = (slug(label) or "fonction")[:MAX_CODE_LENGTH]
    return FunctionRef(unknown_code, label[:255], False, False)
