from __future__ import annotations

import gc

import pytest

from common import collector


def test_the_collector_is_paused_inside_and_back_after_even_on_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector.paused():
        assert not gc.isenabled()
        raise RuntimeError("the chunk failed")
    assert gc.isenabled()


def test_a_collector_paused_by_someone_else_stays_paused() -> None:
    gc.disable()
    try:
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def _tracked(obj: object) -> bool:
    """Whether a collection would walk `obj` (a frozen object is no longer listed)."""
    return any(other is obj for other in gc.get_objects())


def test_what_startup_built_is_left_out_of_later_collections() -> None:
    kept = _Cycle()
    _Cycle()  # unreachable already: collected, not frozen
    try:
        frozen = collector.freeze_startup_heap()
        assert frozen == gc.get_freeze_count() > 0
        assert not _tracked(kept)
        assert all(type(obj) is not _Cycle for obj in gc.get_objects())
        after = _Cycle()
        assert _tracked(after)
    finally:
        gc.unfreeze()
    assert _tracked(kept)


def test_a_start_is_built_without_collections_then_frozen() -> None:
    try:
        with collector.startup():
            assert not gc.isenabled()
            built = _Cycle()
            assert _tracked(built)
        assert gc.isenabled()
        assert not _tracked(built)
    finally:
        gc.unfreeze()


def test_a_start_that_fails_freezes_nothing_and_collects_again() -> None:
    built = None
    with pytest.raises(RuntimeError), collector.startup():
        built = _Cycle()
        raise RuntimeError("the app could not be built")
    assert gc.isenabled()
    assert _tracked(built)
