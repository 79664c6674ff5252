"""Imports every model module so that metadata, Alembic and the tests see every table."""

from portal.accounts.models import Invitation, Membership, PasswordReset, User
from portal.audit.models import AuditEntry
from portal.elections import models as elections_models
from portal.meetings import models as meetings_models
from portal.needs import models as needs_models
from portal.notifications import models as notifications_models
from portal.organisations.models import Area, ListSizeRecord, Organisation, PcnMembership
from portal.outbox import OutboxMessage
from portal.positions import models as positions_models
from portal.statements import models as statements_models
from portal.trust import models as trust_models
from portal.voting import chase as voting_chase
from portal.voting import models as voting_models

__all__ = [
    "Area",
    "AuditEntry",
    "Invitation",
    "ListSizeRecord",
    "Membership",
    "Organisation",
    "OutboxMessage",
    "PasswordReset",
    "PcnMembership",
    "User",
    "elections_models",
    "meetings_models",
    "needs_models",
    "notifications_models",
    "positions_models",
    "statements_models",
    "trust_models",
    "voting_chase",
    "voting_models",
]
