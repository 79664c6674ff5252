"""The two kinds of email a member may choose for that had no sender: news on a need their
organisation raised or supports, and a new public statement. Each goes as the member chose
(at once, in a digest, or not at all), and says only what the policy lets an email say."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from portal.email_kinds import Frequency, Kind
from portal.needs import services as needs
from portal.needs.models import NeedCategory, NeedChannel, NeedStatus, NeedUrgency
from portal.notifications import services as notifications
from portal.notifications.models import DigestItem
from portal.outbox import OutboxMessage
from portal.tiers import Tier
from tests.factories import make_world
from tests.home.helpers import HOME_WORLD
from tests.statements.helpers import STATEMENTS_WORLD, publish_statement

TITLE = "Locum cover for the winter"


def _sent(db: Any, kind: Kind) -> list[OutboxMessage]:
    return list(
        db.session.execute(
            sa.select(OutboxMessage)
            .where(OutboxMessage.kind == kind.value)
            .order_by(OutboxMessage.recipient)
        ).scalars()
    )


def test_a_needs_news_reaches_its_organisations_as_each_chose_with_only_a_link(db):
    setting = make_world(**HOME_WORLD)
    need = needs.raise_need(
        setting.partner,
        setting.practice,
        NeedChannel.PRACTICE,
        title=TITLE,
        description_markdown="Two partners retire in December.",
        category=NeedCategory.WORKFORCE,
        urgency=NeedUrgency.SOON,
    )
    needs.support(setting.other_partner, need, setting.other)
    db.session.commit()
    assert _sent(db, Kind.NEEDS) == []  # raising and supporting are not news to anyone else

    # The other practice's partner comments: the raising partner hears of it, they do not.
    needs.comment(setting.other_partner, need, setting.other, "Same here.")
    db.session.commit()
    (told,) = _sent(db, Kind.NEEDS)
    assert told.recipient == setting.partner.email
    assert told.subject == f"News on need {need.id}"
    assert f"/needs/{need.id}" in told.body
    assert TITLE not in told.subject + told.body
    assert "Two partners retire" not in told.body

    # Triage: both organisations' partners hear of it, one in a digest, one not at all.
    notifications.set_preferences(setting.partner, setting.partner, {Kind.NEEDS: Frequency.DAILY})
    notifications.set_preferences(
        setting.other_partner, setting.other_partner, {Kind.NEEDS: Frequency.OFF}
    )
    needs.change_status(setting.officer, need, NeedStatus.ACKNOWLEDGED)
    db.session.commit()
    assert len(_sent(db, Kind.NEEDS)) == 1
    (held,) = db.session.execute(sa.select(DigestItem)).scalars()
    assert (held.user_id, held.kind, held.subject) == (
        setting.partner.id,
        Kind.NEEDS.value,
        f"News on need {need.id}",
    )
    assert held.link is not None
    assert held.link.endswith(f"/needs/{need.id}")


def test_a_public_statement_is_emailed_to_the_group_with_its_title_and_another_is_not(db):
    setting = make_world(**STATEMENTS_WORLD)
    lmc_only = publish_statement(setting, tier=Tier.LMC, title="Our private line on hubs")
    assert _sent(db, Kind.STATEMENTS) == []
    public = publish_statement(setting, tier=Tier.PUBLIC, title="Our answer on hubs")
    sent = _sent(db, Kind.STATEMENTS)
    recipients = {message.recipient for message in sent}
    assert setting.partners[0].email in recipients
    assert setting.officer.email in recipients
    assert setting.ics_reader.email not in recipients  # not in the group
    for message in sent:
        assert message.subject == f"New public statement {public.reference}: Our answer on hubs"
        assert f"/statements/{public.reference}" in message.body
        assert lmc_only.title not in message.subject + message.body
