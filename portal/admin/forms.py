"""Forms for an area administrator's organisation pages."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from portal.organisations.models import OrganisationKind

# Practices and PCNs come from the NHS files; the others are added by hand.
HAND_MADE_KINDS = [
    SelectChoice(kind.value, kind.label)
    for kind in (OrganisationKind.FEDERATION, OrganisationKind.LMC, OrganisationKind.ICS)
]


class OrganisationForm(FlaskForm):
    kind = SelectField("Kind of organisation", choices=HAND_MADE_KINDS)
    ods_code = StringField(
        "Organisation code",
        description="The ODS code if it has one (for example the ICB code QNC), or a short code.",
        validators=[
            InputRequired("Enter a code"),
            Length(max=12, message="Code must be 12 characters or fewer"),
            Regexp(r"^[A-Za-z0-9-]+$", message="Code must use only letters, numbers and hyphens"),
        ],
        filters=[lambda value: re.sub(r"\s+", "", value).upper() if value else value],
    )
    name = StringField(
        "Name",
        validators=[InputRequired("Enter the organisation's name"), Length(max=200)],
    )
    postcode = StringField("Postcode", validators=[Optional(), Length(max=10)])
