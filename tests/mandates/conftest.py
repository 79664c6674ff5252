"""Fixtures for the mandates tests."""

from __future__ import annotations

import pytest

from tests.factories import World, make_world
from tests.statements.helpers import STATEMENTS_WORLD


@pytest.fixture
def setting(db) -> World:
    return make_world(**STATEMENTS_WORLD)
