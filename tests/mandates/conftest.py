"""Fixtures for the mandates tests."""

from __future__ import annotations

import pytest

from tests.mandates.helpers import MandateSetting


@pytest.fixture
def setting(db) -> MandateSetting:
    return MandateSetting()
