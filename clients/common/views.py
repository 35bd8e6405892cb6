"""Routes every service shares: login, callback, logout, and the logout receivers."""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import logging
import secrets

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError
from authlib.integrations.flask_client import OAuthError
from flask import (
    Blueprint,
    Flask,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from joserfc.errors import JoseError
from sqlalchemy.exc import IntegrityError

from clients.common import auth
from clients.common.db import SeenLogoutToken, db, utcnow
from clients.common.logout_token import JwksCache, LogoutTokenError

log = logging.getLogger(__name__)
bp = Blueprint(
    "rp",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/rp-static",
)


@bp.get("/login")
def login():
    return auth.start_login(request.args.get("next"))


@bp.get("/auth/callback")
def callback():
    try:
        target = auth.finish_login()
    except MismatchingStateError as error:
        # Our record of the request is gone (Authlib keeps it an hour: a person who created
        # an account and confirmed it the next morning) or was never ours. While signed in
        # at Compte, asking again lands on the page wanted at first, once a minute at most.
        restart = auth.restart_login()
        if restart is not None:
            return restart
        log.warning("login through Compte failed: %s", error)
        return render_template("common/login_failed.html", reason=error.error), 400
    except (AuthlibBaseError, JoseError, KeyError, ValueError, requests.RequestException) as error:
        log.warning("login through Compte failed: %s", error)
        description = getattr(error, "error", None) or type(error).__name__
        return render_template("common/login_failed.html", reason=description), 400
    return redirect(target)


@bp.post("/logout")
def logout():
    """RP-initiated logout: end our session, then Compte's (which tells the others)."""
    login = auth.end_local_session()
    if login is None:
        return redirect(url_for("rp.logged_out"))
    try:
        return auth.compte().logout_redirect(
            post_logout_redirect_uri=current_app.config["BASE_URL"] + "/logged-out",
            id_token_hint=login.id_token,
            state=secrets.token_urlsafe(16),
            client_id=current_app.config["CLIENT_ID"],
        )
    except (OAuthError, RuntimeError, requests.RequestException) as error:
        log.warning("RP-initiated logout unavailable: %s", error)
        return redirect(url_for("rp.logged_out"))


@bp.get("/logged-out")
def logged_out():
    if request.args.get("state"):
        # A stale or foreign state changes nothing here: we are logged out either way.
        with contextlib.suppress(OAuthError):
            auth.compte().validate_logout_response()
    return render_template("common/logged_out.html")


def _jwks() -> JwksCache:
    cache = current_app.extensions.get("rp.jwks")
    if cache is None:

        def fetch() -> dict:
            metadata = auth.compte().load_server_metadata()
            response = requests.get(metadata["jwks_uri"], timeout=5)
            response.raise_for_status()
            return response.json()

        interval = current_app.config.get("JWKS_REFRESH_INTERVAL", 10)
        cache = current_app.extensions["rp.jwks"] = JwksCache(fetch, min_interval=interval)
    return cache


def _refuse(reason: str):
    log.warning("back-channel logout refused: %s", reason)
    response = jsonify(error="invalid_request", error_description="logout token refused")
    response.status_code = 400
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/backchannel-logout")
def backchannel_logout():
    """OpenID Connect Back-Channel Logout 1.0: Compte tells us a session `sid` ended."""
    token = request.form.get("logout_token", "")
    if not token:
        return _refuse("no logout_token")
    try:
        claims = _jwks().verify(
            token, issuer=current_app.config["ISSUER"], client_id=current_app.config["CLIENT_ID"]
        )
    except LogoutTokenError as error:
        return _refuse(str(error))
    except (requests.RequestException, ValueError) as error:
        return _refuse(f"keys unavailable: {error}")
    # Older tokens are refused by their iat anyway: their jti need not be kept.
    too_old = utcnow() - dt.timedelta(days=1)
    db.session.query(SeenLogoutToken).filter(SeenLogoutToken.seen_at < too_old).delete()
    db.session.add(SeenLogoutToken(jti=claims.jti))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _refuse("replayed jti")
    ended = auth.end_sessions(sid=claims.sid, sub=claims.sub)
    log.info("back-channel logout: %d session(s) ended", ended)
    response = make_response("", 200)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/frontchannel-logout")
def frontchannel_logout():
    """Front-Channel Logout 1.0: Compte's logout page loads us in a hidden iframe."""
    iss, sid = request.args.get("iss", ""), request.args.get("sid", "")
    # Only with Compte's issuer and a sid (frontchannel_logout_session_required): a bare
    # GET from any page must not be able to log people out.
    if iss and sid and hmac.compare_digest(iss, current_app.config["ISSUER"]):
        auth.end_sessions(sid=sid, sub=None)
    response = make_response(render_template("common/frontchannel.html"))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'self'; frame-ancestors {current_app.config['ISSUER']}"
    )
    return response


@bp.get("/favicon.ico")
def favicon():
    """Browsers that ask /favicon.ico get the service's own icon (its colour, its initial)."""
    icon = url_for("rp.static", filename=f"favicons/{current_app.config['SERVICE_SLUG']}.svg")
    return redirect(icon, code=301)


@bp.get("/healthz")
def healthz():
    return {"status": "ok", "service": current_app.config["SERVICE_NAME"]}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(backchannel_logout)
