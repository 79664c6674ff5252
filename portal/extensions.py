"""The Flask extensions, created once and bound to an app in ``create_app``."""

from typing import TYPE_CHECKING

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from portal.database import Base

db = SQLAlchemy(model_class=Base)
# Every table's base class. ``db.Model`` is built at run time, so a type checker cannot see it
# as a class; it is ``Base`` with Flask-SQLAlchemy's bookkeeping, and Base is what mypy sees.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
