"""The header's area switcher, for a person who belongs to several areas."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import InputRequired


class AreaSwitchForm(FlaskForm):
    # Choices are the person's own areas, set by the view: any other slug is refused.
    area = SelectField("Area", validators=[InputRequired("Choose one of your areas")])
