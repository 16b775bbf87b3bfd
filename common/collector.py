"""Python's cyclic garbage collector: paused around bulk work, kept off what startup built."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside the block.

    For a burst of short-lived objects, such as a chunk of a school's invitations or a FAQ
    base being read and indexed: the collector would otherwise walk the whole heap of the
    process several times over (docs/benchmarks.md). Keep the block short: garbage with
    cycles made inside it waits for the next collection after it. A collector already paused
    by the caller stays paused."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def freeze_startup_heap() -> int:
    """Keep every object alive now out of all later collections; the number frozen.

    For a long-running process, once it has started (libraries imported, app built,
    templates compiled). Those objects live as long as the process, yet a full collection
    walks them all with the whole process stopped: in the outbox worker its SMTP
    connections wait meanwhile, and a director's send pauses as long (docs/benchmarks.md).
    Frozen, they are never walked again and a full collection is short. Garbage already
    unreachable is collected first so it is not frozen with them."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


@contextmanager
def startup() -> Iterator[None]:
    """The start of a long-running process, frozen at the end of the block.

    Nearly all a start builds (modules, the app, compiled templates) lives as long as the
    process, so the collections the allocations would trigger meanwhile free next to nothing:
    none runs inside the block, and `freeze_startup_heap` collects once at its end."""
    with paused():
        yield
        freeze_startup_heap()
