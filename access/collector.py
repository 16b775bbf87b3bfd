"""Python's cyclic garbage collector, paused around bulk work.

(faq.kb pauses it the same way while a FAQ base loads: the FAQ may not import this module.)
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside the block.

    For a burst of short-lived objects, such as a chunk of a school's invitations: the
    collector would otherwise walk the whole heap of the process several times over (on
    PostgreSQL, a sixth of the send's time). Keep the block short: garbage with cycles made
    inside it waits for the next collection after it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
