"""Your account: the profile with your sessions, a new password, the second factor, and
confirming who you are before any of those changes."""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import login_required, logout_user
from werkzeug.wrappers import Response

from portal.accounts import second_factor, services, sessions
from portal.accounts.forms import (
    ChangePasswordForm,
    ConfirmForm,
    ConfirmIdentityForm,
    SetUpSecondFactorForm,
)
from portal.accounts.models import User
from portal.accounts.passwords import verify_password
from portal.accounts.reauthentication import mark_confirmed, require_recent_authentication
from portal.accounts.views import _client, _safe_next, blueprint
from portal.database import utcnow
from portal.http import acting_user, refusal_shown_on

PENDING_SECRET_SESSION_KEY = "new_totp_secret"  # noqa: S105  (a session key name)


@blueprint.route("/profile")
@login_required
def profile() -> str:
    user = acting_user()
    return render_template(
        "accounts/profile.html",
        sessions=sessions.active(user, utcnow()),
        is_current=lambda row: sessions.is_current(row, user.session_key),
        recovery_codes_left=second_factor.unused_recovery_codes(user),
        button=ConfirmForm(),
    )


@blueprint.route("/confirm", methods=["GET", "POST"])
@login_required
def confirm_identity() -> str | Response:
    """Password (and code, if the account has a second factor) again, then back."""
    user = acting_user()
    form = ConfirmIdentityForm(next=request.args.get("next"))
    if form.validate_on_submit():
        now = utcnow()
        try:
            services.refuse_while_waiting(user.email, user, _client(), now)
        except services.SignInRefused as refusal:
            form.form_errors.append(refusal.message)
            return render_template("accounts/confirm_identity.html", form=form, user=user)
        if not _wrong_identity(user, form, now):
            mark_confirmed(now)
            return redirect(_safe_next(form.next.data) or url_for("accounts.profile"))
    return render_template("accounts/confirm_identity.html", form=form, user=user)


def _wrong_identity(user: User, form: ConfirmIdentityForm, now: datetime) -> bool:
    """Whether the password, or the code of an account with a second factor, is wrong: the
    failure is counted and its message put on the form."""
    if not verify_password(user.password_hash, form.password.data):
        services.count_failure(user.email, now)
        form.password.errors = [*form.password.errors, "Your password is not correct"]
        return True
    if user.has_second_factor and not second_factor.accept_code(user, form.code.data or "", now):
        services.wrong_second_factor(user, now)
        form.code.errors = [
            *form.code.errors,
            "Enter the code your app shows now, or an unused recovery code",
        ]
        return True
    return False


@blueprint.route("/password", methods=["GET", "POST"])
@login_required
@require_recent_authentication
def change_password() -> str | Response:
    user = acting_user()
    form = ChangePasswordForm()
    if form.validate_on_submit() and form.check_new_password(user.email):
        services.change_password(user, form.password.data, utcnow())
        flash("Your password has been changed. Your other sessions have been signed out.", "info")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form)


@blueprint.route("/second-factor", methods=["GET", "POST"], endpoint="second_factor")
@login_required
@require_recent_authentication
def second_factor_page() -> str | Response:
    """Set up (or replace) the authenticator app. The new secret waits in the signed session
    cookie until a code from it is entered, so showing the page writes nothing."""
    user = acting_user()
    secret = _pending_secret()
    form = SetUpSecondFactorForm()
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            codes = services.set_up_second_factor(user, secret, form.code.data, utcnow())
        if not refused:
            session.pop(PENDING_SECRET_SESSION_KEY, None)
            return render_template("accounts/recovery_codes.html", codes=codes)
    uri = second_factor.provisioning_uri(secret, user.email)
    return render_template(
        "accounts/second_factor.html",
        form=form,
        secret=secret,
        qr_code=second_factor.qr_code_svg(uri),
        replacing=user.has_second_factor,
        required=user.is_officer,
    )


def _pending_secret() -> str:
    """The new secret waiting in the session for its first code; a fresh one if none."""
    secret = session.get(PENDING_SECRET_SESSION_KEY)
    if not isinstance(secret, str):
        secret = second_factor.new_secret()
        session[PENDING_SECRET_SESSION_KEY] = secret
    return secret


@blueprint.route("/second-factor/remove", methods=["POST"])
@login_required
@require_recent_authentication
def remove_second_factor() -> Response:
    form = ConfirmForm()
    if form.validate_on_submit():
        with refusal_shown_on() as refused:
            services.turn_off_second_factor(acting_user(), utcnow())
        if not refused:
            flash("Your second factor is off. Your other sessions have been signed out.", "info")
    return redirect(url_for("accounts.profile"))


@blueprint.route("/sessions/end-all", methods=["POST"])
@login_required
def sign_out_everywhere() -> Response:
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("accounts.profile"))
    services.sign_out_everywhere(acting_user(), utcnow())
    logout_user()
    session.clear()
    flash("You have been signed out everywhere, including here.", "info")
    return redirect(url_for("accounts.login"))
