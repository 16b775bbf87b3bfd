"""Writing a new phrasing into an entry's YAML file, the way a person would edit it.

The entries' files carry comments and a layout people maintain by hand, which a YAML dump
would lose. The phrasing is inserted as one more line of the entry's ``phrasings`` list, and
the file is read back: every entry must be what it was, the edited one with the phrasing
appended, or nothing is written. The file is replaced in one step (a reader never sees half
of it).
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from faq.kb import Entry, KnowledgeBaseError, parse_entries
from faq.normalize import fold

_TOP_LEVEL = re.compile(r"^\S")
_KEY = re.compile(r"^  (\w+):")
_ITEM = re.compile(r"^    - ")


class EditError(KnowledgeBaseError):
    """The phrasing cannot be written (operator-facing, English)."""


@dataclass(frozen=True)
class Edit:
    path: Path
    added: bool  # False: the entry already had this phrasing


def add_phrasing(data_dir: Path | str, entry_id: str, phrasing: str) -> Edit:
    """Append `phrasing` to the entry's phrasings in its file under `data_dir/entries`."""
    phrasing = " ".join(phrasing.split())
    if len(phrasing) < 3:
        raise EditError("a phrasing needs at least three characters")
    path, entries = _file_of(Path(data_dir), entry_id)
    entry = next(e for e in entries if e.id == entry_id)
    if fold(phrasing) in {fold(p) for p in entry.all_phrasings}:
        return Edit(path, False)
    text = path.read_text(encoding="utf-8")
    edited = _insert(text, entry_id, phrasing)
    expected = [
        e.model_copy(update={"phrasings": (*e.phrasings, phrasing)}) if e.id == entry_id else e
        for e in entries
    ]
    try:
        reread = parse_entries(yaml.safe_load(edited), str(path))
    except (yaml.YAMLError, KnowledgeBaseError) as exc:
        raise EditError(f"{path}: the edited file would not load ({exc}); nothing written") from exc
    if reread != expected:
        raise EditError(f"{path}: the edit would change more than {entry_id!r}; nothing written")
    _replace(path, edited)
    return Edit(path, True)


def _file_of(data_dir: Path, entry_id: str) -> tuple[Path, list[Entry]]:
    for path in sorted((data_dir / "entries").glob("*.yaml")):
        try:
            entries = parse_entries(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))
        except yaml.YAMLError as exc:
            raise EditError(f"{path}: cannot read YAML: {exc}") from exc
        if any(e.id == entry_id for e in entries):
            return path, entries
    raise EditError(f"no entry {entry_id!r} in {data_dir / 'entries'}")


def _scalar(phrasing: str) -> str:
    """The phrasing as YAML writes one list item (quoted only when it must be)."""
    dumped = yaml.safe_dump([phrasing], allow_unicode=True, width=10_000)
    return dumped.strip().removeprefix("- ")


def _insert(text: str, entry_id: str, phrasing: str) -> str:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = next(
        (
            i
            for i, line in enumerate(lines)
            if re.fullmatch(rf"- id: ['\"]?{re.escape(entry_id)}['\"]?", line.rstrip())
        ),
        None,
    )
    if start is None:
        raise EditError(f"entry {entry_id!r} is not written as « - id: {entry_id} »")
    end = next((i for i in range(start + 1, len(lines)) if _TOP_LEVEL.match(lines[i])), len(lines))
    item = f"    - {_scalar(phrasing)}\n"
    keys = {m.group(1): i for i in range(start + 1, end) if (m := _KEY.match(lines[i])) is not None}
    if "phrasings" in keys:
        header = keys["phrasings"]
        if lines[header].rstrip() not in ("  phrasings:", "  phrasings: []"):
            raise EditError(f"entry {entry_id!r}: write its phrasings as a block list to edit it")
        lines[header] = "  phrasings:\n"
        last = header
        for i in range(header + 1, end):
            if _ITEM.match(lines[i]) or lines[i].startswith("      "):
                last = i
            elif lines[i].strip():
                break
        lines.insert(last + 1, item)
    else:
        question = keys.get("question")
        if question is None:
            raise EditError(f"entry {entry_id!r} has no « question: » line")
        after = question + 1
        while after < end and lines[after].startswith("   "):
            after += 1  # a question written over several lines
        lines[after:after] = ["  phrasings:\n", item]
    return "".join(lines)


def _replace(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
