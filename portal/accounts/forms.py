"""Forms for signing in, joining, resetting and managing members."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import Email, InputRequired, Length, ValidationError

from portal.accounts.models import Role
from portal.accounts.passwords import password_problem


class SignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[InputRequired("Enter your email address"), Length(max=254)],
    )
    password = PasswordField(
        "Password", validators=[InputRequired("Enter your password"), Length(max=256)]
    )
    next = HiddenField()


class SignOutForm(FlaskForm):
    pass


class SecondFactorForm(FlaskForm):
    code = StringField(
        "Code",
        description="The 6-digit code from your authenticator app, or one of your recovery codes",
        validators=[InputRequired("Enter the code from your authenticator app"), Length(max=40)],
    )


class SetUpSecondFactorForm(FlaskForm):
    code = StringField(
        "Code from your app",
        description="After adding the account, enter the 6-digit code your app shows",
        validators=[InputRequired("Enter the 6-digit code from your app"), Length(max=20)],
    )


class ConfirmIdentityForm(FlaskForm):
    password = PasswordField(
        "Password", validators=[InputRequired("Enter your password"), Length(max=256)]
    )
    code = StringField(
        "Code",
        description="The 6-digit code from your authenticator app, or one of your recovery codes",
        validators=[Length(max=40)],
    )
    next = HiddenField()


class NewPasswordMixin:
    # Declared by each form that mixes this in.
    password: Any
    confirm_password: Any

    def check_new_password(self, email: str) -> bool:
        problem = password_problem(
            self.password.data or "", email, current_app.config["MINIMUM_PASSWORD_LENGTH"]
        )
        if problem:
            self.password.errors = [*self.password.errors, problem]
            return False
        if self.password.data != self.confirm_password.data:
            self.confirm_password.errors = [
                *self.confirm_password.errors,
                "The passwords do not match",
            ]
            return False
        return True


class AcceptInvitationForm(NewPasswordMixin, FlaskForm):
    name = StringField(
        "Your full name",
        validators=[InputRequired("Enter your full name"), Length(max=200)],
    )
    password = PasswordField(
        "Create a password",
        description="At least 12 characters. A few unrelated words make a strong password.",
        validators=[InputRequired("Create a password")],
    )
    confirm_password = PasswordField(
        "Confirm your password", validators=[InputRequired("Confirm your password")]
    )


class JoinWithExistingAccountForm(FlaskForm):
    pass


class RequestResetForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[
            InputRequired("Enter your email address"),
            Email("Enter an email address in the correct format, like name@example.nhs.uk"),
            Length(max=254),
        ],
    )


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    password = PasswordField("New password", validators=[InputRequired("Enter a new password")])
    confirm_password = PasswordField(
        "Confirm new password", validators=[InputRequired("Confirm your new password")]
    )


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    password = PasswordField("New password", validators=[InputRequired("Enter a new password")])
    confirm_password = PasswordField(
        "Confirm new password", validators=[InputRequired("Confirm your new password")]
    )


ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in Role]


class InviteForm(FlaskForm):
    name = StringField(
        "Full name", validators=[InputRequired("Enter the person's full name"), Length(max=200)]
    )
    email = EmailField(
        "Email address",
        validators=[
            InputRequired("Enter the person's email address"),
            Email("Enter an email address in the correct format, like name@example.nhs.uk"),
            Length(max=254),
        ],
    )
    organisation = SelectField(
        "Organisation", validators=[InputRequired("Choose the organisation")], coerce=str
    )
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired("Choose the role")])

    def validate_role(self, field: SelectField) -> None:
        if field.data not in {role.value for role in Role}:
            raise ValidationError("Choose a role from the list")


class AddMembershipForm(FlaskForm):
    organisation = SelectField(
        "Organisation", validators=[InputRequired("Choose the organisation")], coerce=str
    )
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired("Choose the role")])


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token travels."""
