"""An import pauses Python's cyclic garbage collector while it runs, and leaves it as it was."""

from __future__ import annotations

import gc

from portal.organisations.importer import cycle_collection_paused


def test_the_collector_is_paused_during_an_import_and_enabled_again_after() -> None:
    assert gc.isenabled()
    with cycle_collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_disabled_before_the_import_stays_disabled() -> None:
    gc.disable()
    try:
        with cycle_collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
