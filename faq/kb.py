"""The knowledge base: entries and lexicon read from YAML files in a data directory.

Layout of a data directory (``data/faq`` by default):

- ``entries/*.yaml``: lists of entries (schema: :class:`Entry`);
- ``synonyms.yaml``: ``synonyms`` (canonical word -> variants), ``stopwords``, ``negation``,
  ``scope`` and ``pairs`` (see the comments at the top of the shipped file);
- ``required_ids.txt``: ids that must exist (one per line), checked by ``python -m faq check``;
- ``scope_examples.yaml``: messages that are not questions for the base, by kind (another
  subject, a fault of the Extranet, small talk): the negative side of the scope gate, learnt
  by the second opinion (see the comments at the top of the shipped file);
- ``calibration.json``: the confidence curve ``python -m faq calibrate --write`` fitted;
- ``kinds.yaml``: the word lists that tell a greeting, another subject or a fault of the site
  from a question (:mod:`faq.kinds`);
- ``categories.yaml``: each category id -> its French title, in the order pages show them;
- ``learnt/*.jsonl``: labelled questions (``{"question": ..., "expected": <id or null>}``, the
  format of the evaluation sets): real messages the second opinion also learns from, each
  in-scope one as an example of its entry, each null one as a message that is no question
  of the base (:mod:`faq.training`).

The last two are not part of what the second opinion is fitted on (its digest).
"""

from __future__ import annotations

import json
import logging
import sysconfig
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from common import collector
from faq import second_opinion
from faq.kinds import FILE_NAME as KINDS_FILE
from faq.kinds import KindRules, KindsError
from faq.normalize import Lexicon
from faq.second_opinion import Classifier

# Beside the packages in a checkout; under <prefix>/share/extranet-bot/ once installed.
# (pip's data path: see access.config, which faq may not import.)
_BESIDE = Path(__file__).resolve().parent.parent / "data" / "faq"
_INSTALLED = Path(sysconfig.get_path("data"), "share", "extranet-bot", "data", "faq")
DEFAULT_DATA_DIR = (
    _INSTALLED if _INSTALLED.is_dir() and not (_BESIDE / "synonyms.yaml").is_file() else _BESIDE
)

log = logging.getLogger(__name__)

try:  # libyaml is much faster on a large base; PyYAML without it still works.
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


class KnowledgeBaseError(Exception):
    """The data directory cannot be loaded (operator-facing, English)."""


class Entry(BaseModel):
    """One topic of the FAQ: a canonical question, other ways to ask it, and the answer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    category: str = Field(min_length=1)
    question: str = Field(min_length=3)
    phrasings: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    answer: str = Field(min_length=10)
    related: tuple[str, ...] = ()

    @field_validator("phrasings", "keywords")
    @classmethod
    def _no_blank(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        if any(not v.strip() for v in values):
            raise ValueError("blank item")
        return tuple(v.strip() for v in values)

    @field_validator("answer")
    @classmethod
    def _strip_answer(cls, value: str) -> str:
        return value.strip()

    @property
    def all_phrasings(self) -> tuple[str, ...]:
        """The canonical question first, then the other phrasings."""
        return (self.question, *self.phrasings)


@dataclass(frozen=True)
class Labelled:
    """A real question and the entry that answers it (None: no entry should)."""

    question: str
    expected: str | None


@dataclass(frozen=True)
class KnowledgeBase:
    entries: tuple[Entry, ...]
    lexicon: Lexicon
    required_ids: tuple[str, ...] = ()
    # The matcher's second opinion (faq.second_opinion), when fitted on these very files.
    classifier: Classifier | None = None
    classifier_stale: bool = False
    digest: str = ""
    # Kind (``SCOPE_KINDS``) -> messages of that kind: what the scope gate learns to refuse.
    scope_examples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The confidence curve `python -m faq calibrate --write` fitted on this base, if any.
    calibration: tuple[float, ...] | None = None
    kinds: KindRules = field(default_factory=lambda: KindRules(social={}))
    # Category id -> French title (« acces » -> « Accès »), in the order to show them.
    categories: Mapping[str, str] = field(default_factory=dict)
    # File name (« unseen3.jsonl ») -> its labelled questions: what the fit learns beside the
    # phrasings (learnt/*.jsonl).
    learnt: Mapping[str, tuple[Labelled, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        duplicates = sorted({e.id for e in self.entries if e.id in seen or seen.add(e.id)})
        if duplicates:
            raise KnowledgeBaseError(f"duplicate entry ids: {', '.join(duplicates)}")

    def get(self, entry_id: str) -> Entry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    def category_title(self, category: str) -> str:
        """The French title of a category; its id, capitalised, when the file lacks it."""
        return self.categories.get(category) or category.capitalize()

    def by_category(self) -> list[tuple[str, list[Entry]]]:
        """(title, entries) per category: the order of categories.yaml, then the others."""
        order = {category: index for index, category in enumerate(self.categories)}
        grouped: dict[str, list[Entry]] = {}
        for entry in self.entries:
            grouped.setdefault(entry.category, []).append(entry)
        ranked = sorted(grouped, key=lambda c: (order.get(c, len(order)), c))
        return [(self.category_title(category), grouped[category]) for category in ranked]


def _read_yaml(path: Path, sources: dict[str, bytes]) -> Any:
    """Parse one file, and keep its bytes in `sources` (the second opinion's digest)."""
    try:
        raw = path.read_bytes()
        parsed = yaml.load(raw, Loader=_Loader)
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeBaseError(f"{path}: cannot read YAML: {exc}") from exc
    sources[path.name] = raw
    return parsed


def parse_entries(raw: Any, source: str) -> list[Entry]:
    """Validate a YAML document holding a list of entries."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise KnowledgeBaseError(f"{source}: expected a list of entries")
    entries = []
    for index, item in enumerate(raw):
        try:
            entries.append(Entry.model_validate(item))
        except ValidationError as exc:
            where = item.get("id", f"#{index}") if isinstance(item, dict) else f"#{index}"
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'entry'}: {err['msg']}"
                for err in exc.errors()
            )
            raise KnowledgeBaseError(f"{source}: entry {where}: {problems}") from exc
    return entries


CATEGORIES_FILE = "categories.yaml"
LEARNT_DIR = "learnt"
LEXICON_KEYS = frozenset({"synonyms", "stopwords", "negation", "scope", "pairs"})
SCOPE_EXAMPLES_FILE = "scope_examples.yaml"
CALIBRATION_FILE = "calibration.json"
CALIBRATION_SIZE = 4
# What a message that is not a question for the base may be (scope_examples.yaml).
SCOPE_KINDS = ("off_topic", "problem_report", "small_talk")
# Sentences that set a scene and ask nothing: training examples are lengthened with them.
STORY = "story"


def parse_labelled(raw: bytes, source: str) -> tuple[Labelled, ...]:
    """Validate a JSON-lines file of ``{"question": ..., "expected": <id or null>}``."""
    labelled = []
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise KnowledgeBaseError(f"{source}: not UTF-8 text") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question, expected = row["question"], row.get("expected")
        except (ValueError, KeyError, TypeError) as exc:
            raise KnowledgeBaseError(f"{source}:{number}: expected {{question, expected}}") from exc
        if not isinstance(question, str) or not question.strip():
            raise KnowledgeBaseError(f"{source}:{number}: question is text")
        if not (expected is None or isinstance(expected, str)):
            raise KnowledgeBaseError(f"{source}:{number}: expected is an entry id or null")
        labelled.append(Labelled(question.strip(), expected))
    return tuple(labelled)


def _learnt(root: Path, sources: dict[str, bytes]) -> dict[str, tuple[Labelled, ...]]:
    """The labelled questions of learnt/*.jsonl, their bytes kept for the digest."""
    learnt = {}
    for path in sorted((root / LEARNT_DIR).glob("*.jsonl")):
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise KnowledgeBaseError(f"{path}: {exc.strerror or exc}") from exc
        learnt[path.name] = parse_labelled(raw, str(path))
        # Prefixed: a file of learnt/ may share its name with none of the base's own.
        sources[f"{LEARNT_DIR}/{path.name}"] = raw
    return learnt


def parse_scope_examples(raw: Any, source: str) -> dict[str, tuple[str, ...]]:
    """Validate the negative examples: a mapping of known kinds to lists of messages."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or set(raw) - {*SCOPE_KINDS, STORY}:
        raise KnowledgeBaseError(
            f"{source}: expected the keys {', '.join(SCOPE_KINDS)} and {STORY!r}"
        )
    examples: dict[str, tuple[str, ...]] = {}
    for kind, items in raw.items():
        if not isinstance(items, list) or not all(
            isinstance(i, str | int | float) and str(i).strip() for i in items
        ):
            raise KnowledgeBaseError(f"{source}: {kind!r} is a list of messages")
        examples[kind] = tuple(str(i).strip() for i in items)
    return examples


def _booleans(value: Any) -> list[str]:
    """Where YAML read a bare word as a boolean: « on », « off », « yes », « no » unquoted."""
    if isinstance(value, bool):
        return [str(value).lower()]
    if isinstance(value, dict):
        return [b for k, v in value.items() for b in (*_booleans(k), *_booleans(v))]
    if isinstance(value, list):
        return [b for v in value for b in _booleans(v)]
    return []


def parse_lexicon(raw: Any, source: str) -> Lexicon:
    if raw is None:
        return Lexicon()
    if not isinstance(raw, dict) or set(raw) - LEXICON_KEYS:
        raise KnowledgeBaseError(
            f"{source}: expected the keys 'synonyms', 'stopwords', 'negation', 'scope' and 'pairs'"
        )
    booleans = _booleans(raw)
    if booleans:
        # « on » unquoted becomes True, then the word « true »: the real word would be lost.
        raise KnowledgeBaseError(
            f'{source}: YAML reads a bare word as {booleans[0]}; quote it ("on", "no")'
        )
    synonyms = raw.get("synonyms") or {}
    stopwords = raw.get("stopwords") or []
    negation = raw.get("negation") or {}
    scope = raw.get("scope") or {}
    pairs = raw.get("pairs") or {}
    if not isinstance(synonyms, dict) or not all(isinstance(v, list) for v in synonyms.values()):
        raise KnowledgeBaseError(f"{source}: 'synonyms' maps a word to a list of variants")
    if not isinstance(stopwords, list):
        raise KnowledgeBaseError(f"{source}: 'stopwords' is a list")
    if not isinstance(negation, dict) or set(negation) - {"cues", "contrast", "words"}:
        raise KnowledgeBaseError(f"{source}: 'negation' has the keys 'cues', 'contrast', 'words'")
    if (
        not isinstance(scope, dict)
        or set(scope) - {"anchors", "off_topic", "systems", "context", "names", "weak"}
        or not all(isinstance(v, list) for v in scope.values())
    ):
        raise KnowledgeBaseError(
            f"{source}: 'scope' maps 'anchors', 'off_topic', 'systems', 'context', 'names' and "
            "'weak' to lists"
        )
    if not isinstance(pairs, dict) or not all(isinstance(v, list) for v in pairs.values()):
        raise KnowledgeBaseError(f"{source}: 'pairs' maps a word to a list of two-word pairs")
    try:
        return Lexicon.build(synonyms, stopwords, negation, scope, pairs)
    except ValueError as exc:
        raise KnowledgeBaseError(f"{source}: {exc}") from exc


def load(data_dir: Path | str = DEFAULT_DATA_DIR) -> KnowledgeBase:
    """Read and validate a data directory; raises KnowledgeBaseError with the file at fault."""
    # A base is a few hundred thousand small objects and no reference cycles.
    with collector.paused():
        return _load(Path(data_dir))


def _load(root: Path) -> KnowledgeBase:
    files = sorted((root / "entries").glob("*.yaml"))
    if not files:
        raise KnowledgeBaseError(f"{root}: no entries/*.yaml file")
    entries: list[Entry] = []
    sources: dict[str, bytes] = {}
    for path in files:
        entries.extend(parse_entries(_read_yaml(path, sources), str(path)))
    synonyms_path = root / "synonyms.yaml"
    lexicon = (
        parse_lexicon(_read_yaml(synonyms_path, sources), str(synonyms_path))
        if synonyms_path.exists()
        else Lexicon()
    )
    scope_path = root / SCOPE_EXAMPLES_FILE
    scope_examples = (
        parse_scope_examples(_read_yaml(scope_path, sources), str(scope_path))
        if scope_path.exists()
        else {}
    )
    required_path = root / "required_ids.txt"
    required = (
        tuple(_lines(required_path.read_text(encoding="utf-8").splitlines()))
        if required_path.exists()
        else ()
    )
    learnt = _learnt(root, sources)
    calibration = read_calibration(root / CALIBRATION_FILE)
    # Read apart from `sources`: neither file is something the second opinion is fitted on.
    kinds = _kinds(root / KINDS_FILE)
    categories = _categories(root / CATEGORIES_FILE)
    fitted_on = second_opinion.digest(sources.items())
    classifier, present = second_opinion.load(root / second_opinion.FILE_NAME, fitted_on)
    return KnowledgeBase(
        entries=tuple(entries),
        lexicon=lexicon,
        required_ids=required,
        classifier=classifier,
        classifier_stale=present and classifier is None,
        digest=fitted_on,
        scope_examples=scope_examples,
        calibration=calibration,
        kinds=kinds,
        categories=categories,
        learnt=learnt,
    )


def read_calibration(path: Path) -> tuple[float, ...] | None:
    """The fitted confidence curve, or None (none written, or unreadable: the default)."""
    if not path.exists():
        return None
    try:
        values = json.loads(path.read_text(encoding="utf-8"))["calibration"]
        curve = tuple(float(v) for v in values)
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("%s cannot be read; the default curve is used", path)
        return None
    if len(curve) != CALIBRATION_SIZE:
        log.warning("%s does not hold a curve of this matcher; the default is used", path)
        return None
    return curve


def write_calibration(data_dir: Path, curve: tuple[float, ...]) -> Path:
    path = Path(data_dir) / CALIBRATION_FILE
    path.write_text(json.dumps({"calibration": list(curve)}) + "\n", encoding="utf-8")
    return path


def _kinds(path: Path) -> KindRules:
    if not path.exists():
        return KindRules(social={})
    try:
        return KindRules.build(_read_yaml(path, {}))
    except KindsError as exc:
        raise KnowledgeBaseError(f"{path}: {exc}") from exc


def _categories(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    raw = _read_yaml(path, {})
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in raw.items()
    ):
        raise KnowledgeBaseError(f"{path}: expected a mapping of category id to its title")
    return {k: v.strip() for k, v in raw.items()}


def _lines(lines: Iterable[str]) -> Iterable[str]:
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            yield line
