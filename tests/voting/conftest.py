"""The voting pages' world (``VOTES_WORLD``) and the services' one (``WEIGHTED_WORLD``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import World, make_world
from tests.voting.helpers import VOTES_WORLD, WEIGHTED_WORLD


@pytest.fixture
def world(db: Any) -> World:
    return make_world(**VOTES_WORLD)


@pytest.fixture
def setting(db: Any) -> World:
    return make_world(**WEIGHTED_WORLD)
