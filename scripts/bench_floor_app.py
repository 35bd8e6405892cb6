"""The floor of scripts/bench_memory.py: the libraries Compte is built on, and nothing of
Compte. The issue's stack (Flask, Authlib's OpenID Connect server, Flask-Login, SQLAlchemy's
ORM, bcrypt, itsdangerous, Flask-Mail) plus what every Compte deployment adds (psycopg,
redis with Flask-Limiter, Flask-WTF, Flask-Babel, prometheus-client, joserfc), imported
as Compte imports them; one route that reads PostgreSQL through a session, counts in
Redis and renders a template. Whatever a Compte worker holds above this worker's memory
is Compte's own.

    FLOOR_DATABASE_URL=postgresql+psycopg://… FLOOR_REDIS_URL=redis://… \
        granian --interface wsgi … bench_floor_app:app
"""

from __future__ import annotations

import os

import bcrypt  # noqa: F401
import flask_babel
import flask_limiter
import flask_login
import flask_mail
import flask_wtf
import prometheus_client
import redis
import sqlalchemy as sa
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import grants  # noqa: F401
from authlib.oauth2.rfc7636 import CodeChallenge  # noqa: F401
from authlib.oidc.core import grants as oidc_grants  # noqa: F401
from flask import Flask, render_template_string
from flask_sqlalchemy import SQLAlchemy
from joserfc import jwk, jwt  # noqa: F401

app = Flask(__name__)
app.config.update(
    SQLALCHEMY_DATABASE_URI=os.environ["FLOOR_DATABASE_URL"],
    SECRET_KEY=os.urandom(32).hex(),
)
db = SQLAlchemy(app)
store = redis.Redis.from_url(os.environ["FLOOR_REDIS_URL"])
counter = os.environ.get("FLOOR_REDIS_KEY", "compte-floor")
flask_login.LoginManager(app).user_loader(lambda _id: None)  # nobody signs in
flask_wtf.CSRFProtect(app)
flask_babel.Babel(app)
flask_mail.Mail(app)
flask_limiter.Limiter(
    flask_limiter.util.get_remote_address, app=app, storage_uri=os.environ["FLOOR_REDIS_URL"]
)
AuthorizationServer(app)
ResourceProtector()
served = prometheus_client.Counter("floor_requests", "Requests served")


@app.get("/")
def index() -> str:
    """One database read, one Redis count, one template."""
    value = db.session.execute(sa.text("SELECT 1")).scalar()
    store.incr(counter)
    served.inc()
    return render_template_string("<p>{{ value }}</p>", value=value)
