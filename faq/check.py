"""Validation of a knowledge base beyond its schema: what `python -m faq check` reports."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from faq.kb import KnowledgeBase
from faq.matcher import Matcher, confusable_phrasings

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
    for missing in sorted(set(kb.required_ids) - ids):
        report.errors.append(f"required entry {missing!r} is missing")
    for entry in kb.entries:
        where = f"entry {entry.id!r}"
        for related in entry.related:
            if related == entry.id or related not in ids:
                report.errors.append(f"{where}: related id {related!r} is not another entry")
        if _HTML.search(entry.answer):
            report.errors.append(f"{where}: the answer contains HTML; use Slack mrkdwn")
        for url in _URL.findall(entry.answer):
            if url.rstrip(".,;:") not in ALLOWED_URLS:
                report.errors.append(f"{where}: URL {url!r} is not one the procedure sheet gives")
        for email in _EMAIL.findall(entry.answer):
            if email.rstrip(".") not in ALLOWED_EMAILS:
                report.errors.append(f"{where}: e-mail {email!r} is not one the sheet gives")
        if _PHONE.search(entry.answer):
            report.errors.append(f"{where}: the answer contains a phone number")
        for command in _COMMAND.findall(entry.answer):
            if command not in KNOWN_COMMANDS:
                report.errors.append(f"{where}: unknown chat command {command!r}")

    if kb.classifier_stale:
        # The base works without it, at the accuracy it had before the second opinion.
        report.warnings.append(
            "the second opinion was fitted on other files: run `python -m faq fit` "
            "(the matcher ignores it until then)"
        )
    matcher = matcher or Matcher(kb)
    for entry in kb.entries:
        seen: dict[tuple[str, ...], str] = {}
        for text in entry.all_phrasings:
            stems = tuple(sorted(set(matcher.normalizer.stems(text))))
            if not stems:
                report.warnings.append(f"entry {entry.id!r}: {text!r} has no topic word")
            elif stems in seen:
                report.warnings.append(
                    f"entry {entry.id!r}: {text!r} says the same as {seen[stems]!r}"
                )
            else:
                seen[stems] = text
    for entry in kb.entries:
        for text in entry.all_phrasings:
            if not matcher.in_scope(text):
                # The base's own phrasings are in scope by definition: the gate must let them
                # through, or the lexicon's anchors miss a way people ask.
                report.warnings.append(f"entry {entry.id!r}: {text!r} is outside the scope gate")
    for confusion in confusable_phrasings(matcher):
        report.warnings.append(
            f"{confusion.first_id!r} {confusion.first!r} and {confusion.second_id!r} "
            f"{confusion.second!r} are {confusion.similarity:.0%} alike"
        )
    return report
