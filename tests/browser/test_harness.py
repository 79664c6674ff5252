"""The browser harness itself: an accessibility check on a page without JavaScript fails at
once with the reason, instead of waiting for ever for axe's script."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_axe_refuses_a_page_without_javascript(open_page: Any, assert_accessible: Any) -> None:
    scriptless = open_page(java_script_enabled=False)
    scriptless.goto("/accounts/login")
    with pytest.raises(AssertionError, match="axe needs JavaScript"):
        assert_accessible(scriptless)
    page = open_page()
    page.goto("/accounts/login")
    assert_accessible(page)
