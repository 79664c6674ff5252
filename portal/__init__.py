"""GP Collective Voice: one voice for general practice in each place.

Flask is imported inside the functions below so that ``python -m portal.voting.recount``
runs on a plain Python with nothing installed: the rules need only the standard library. So
are ``secrets`` and ``pathlib``, which the recount does not need and would take longer to
import than the interpreter takes to start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from flask import Flask


def _instance_key(instance_path: Path, name: str) -> str:
    """A random key kept in the instance folder, so it survives restarts of the embedded portal."""
    import secrets

    key_file = instance_path / name
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def create_app(config: str | dict[str, Any] | None = None) -> Flask:
    """Build the portal. ``config`` is an environment name or a dict of settings overrides.

    No query or migration runs here: the app starts without touching the database.
    """
    from pathlib import Path

    from flask import Flask

    from config import check_production_settings, load_settings

    app = Flask(__name__, instance_relative_config=True)
    from portal.urls import IdConverter

    # Before any route is added: every <int:...> in a URL is a bounded id.
    app.url_map.converters["int"] = IdConverter
    environment = config if isinstance(config, str) else None
    settings = load_settings(environment)
    if isinstance(config, dict):
        settings.update(config)
    instance_path = Path(app.instance_path)
    if settings["ENV_NAME"] != "production":
        for name in ("SECRET_KEY", "AUDIT_KEY"):
            if not settings.get(name):
                settings[name] = _instance_key(instance_path, name.lower())
    # FLASK_DEBUG (or flask --debug) switches debug on before the portal's settings are read.
    settings["DEBUG"] = bool(settings.get("DEBUG")) or app.debug
    check_production_settings(settings)
    if not settings.get("DATABASE_URL"):
        instance_path.mkdir(parents=True, exist_ok=True)
        settings["DATABASE_URL"] = f"sqlite:///{instance_path / 'portal.sqlite3'}"
    settings["SQLALCHEMY_DATABASE_URI"] = settings["DATABASE_URL"]
    if settings["DATABASE_URL"].startswith("sqlite"):
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **settings["SQLALCHEMY_ENGINE_OPTIONS"],
            "connect_args": {"timeout": settings["SQLITE_BUSY_TIMEOUT_SECONDS"]},
        }
    app.config.update(settings)
    from portal.urls import trusted_hosts

    # Flask answers a request for any other Host with 400 before a view runs.
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app)

    from portal import form_filters

    form_filters.install()
    _configure_templates(app)
    _init_extensions(app)
    _register_blueprints(app)

    from portal import commands, http, logs, ratelimits, static_files

    logs.init_app(app)
    http.init_app(app)
    ratelimits.init_app(app)
    commands.init_app(app)
    static_files.init_app(app)
    return app


def _configure_templates(app: Flask) -> None:
    from jinja2 import ChainableUndefined, ChoiceLoader, PackageLoader

    # The NHS.UK macros are .jinja files, which Flask would not autoescape by extension, and
    # they read optional nested parameters (params.hint.text), which needs chainable undefined.
    app.jinja_options = {
        **app.jinja_options,
        "autoescape": True,
        "undefined": ChainableUndefined,
    }
    own_templates = app.jinja_loader
    assert own_templates is not None, "the app has its templates folder"
    app.jinja_loader = ChoiceLoader(
        [
            own_templates,
            PackageLoader("nhsuk_frontend_jinja", package_path="templates"),
        ]
    )
    from portal import templating

    templating.init_app(app)


def _init_extensions(app: Flask) -> None:
    from pathlib import Path

    import portal.models  # noqa: F401  (every table in the metadata, for Alembic and relationships)
    from portal.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)

    from portal.accounts import sessions

    login_manager.user_loader(sessions.load)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Sign in to see this page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


def _register_blueprints(app: Flask) -> None:
    from portal.accounts.views import blueprint as accounts
    from portal.admin.views import blueprint as admin
    from portal.agreements.api import blueprint as agreements_api
    from portal.agreements.views import blueprint as agreements
    from portal.audit.views import blueprint as audit
    from portal.elections.views import blueprint as elections
    from portal.health import blueprint as health
    from portal.main.search import blueprint as search
    from portal.main.views import blueprint as main
    from portal.mandates.api import blueprint as mandates_api
    from portal.mandates.views import area_blueprint as area_mandates
    from portal.mandates.views import blueprint as mandates
    from portal.meetings.views import blueprint as meetings
    from portal.meetings.views import feeds_blueprint as calendar_feeds
    from portal.needs.views import blueprint as needs
    from portal.notifications.views import blueprint as notifications
    from portal.notifications.views import outbox_blueprint as outbox
    from portal.organisations.views import blueprint as organisations
    from portal.organisations.views import switch_blueprint as area_switch
    from portal.positions.amendment_views import blueprint as amendment_checks
    from portal.positions.comment_views import blueprint as position_comments
    from portal.positions.consultation_views import blueprint as consultation
    from portal.positions.views import blueprint as positions
    from portal.statements.api import blueprint as statements_api
    from portal.statements.views import blueprint as statements
    from portal.trust.views import blueprint as trust
    from portal.voting.chase_views import blueprint as voting_chase
    from portal.voting.scrutiny_views import blueprint as scrutiny
    from portal.voting.setup_views import blueprint as vote_setup
    from portal.voting.views import blueprint as voting
    from portal.voting.views import receipts_blueprint as receipts

    for blueprint in (
        health,
        main,
        accounts,
        organisations,
        admin,
        audit,
        needs,
        voting,
        voting_chase,
        scrutiny,
        search,
        receipts,
        positions,
        statements,
        statements_api,
        elections,
        trust,
        meetings,
        calendar_feeds,
        position_comments,
        consultation,
        amendment_checks,
        vote_setup,
        notifications,
        outbox,
        area_switch,
        mandates,
        area_mandates,
        mandates_api,
        agreements,
        agreements_api,
    ):
        app.register_blueprint(blueprint)
