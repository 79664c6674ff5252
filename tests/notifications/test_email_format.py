"""Every email goes as plain text (the canonical wording) with an HTML alternative in the
NHS.UK style, and ends with a link to the recipient's preferences; through a real SMTP server."""

from __future__ import annotations

import re

from portal.accounts.models import Role
from portal.extensions import db
from portal.mail import deliver_queued, queue_email
from portal.notifications.kinds import Kind
from tests.factories import make_area, make_organisation, make_user

PREFERENCES_LINK = re.compile(r"http://[^\s\"<>]+/notifications/email/[A-Za-z0-9_.\-]+")


def _send(*args, **kwargs):
    queue_email(*args, **kwargs)
    db.session.commit()
    deliver_queued()


def test_an_email_is_multipart_with_the_same_wording_in_both_parts(db, smtp_server):
    area = make_area()
    partner = make_user(make_organisation(area), Role.GP_PARTNER)
    body = (
        f"Dear {partner.name},\n\nA vote has opened <b>now</b> & closes on Friday.\n\n"
        "Cast the ballot here:\nhttps://portal.example/areas/test-area/votes/1\n"
    )

    _send(partner.email, "Vote opened: Contract", body, kind=Kind.VOTES_OPENED, area=area)

    [message] = smtp_server.messages
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    assert plain.startswith(body.rstrip("\n")), "the text part is the service's wording"
    assert "Votes and elections opening: to get these in a digest, or stop them:" in plain
    # The HTML part says the same, escaped, in the NHS.UK style: a blue band and a footer.
    assert "background-color:#005eb8" in html
    assert "A vote has opened &lt;b&gt;now&lt;/b&gt; &amp; closes on Friday." in html
    assert "<b>now</b>" not in html
    assert '<a href="https://portal.example/areas/test-area/votes/1"' in html, (
        "a link in the text is a link in the HTML"
    )
    assert "<h1" in html
    assert "Vote opened: Contract" in html
    # The preferences link is in both parts, and is the same link.
    [plain_link] = PREFERENCES_LINK.findall(plain)
    assert plain_link in html
    assert "Manage your email preferences" in html
    assert message["List-Unsubscribe"] == f"<{plain_link}>"


def test_every_kind_of_email_links_to_preferences_even_one_that_cannot_be_turned_off(
    db, smtp_server
):
    area = make_area()
    partner = make_user(make_organisation(area), Role.GP_PARTNER)

    _send(partner.email, "Reset your password", "Use this link.\n", kind=Kind.SECURITY)
    _send("newcomer@example.nhs.uk", "You are invited", "Join here.\n", kind=Kind.SECURITY)

    security, invitation = smtp_server.messages
    assert "This email cannot be turned off" in security.get_content()
    assert security["List-Unsubscribe"] is None
    assert PREFERENCES_LINK.search(security.get_content())
    # Someone with no account yet gets the preferences page itself (it asks them to sign in).
    assert "Once you have an account" in invitation.get_content()
    assert "/notifications/" in invitation.get_body(("html",)).get_content()


def test_the_message_id_and_the_content_stay_the_same_when_a_message_is_sent_again(db):
    from portal.mail import as_email
    from portal.outbox import OutboxMessage

    area = make_area()
    partner = make_user(make_organisation(area), Role.GP_PARTNER)
    queue_email(partner.email, "Result: Contract", "Agreed.\n", kind=Kind.RESULTS, area=area)
    db.session.commit()
    message = db.session.execute(db.select(OutboxMessage)).scalar_one()

    first, second = as_email(message), as_email(message)

    assert first["Message-ID"] == second["Message-ID"] == message.message_id
    assert first.get_body(("plain",)).get_content() == second.get_body(("plain",)).get_content()
