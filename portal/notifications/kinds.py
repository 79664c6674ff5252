"""The kinds of email the portal sends, and how often a member may choose to get each.

Every email is queued with a kind (``portal.mail.queue_email(..., kind=...)``); the outbox
applies the recipient's choice for that kind, so a domain never reads anyone's preferences.
A kind nobody chose for an email (``PERSONAL``) goes at once, as every email did before
preferences existed.

Some kinds cannot be turned off, as the publication policy says: security email (sign-in,
passwords, invitations, who may cast an organisation's ballot) always goes at once, and so
does email about something you did or that names you (ballot receipts, nominations); the
results of votes your organisation is entitled to may be held for a digest, never stopped.
"""

from __future__ import annotations

import enum


class Frequency(enum.Enum):
    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"
    OFF = "off"

    @property
    def label(self) -> str:
        return FREQUENCY_LABELS[self]


FREQUENCY_LABELS = {
    Frequency.IMMEDIATE: "Email me at once",
    Frequency.DAILY: "In a daily digest",
    Frequency.WEEKLY: "In a weekly digest",
    Frequency.OFF: "Do not email me",
}


class Kind(enum.Enum):
    SECURITY = "security"
    PERSONAL = "personal"
    VOTES_OPENED = "votes_opened"
    REMINDERS = "reminders"
    RESULTS = "results"
    DRAFTS = "drafts"
    NEEDS = "needs"
    STATEMENTS = "statements"
    TRUST = "trust"
    # The digest itself: always sent when due, never held for another digest.
    DIGEST = "digest"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]

    @property
    def choices(self) -> tuple[Frequency, ...]:
        """What a member may choose for this kind; one choice means it is fixed."""
        if self in ALWAYS_AT_ONCE:
            return (Frequency.IMMEDIATE,)
        if self is Kind.RESULTS:
            return (Frequency.IMMEDIATE, Frequency.DAILY, Frequency.WEEKLY)
        return tuple(Frequency)

    @property
    def choosable(self) -> bool:
        return len(self.choices) > 1

    @property
    def public(self) -> bool:
        """Whether what this kind of email is about is public, so a digest may name it.

        Anything else appears in a digest as its kind and a link only (the policy's rule for
        non-public tiers)."""
        return self is Kind.STATEMENTS

    @property
    def digest_line(self) -> str:
        return DIGEST_LINES[self]


ALWAYS_AT_ONCE = frozenset({Kind.SECURITY, Kind.PERSONAL, Kind.DIGEST})

KIND_LABELS = {
    Kind.SECURITY: "Security: signing in, passwords, invitations and roles",
    Kind.PERSONAL: "About you: ballot receipts, nominations and your own requests",
    Kind.VOTES_OPENED: "Votes and elections opening",
    Kind.REMINDERS: "Reminders before a vote or round closes",
    Kind.RESULTS: "Results of votes your organisation is entitled to",
    Kind.DRAFTS: "New drafts in consultation",
    Kind.NEEDS: "Updates on needs",
    Kind.STATEMENTS: "New public statements",
    Kind.TRUST: "Trust pulse rounds",
    Kind.DIGEST: "Your digest",
}

DIGEST_LINES = {
    Kind.SECURITY: "A security notice",
    Kind.PERSONAL: "A message about you",
    Kind.VOTES_OPENED: "A vote or election has opened",
    Kind.REMINDERS: "A reminder: something closes soon",
    Kind.RESULTS: "A result has been declared",
    Kind.DRAFTS: "A new draft is in consultation",
    Kind.NEEDS: "A need has news",
    Kind.STATEMENTS: "A new public statement",
    Kind.TRUST: "A trust pulse round",
    Kind.DIGEST: "A digest",
}

CHOOSABLE_KINDS = tuple(kind for kind in Kind if kind.choosable)
FIXED_KINDS = (Kind.SECURITY, Kind.PERSONAL)
