"""Benchmark: what preferences and the HTML part cost per email.

What it measures, on SQLite in a temporary directory (the schema from the migrations):

* ``queue_email`` for 500 members, as a vote's opening does it: the look-up of each member's
  preference for the email's kind, then an outbox row (half the members chose a daily digest
  for openings, so half the emails become digest items instead), then one commit;
* the same without preferences (``write_message``, the outbox row alone), for comparison on
  the same machine at the same moment;
* ``as_email`` for every outbox row: the plain text with its footer, the HTML alternative
  rendered from the template, the preferences link signed, all turned into bytes;
* the digest job for the 250 members with held items.

Run: ``.venv/bin/python bench/bench_email.py`` from the repository root.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import load_settings  # noqa: E402
from portal import create_app  # noqa: E402

MEMBERS = 500
BODY = "Dear member,\n\nA vote is open.\n\nhttps://portal.example/areas/a/votes/1\n"


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-email-"))
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    app = create_app(
        {
            **load_settings("testing"),
            "DATABASE_URL": url,
            "SQLALCHEMY_DATABASE_URI": url,
            "OUTBOX_DIR": str(folder / "outbox"),
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        from portal.accounts.models import User
        from portal.extensions import db
        from portal.mail import as_email, queue_email, write_message
        from portal.notifications.kinds import Frequency, Kind
        from portal.notifications.models import NotificationPreference
        from portal.notifications.services import next_digest_time, send_due_digests
        from portal.outbox import OutboxMessage

        upgrade()
        users = [
            User(email=f"member{n}@example.nhs.uk", name=f"Member {n}") for n in range(MEMBERS)
        ]
        db.session.add_all(users)
        db.session.commit()
        db.session.add_all(
            NotificationPreference(user_id=u.id, kind="votes_opened", frequency=Frequency.DAILY)
            for u in users[::2]
        )
        db.session.commit()

        start = time.perf_counter()
        for user in users:
            queue_email(user.email, "Vote open: Extended access", BODY, kind=Kind.VOTES_OPENED)
        db.session.commit()
        took = time.perf_counter() - start
        print(f"queue_email: {MEMBERS} in {took:.2f} s ({took / MEMBERS * 1000:.2f} ms each)")

        start = time.perf_counter()
        for user in users:
            write_message(
                user.email, "Vote open", BODY, kind=Kind.PERSONAL, area_id=None, user_id=user.id
            )
        db.session.commit()
        took = time.perf_counter() - start
        print(f"write_message: {MEMBERS} in {took:.2f} s ({took / MEMBERS * 1000:.2f} ms each)")

        messages = (
            db.session.execute(
                db.select(OutboxMessage).where(OutboxMessage.kind == Kind.VOTES_OPENED.value)
            )
            .scalars()
            .all()
        )
        start = time.perf_counter()
        size = sum(len(bytes(as_email(message))) for message in messages)
        took = time.perf_counter() - start
        print(
            f"as_email: {len(messages)} in {took:.2f} s ({took / len(messages) * 1000:.2f} ms "
            f"each, {size / len(messages):,.0f} bytes each)"
        )

        start = time.perf_counter()
        digests = send_due_digests(next_digest_time(Frequency.DAILY, messages[0].created_at))
        db.session.commit()
        took = time.perf_counter() - start
        print(f"digests: {digests} in {took:.2f} s ({took / digests * 1000:.2f} ms each)")


if __name__ == "__main__":
    main()
