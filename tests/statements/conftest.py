"""Fixtures for the statements tests."""

from __future__ import annotations

import pytest

from tests.statements.helpers import Setting


@pytest.fixture
def setting(db) -> Setting:
    return Setting()
