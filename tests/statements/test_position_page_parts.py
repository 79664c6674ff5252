"""A position's page shows the statement it became, though positions does not import
statements: statements adds it through ``portal.page_parts``. A reader who may not read the
statement is not shown its reference. (The officer's "Publish it as a statement" button, the
other part statements adds, is followed in tests/browser/test_position_to_statement_e2e.py.)"""

from __future__ import annotations

from portal.positions.models import Tier
from tests.statements.helpers import publish_statement


def _position_page(client, login, setting, user, position_id: int) -> str:
    login(user)
    response = client.get(f"/areas/{setting.area.slug}/positions/{position_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_position_page_links_the_statement_it_became(client, login, setting):
    statement = publish_statement(setting, tier=Tier.GROUP)
    page = _position_page(client, login, setting, setting.officer, statement.position_id)
    assert f">{statement.reference}</a>" in page


def test_a_partner_of_the_group_sees_a_group_statements_reference(client, login, setting):
    statement = publish_statement(setting, tier=Tier.GROUP)
    partner = setting.partners[0]
    page = _position_page(client, login, setting, partner, statement.position_id)
    assert f">{statement.reference}</a>" in page


def test_a_reader_outside_the_statements_tier_is_not_shown_its_reference(client, login, setting):
    statement = publish_statement(setting, tier=Tier.LMC)
    partner = setting.partners[0]
    login(partner)
    response = client.get(f"/areas/{setting.area.slug}/positions/{statement.position_id}")
    assert statement.reference not in response.get_data(as_text=True)
