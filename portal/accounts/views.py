"""Sign in (password, then code) and out, join by invitation, reset a password."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from portal.accounts import known_browser, second_factor, services, sessions
from portal.accounts.forms import (
    AcceptInvitationForm,
    JoinWithExistingAccountForm,
    RequestResetForm,
    ResetPasswordForm,
    SecondFactorForm,
    SignInForm,
    SignOutForm,
)
from portal.accounts.models import User
from portal.accounts.reauthentication import mark_confirmed
from portal.database import utcnow
from portal.extensions import db
from portal.http import acting_user, after_response, refusal_shown_on
from portal.names import display_name
from portal.urls import local_path

blueprint = Blueprint("accounts", __name__, url_prefix="/accounts", template_folder="templates")


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an absolute or scheme-relative URL, nor CR/LF."""
    return local_path(target)


PENDING_KEY = "pending_sign_in"
PENDING_LIFETIME_SECONDS = 5 * 60
PENDING_TRIES = 5
# Pages an officer without a second factor may still reach: the set-up page and sign-out.
OPEN_BEFORE_SET_UP = frozenset(
    {"accounts.second_factor", "accounts.logout", "accounts.confirm_identity", "static"}
)


def _client() -> services.Client:
    return services.Client(
        address=request.remote_addr or "",
        known_browser_of=known_browser.accounts_known_to(request),
        user_agent=request.user_agent.string[:500],
    )


def _complete_sign_in(user: User, next_path: str | None, welcome: str | None = None) -> Response:
    """Start a fresh session (nothing of the old cookie survives, so ``welcome`` is flashed
    after) and mark this browser."""
    now = utcnow()
    key = services.complete_sign_in(user, _client(), now)
    session.clear()
    user.session_key = key
    login_user(user)
    session[sessions.SEEN_KEY] = int(now.timestamp())
    mark_confirmed(now)
    if welcome:
        flash(welcome, "info")
    if user.must_set_up_second_factor:
        target = url_for("accounts.second_factor")
    else:
        target = _safe_next(next_path) or url_for("main.home")
    response = redirect(target)
    known_browser.remember(response, request, user.id)
    return response


@blueprint.before_app_request
def _second_factor_first() -> Response | None:
    """An officer or administrator with no second factor can do nothing else until they set
    one up."""
    if request.endpoint is None or request.endpoint in OPEN_BEFORE_SET_UP:
        return None
    if current_user.is_authenticated and current_user.must_set_up_second_factor:
        return redirect(url_for("accounts.second_factor"))
    return None


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm(next=request.args.get("next"))
    if form.validate_on_submit():
        try:
            user = services.check_password(form.email.data, form.password.data, _client(), utcnow())
        except services.SignInRefused as refusal:
            # The failed attempt must still be counted and committed, so no rollback here.
            form.form_errors.append(refusal.message)
        else:
            if not user.has_second_factor:
                return _complete_sign_in(user, form.next.data)
            return _ask_for_code(user, form.next.data)
    return render_template("accounts/login.html", form=form)


def _ask_for_code(user: User, next_page: str | None) -> Response:
    """The password was right: the sign-in waits in a fresh session for the app's code."""
    session.clear()
    session[PENDING_KEY] = {
        "user": user.id,
        "at": int(utcnow().timestamp()),
        "next": _safe_next(next_page),
        "tries": 0,
    }
    return redirect(url_for("accounts.sign_in_code"))


def _pending_user() -> User | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("user"), int):
        return None
    if utcnow().timestamp() - pending.get("at", 0) > PENDING_LIFETIME_SECONDS:
        return None
    user = db.session.get(User, pending["user"])
    if user is None or not user.active or not user.has_second_factor:
        return None
    return user


@blueprint.route("/login/code", methods=["GET", "POST"])
def sign_in_code() -> str | Response:
    """The second step of signing in, after the password: the code from the app."""
    user = _pending_user()
    if user is None:
        return _sign_in_again("Sign in again: enter your email address and password.", "info")
    form = SecondFactorForm()
    if form.validate_on_submit():
        now = utcnow()
        pending = session[PENDING_KEY]
        try:
            # The pending step lives in the cookie, which could be replayed to reset its count
            # of tries: the wait after failures holds whatever the cookie says.
            services.refuse_while_waiting(user.email, user, _client(), now)
        except services.SignInRefused as refusal:
            form.code.errors = [*form.code.errors, refusal.message]
            return render_template("accounts/sign_in_code.html", form=form)
        if second_factor.accept_code(user, form.code.data, now):
            return _complete_sign_in(user, pending.get("next"))
        if _counted_wrong_code(user, pending, form, now) >= PENDING_TRIES:
            return _sign_in_again("Too many wrong codes. Sign in again.", "error")
    return render_template("accounts/sign_in_code.html", form=form)


WRONG_CODE = (
    "That code is not right, or it has been used already. Enter the code your app shows now"
)


def _counted_wrong_code(
    user: User, pending: dict[str, Any], form: SecondFactorForm, now: datetime
) -> int:
    """Record a wrong code, in the audit log and in the pending step, with the error on the
    form; how many wrong codes this sign-in has had."""
    services.wrong_second_factor(user, now)
    tries = pending.get("tries", 0) + 1
    session[PENDING_KEY] = {**pending, "tries": tries}
    form.code.errors = [*form.code.errors, WRONG_CODE]
    return tries


def _sign_in_again(message: str, category: str) -> Response:
    """Forget the half-finished sign-in and start again from the password."""
    session.pop(PENDING_KEY, None)
    flash(message, category)
    return redirect(url_for("accounts.login"))


@blueprint.route("/logout", methods=["POST"])
def logout() -> Response:
    form = SignOutForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        services.sign_out(acting_user(), utcnow())
        logout_user()
        session.clear()
        flash("You have signed out.", "info")
    return redirect(url_for("accounts.login"))


@blueprint.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> str | tuple[str, int] | Response:
    invitation = _from_link(services.usable_invitation, token)
    has_account = services.find_user_by_email(invitation.email) is not None
    form = JoinWithExistingAccountForm() if has_account else AcceptInvitationForm()
    if request.method == "GET" and not has_account:
        form.name.data = invitation.name
    if form.validate_on_submit() and (has_account or form.check_new_password(invitation.email)):
        name, password = ("", None) if has_account else (form.name.data, form.password.data)
        with refusal_shown_on(form) as refused:
            user = services.accept_invitation(token, name=name, password=password, now=utcnow())
        if not refused:
            joined = display_name(invitation.organisation.name)
            if has_account:
                flash(f"You have joined {joined}. Sign in to continue.")
                return redirect(url_for("accounts.login"))
            return _complete_sign_in(user, None, f"Welcome. You have joined {joined}.")
    return render_template(
        "accounts/accept_invitation.html", form=form, invitation=invitation, has_account=has_account
    )


Used = TypeVar("Used")


def _from_link(use: Callable[[str, datetime], Used], token: str) -> Used:
    """What an emailed link is for; if it no longer works, the page saying why (404)."""
    try:
        return use(token, utcnow())
    except services.InvalidLink as invalid:
        page = render_template("accounts/invalid_link.html", message=invalid.message)
        abort(make_response(page, 404))


@blueprint.route("/password-reset", methods=["GET", "POST"])
def request_reset() -> str | Response:
    form = RequestResetForm()
    if form.validate_on_submit():
        email, now = form.email.data, utcnow()
        # After the response: a known and an unknown address then take the same time.
        after_response(lambda: services.request_password_reset(email, now))
        return render_template("accounts/reset_requested.html", email=form.email.data)
    return render_template("accounts/request_reset.html", form=form)


@blueprint.route("/password-reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> str | tuple[str, int] | Response:
    reset = _from_link(services.usable_reset, token)
    form = ResetPasswordForm()
    if form.validate_on_submit() and form.check_new_password(reset.user.email):
        services.reset_password(token, form.password.data, utcnow())
        logout_user()
        session.clear()
        flash("Your password has been reset. Sign in with your new password.", "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


# The profile and security pages share this blueprint.
from portal.accounts import security_views  # noqa: E402, F401
