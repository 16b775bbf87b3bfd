"""Option parts whose values come from a heavy module, read only when a command needs them:
`extranet-bot --help` imports every command module, which then import no domain module."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click


class LazyChoice(click.Choice):  # type: ignore[type-arg]
    """A `click.Choice` whose choices are computed the first time they are read (parsing
    the argument, or its `--help`)."""

    def __init__(self, choices: Callable[[], Sequence[str]]) -> None:
        self._compute = choices
        self._choices: tuple[str, ...] | None = None
        super().__init__((), case_sensitive=True)

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        if self._choices is None:
            self._choices = tuple(self._compute())
        return self._choices

    @choices.setter
    def choices(self, _value: Any) -> None:
        """click.Choice sets its choices in its constructor; they are computed instead."""


class LazyDefault:
    """An option's default computed when first needed; `show_default` prints it as its
    value (click calls a callable default, and shows « (dynamic) » only for a function)."""

    def __init__(self, compute: Callable[[], Any]) -> None:
        self._compute = compute

    def __call__(self) -> Any:
        return self._compute()

    def __str__(self) -> str:
        return str(self._compute())
