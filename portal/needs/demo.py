"""A few realistic needs in each channel of the demo area, raised, supported, discussed and
triaged by the demo people through the services, so the audit log tells the same story."""

from __future__ import annotations

import sqlalchemy as sa

from portal.accounts.models import Membership, User
from portal.extensions import db
from portal.needs import services
from portal.needs.models import Need, NeedCategory, NeedChannel, NeedStatus, NeedUrgency
from portal.organisations.models import Area, Organisation


def load_demo_needs(area: Area) -> str:
    """Needs for the demo area, called by ``load_demo_area`` once its people exist; flush,
    never commit. (This module does not import the loader, which imports it.)"""
    if db.session.scalar(sa.select(sa.func.count(Need.id)).where(Need.area_id == area.id)):
        return "Demo needs are already loaded."
    # The demo people, by the part of their email address before the @ (see DEMO_PEOPLE).
    people = {
        user.email.partition("@")[0]: user
        for user in db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .where(Organisation.area_id == area.id)
            .distinct()
        )
    }
    organisations = {
        organisation.ods_code: organisation
        for organisation in db.session.scalars(
            sa.select(Organisation).where(Organisation.area_id == area.id)
        )
    }
    horsefair, hazeldene, mayfield = (organisations[c] for c in ("M83001", "M83022", "M83004"))
    rugeley, south_stoke = organisations["U16318"], organisations["U85685"]
    lmc = organisations["LMC-DEMO"]
    officer = people["lmc.officer"]

    phlebotomy = services.raise_need(
        people["partner.horsefair"],
        horsefair,
        NeedChannel.PRACTICE,
        title="Phlebotomy moved to practices without funding",
        description_markdown=(
            "Since the community phlebotomy clinic closed in September, patients are sent to "
            "their practice for blood tests that were never part of our contract.\n\n"
            "- about **60 extra appointments a week** at Horsefair\n"
            "- no transfer of funding or staff\n\n"
            "We need the ICB to fund the work or restore the community service."
        ),
        category=NeedCategory.CONTRACT_AND_FUNDING,
        urgency=NeedUrgency.URGENT,
    )
    services.support(people["partner.hazeldene"], phlebotomy, hazeldene)
    services.support(people["partner.mayfield"], phlebotomy, mayfield)
    services.comment(
        people["partner.mayfield"],
        phlebotomy,
        mayfield,
        "The same here since October: about 35 extra appointments a week.",
    )
    services.change_status(officer, phlebotomy, NeedStatus.ACKNOWLEDGED)
    services.change_status(
        officer,
        phlebotomy,
        NeedStatus.IN_NEGOTIATION,
        "Raised with the ICB primary care team; meeting booked for next month.",
    )
    services.comment(
        officer,
        phlebotomy,
        lmc,
        "Please send us your appointment counts since September: they make the case.",
    )

    clinical_system = services.raise_need(
        people["manager.horsefair"],
        horsefair,
        NeedChannel.PRACTICE,
        title="Clinical system migration: no time for data quality checks",
        description_markdown=(
            "The migration date leaves two weeks for checking coded records. We need backfill "
            "funding for the admin time, or a later date."
        ),
        category=NeedCategory.IT_AND_DIGITAL,
        urgency=NeedUrgency.SOON,
    )
    services.support(people["partner.mayfield"], clinical_system, mayfield)

    services.raise_need(
        people["partner.mayfield"],
        mayfield,
        NeedChannel.PRACTICE,
        title="Locum rates for winter cover",
        description_markdown="Locum sessions now cost a third more than last winter.",
        category=NeedCategory.WORKFORCE,
        urgency=NeedUrgency.ROUTINE,
    )

    arrs_share = services.raise_need(
        people["partner.hazeldene"],
        hazeldene,
        NeedChannel.PRACTICE,
        title="Our share of the PCN's ARRS pharmacist time",
        description_markdown=(
            "Hazeldene House gets one day a week of the PCN pharmacist's time although we hold "
            "a third of the PCN's patients. We would like the LMC's advice before raising it "
            "with the PCN."
        ),
        category=NeedCategory.RELATIONSHIP_WITH_PCN,
        urgency=NeedUrgency.ROUTINE,
        lmc_only=True,
    )
    services.comment(
        officer,
        arrs_share,
        lmc,
        "Thank you. The PCN agreement should set out how ARRS time is shared; we will call.",
    )

    supervision = services.raise_need(
        people["cd.southstoke"],
        south_stoke,
        NeedChannel.PCN,
        title="No funding for supervising first contact physiotherapists",
        description_markdown=(
            "ARRS pays for the roles but not for the GP time to supervise them: about two "
            "sessions a week across the PCN."
        ),
        category=NeedCategory.ARRS_WORKFORCE,
        urgency=NeedUrgency.SOON,
    )
    services.support(people["partner.hazeldene"], supervision, rugeley)
    services.change_status(officer, supervision, NeedStatus.ACKNOWLEDGED)

    enhanced_access = services.raise_need(
        people["partner.hazeldene"],
        rugeley,
        NeedChannel.PCN,
        title="Enhanced access hub rota from April",
        description_markdown=(
            "The new Saturday hours need clinicians from every practice; two practices cannot "
            "staff their share without extra funding."
        ),
        category=NeedCategory.PCN_DES_REQUIREMENTS,
        urgency=NeedUrgency.URGENT,
    )
    services.comment(
        people["cd.southstoke"],
        enhanced_access,
        south_stoke,
        "We share a hub with a neighbouring PCN: happy to explain how we split the rota.",
    )

    # Grace Hall leads Rugeley & Great Haywood PCN and authorises a Horsefair partner.
    services.authorise_pcn_member(people["partner.hazeldene"], rugeley, people["partner.horsefair"])
    services.raise_need(
        people["partner.horsefair"],
        rugeley,
        NeedChannel.PCN,
        title="No clinical rooms for ARRS staff",
        description_markdown="Our new care coordinators and pharmacist share one room.",
        category=NeedCategory.ESTATES,
        urgency=NeedUrgency.ROUTINE,
    )
    db.session.flush()
    return "Demo needs loaded: 4 practice needs and 3 PCN needs."
