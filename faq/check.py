"""Validation of a knowledge base beyond its schema: what `python -m faq check` reports."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from faq.facts import FACTS, placeholders
from faq.kb import SCOPE_EXAMPLES_FILE, Entry, KnowledgeBase
from faq.kinds import MessageKind
from faq.matcher import Matcher, Reason, Screening, confusable_phrasings

# The only addresses the procedure sheet gives; an answer must never invent another one.
ALLOWED_URLS = frozenset({"https://extranet.segec.be"})
ALLOWED_EMAILS = frozenset({"help.extranet@segec.be"})
# Commands this product offers in chat, so answers never point at one that does not exist.
KNOWN_COMMANDS = frozenset({"/extranet", "/invite-team", "/team", "/access", "/helpdesk"})

_HTML = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>|&[a-z]+;")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s)>»*`]+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?:\+|\b0)\d(?:[\s./-]?\d){7,}")
_COMMAND = re.compile(r"`(/[a-z-]+)")


# Each phrasing of the base -> what the matcher reads in it.
_Screened = dict[str, Screening]


@dataclass
class CheckReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check(kb: KnowledgeBase, matcher: Matcher | None = None) -> CheckReport:
    """Errors make the base unfit to ship; warnings point at phrasings the matcher may confuse."""
    report = CheckReport()
    ids = {e.id for e in kb.entries}
    report.errors.extend(_missing_required(kb, ids))
    for entry in kb.entries:
        report.errors.extend(_entry_errors(entry, ids))
    report.errors.extend(_unknown_learnt(kb, ids))
    if kb.classifier_stale:
        # The base works without it, at the accuracy it had before the second opinion.
        report.warnings.append(
            "the second opinion was fitted on other files: run `python -m faq fit` "
            "(the matcher ignores it until then)"
        )
    matcher = matcher or Matcher(kb)
    # Matching is most of the check's time: each phrasing once, for every verification below.
    screened = {text: matcher.screen(text) for entry in kb.entries for text in entry.all_phrasings}
    for entry in kb.entries:
        report.warnings.extend(_redundant_phrasings(entry, screened))
    for entry in kb.entries:
        report.warnings.extend(_phrasings_out_of_scope(entry, screened))
    report.warnings.extend(_refused_phrasings(kb, screened))
    for entry in kb.entries:
        report.errors.extend(_phrasings_not_questions(entry, matcher, screened))
    report.warnings.extend(_confusions(matcher))
    return report


def _missing_required(kb: KnowledgeBase, ids: set[str]) -> list[str]:
    return [
        f"required entry {missing!r} is missing" for missing in sorted(set(kb.required_ids) - ids)
    ]


def _unknown_learnt(kb: KnowledgeBase, ids: set[str]) -> list[str]:
    """A labelled question of learnt/ that names no entry would teach the fit a class the
    base does not have."""
    return [
        f"learnt/{name}: question {number} expects {example.expected!r}, which is no entry"
        for name, examples in kb.learnt.items()
        for number, example in enumerate(examples, start=1)
        if example.expected is not None and example.expected not in ids
    ]


def _entry_errors(entry: Entry, ids: set[str]) -> list[str]:
    """What makes one entry unfit: a dangling link, or an answer pointing somewhere it must not."""
    where = f"entry {entry.id!r}"
    errors = [
        f"{where}: related id {related!r} is not another entry"
        for related in entry.related
        if related == entry.id or related not in ids
    ]
    errors += [
        f"{where}: unknown placeholder {{{name}}} (known: {', '.join(sorted(FACTS))})"
        for name in placeholders(entry.answer)
        if name not in FACTS
    ]
    return errors + [f"{where}: {problem}" for problem in _answer_problems(entry.answer)]


def _answer_problems(answer: str) -> list[str]:
    problems: list[str] = []
    if _HTML.search(answer):
        problems.append("the answer contains HTML; use Slack mrkdwn")
    problems += [
        f"URL {url!r} is not one the procedure sheet gives"
        for url in _URL.findall(answer)
        if url.rstrip(".,;:") not in ALLOWED_URLS
    ]
    problems += [
        f"e-mail {email!r} is not one the sheet gives"
        for email in _EMAIL.findall(answer)
        if email.rstrip(".") not in ALLOWED_EMAILS
    ]
    if _PHONE.search(answer):
        problems.append("the answer contains a phone number")
    problems += [
        f"unknown chat command {command!r}"
        for command in _COMMAND.findall(answer)
        if command not in KNOWN_COMMANDS
    ]
    return problems


def _redundant_phrasings(entry: Entry, screened: _Screened) -> list[str]:
    """Phrasings with no topic word, or with the same topic words as an earlier one."""
    warnings: list[str] = []
    seen: dict[tuple[str, ...], str] = {}
    for text in entry.all_phrasings:
        stems = tuple(sorted(set(screened[text].stems)))
        if not stems:
            warnings.append(f"entry {entry.id!r}: {text!r} has no topic word")
        elif stems in seen:
            warnings.append(f"entry {entry.id!r}: {text!r} says the same as {seen[stems]!r}")
        else:
            seen[stems] = text
    return warnings


def _phrasings_out_of_scope(entry: Entry, screened: _Screened) -> list[str]:
    # The base's own phrasings are in scope by definition: the gate must let them through,
    # or the lexicon's anchors miss a way people ask.
    return [
        f"entry {entry.id!r}: {text!r} is outside the scope gate"
        for text in entry.all_phrasings
        if not screened[text].in_scope
    ]


def _refused_phrasings(kb: KnowledgeBase, screened: _Screened) -> list[str]:
    """Phrasings of the base the learnt gate reads as no question: an example of
    scope_examples.yaml too close to an entry, or a phrasing that says nothing of its own."""
    if kb.classifier is None:
        return []
    warnings = []
    for entry in kb.entries:
        for text in entry.all_phrasings:
            reason = screened[text].result.reason
            if reason in (Reason.OFF_TOPIC, Reason.PROBLEM_REPORT, Reason.SMALL_TALK):
                warnings.append(
                    f"entry {entry.id!r}: {text!r} is refused as {reason.value} "
                    f"(see {SCOPE_EXAMPLES_FILE})"
                )
    return warnings


def _phrasings_not_questions(entry: Entry, matcher: Matcher, screened: _Screened) -> list[str]:
    # A phrasing taken for a greeting, another subject or a fault of the site would never
    # reach its answer in chat: kinds.yaml or the phrasing must change. One the scope gate
    # refuses is _refused_phrasings' warning.
    errors = []
    for text in entry.all_phrasings:
        result = screened[text].result
        kind = result.kind if not result.reason.out_of_scope else matcher.rules_kind(text)
        if kind is not MessageKind.QUESTION:
            errors.append(
                f"entry {entry.id!r}: {text!r} is read as {kind.value}, "
                "not as a question (kinds.yaml)"
            )
    return errors


def _confusions(matcher: Matcher) -> list[str]:
    return [
        f"{confusion.first_id!r} {confusion.first!r} and {confusion.second_id!r} "
        f"{confusion.second!r} are {confusion.similarity:.0%} alike"
        for confusion in confusable_phrasings(matcher)
    ]
