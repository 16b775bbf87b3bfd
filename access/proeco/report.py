"""What a sync did (or would do, on a dry run): counts, rejected rows, e-mails to fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from access.proeco.reader import RejectedRow


@dataclass(frozen=True)
class EmailToFix:
    line: int
    matricule: str
    email: str
    # The activated account still signs in with its reference e-mail: the sync never removes
    # it, however empty or invalid ProECO's is.
    reference_email_kept: bool = False


@dataclass
class SyncReport:
    added: int = 0
    updated: int = 0
    email_changed: int = 0
    # Of the people who had a ProECO e-mail: how many the file changes or empties.
    email_changed_or_emptied: int = 0
    email_emptied: int = 0
    function_changed: int = 0
    left: int = 0
    unchanged: int = 0
    returned: int = 0
    assignments_ended: int = 0
    establishments_added: int = 0
    rows_read: int = 0
    rejected_rows: list[RejectedRow] = field(default_factory=list)
    emails_to_fix: list[EmailToFix] = field(default_factory=list)
    unknown_functions: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    applied: bool = False
    encoding: str = ""
    delimiter: str = ""

    @property
    def rejected(self) -> int:
        return len(self.rejected_rows)

    @property
    def changed(self) -> bool:
        return bool(
            self.added
            or self.updated
            or self.left
            or self.establishments_added
            or self.assignments_ended
        )

    def counts(self) -> dict[str, int]:
        return {
            "added": self.added,
            "updated": self.updated,
            "email_changed": self.email_changed,
            "function_changed": self.function_changed,
            "left": self.left,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.counts(),
            "email_changed_or_emptied": self.email_changed_or_emptied,
            "email_emptied": self.email_emptied,
            "returned": self.returned,
            "assignments_ended": self.assignments_ended,
            "establishments_added": self.establishments_added,
            "rows_read": self.rows_read,
            "changed": self.changed,
            "dry_run": self.dry_run,
            "applied": self.applied,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "rejected_rows": [asdict(row) for row in self.rejected_rows],
            "emails_to_fix": [asdict(item) for item in self.emails_to_fix],
            "unknown_functions": [
                {"code": code, "label": label} for code, label in self.unknown_functions.items()
            ],
        }
