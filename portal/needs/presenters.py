"""What the needs pages show the person looking. Nothing here writes."""

from __future__ import annotations

from typing import Any

from portal.needs import listings, permissions
from portal.needs.models import NeedChannel
from portal.organisations.models import Area


def index_page(user: Any, area: Area) -> dict[str, Any]:
    """Each channel the user sees, with its count of needs and the organisations they may
    speak for in it; the networks whose authorisations they manage; whether they see the
    overview."""
    return {
        "channels": [
            (
                channel,
                listings.dashboard(user, area, channel).total,
                permissions.organisations_user_may_speak_for(user, area, channel),
            )
            for channel in permissions.visible_channels(user, area)
        ],
        "led_pcns": [
            organisation
            for organisation in permissions.organisations_user_may_speak_for(
                user, area, NeedChannel.PCN
            )
            if permissions.can_manage_pcn_authorisations(user, organisation)
        ],
        "can_see_overview": permissions.can_see_overview(user, area),
    }
