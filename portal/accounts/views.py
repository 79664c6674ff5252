"""Sign in and out, join by invitation, reset and change a password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from portal.accounts import services
from portal.accounts.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    JoinWithExistingAccountForm,
    RequestResetForm,
    ResetPasswordForm,
    SignInForm,
    SignOutForm,
)
from portal.database import utcnow
from portal.errors import DomainError
from portal.http import abandon_changes, refusal_shown_on
from portal.urls import local_path

blueprint = Blueprint("accounts", __name__, url_prefix="/accounts", template_folder="templates")


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an absolute or scheme-relative URL, nor CR/LF."""
    return local_path(target)


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm(next=request.args.get("next"))
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, utcnow())
        except services.SignInRefused as refusal:
            # The failed-attempt count must still be committed, so no rollback here.
            form.form_errors.append(refusal.message)
        else:
            login_user(user)
            return redirect(_safe_next(form.next.data) or url_for("main.home"))
    return render_template("accounts/login.html", form=form)


@blueprint.route("/logout", methods=["POST"])
def logout() -> Response:
    form = SignOutForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        services.record_sign_out(current_user._get_current_object())
        logout_user()
        flash("You have signed out.", "info")
    return redirect(url_for("accounts.login"))


@blueprint.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> str | Response:
    try:
        invitation = services.usable_invitation(token, utcnow())
    except services.InvalidLink as invalid:
        return render_template("accounts/invalid_link.html", message=invalid.message), 404
    has_account = services.find_user_by_email(invitation.email) is not None
    form = JoinWithExistingAccountForm() if has_account else AcceptInvitationForm()
    if request.method == "GET" and not has_account:
        form.name.data = invitation.name
    if form.validate_on_submit() and (has_account or form.check_new_password(invitation.email)):
        with refusal_shown_on(form) as refused:
            user = services.accept_invitation(
                token,
                name="" if has_account else form.name.data,
                password=None if has_account else form.password.data,
                now=utcnow(),
            )
        if not refused:
            if has_account:
                flash(f"You have joined {invitation.organisation.name}. Sign in to continue.")
                return redirect(url_for("accounts.login"))
            login_user(user)
            flash(f"Welcome. You have joined {invitation.organisation.name}.", "info")
            return redirect(url_for("main.home"))
    return render_template(
        "accounts/accept_invitation.html", form=form, invitation=invitation, has_account=has_account
    )


@blueprint.route("/password-reset", methods=["GET", "POST"])
def request_reset() -> str | Response:
    form = RequestResetForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data, utcnow())
        return render_template("accounts/reset_requested.html", email=form.email.data)
    return render_template("accounts/request_reset.html", form=form)


@blueprint.route("/password-reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> str | Response:
    try:
        reset = services.usable_reset(token, utcnow())
    except services.InvalidLink as invalid:
        return render_template("accounts/invalid_link.html", message=invalid.message), 404
    form = ResetPasswordForm()
    if form.validate_on_submit() and form.check_new_password(reset.user.email):
        services.reset_password(token, form.password.data, utcnow())
        logout_user()
        flash("Your password has been reset. Sign in with your new password.", "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@blueprint.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> str | Response:
    form = ChangePasswordForm()
    if form.validate_on_submit() and form.check_new_password(current_user.email):
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.current_password.data, form.password.data)
        except DomainError as error:
            abandon_changes()
            form.current_password.errors = [error.message]
        else:
            # The session token changed with the password: sign this session in again.
            login_user(user)
            flash("Your password has been changed. Other sessions have been signed out.", "info")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form)
