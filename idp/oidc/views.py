"""Routes of the OpenID Provider: thin views over the Authlib server built per app."""

from __future__ import annotations

import hashlib
import time
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from joserfc import jwt
from joserfc.errors import JoseError

from idp.accounts import second_factor
from idp.core.extensions import csrf, db
from idp.core.i18n import remember_ui_locales
from idp.core.signals import first_answer
from idp.oidc import (
    claims_request,
    client_registration,
    clients,
    discovery,
    guard,
    lean,
    logout,
    prepared,
    requesting_service,
    session_views,
    signals,
    tokens,
)
from idp.oidc import consent as consents
from idp.oidc.bounds import Violation, first_violation
from idp.oidc.capabilities import SUPPORTED, requires_mfa
from idp.oidc.claims import describe_scopes, subject_for
from idp.oidc.forms import ConsentForm, LogoutEverywhereForm
from idp.oidc.keys import JWKS_MAX_AGE, keyring
from idp.oidc.responses import error_response, respond
from idp.oidc.server import build, oauth, query_client

bp = Blueprint("oidc", __name__)
# The consent form's fields (templates/oidc/consent.html): a POST that carries a decision
# is the person answering our own form, never a relying party's authorization request.
CONSENT_DECISIONS = ("accept", "refuse")
CONSENT_FORM_FIELDS = frozenset({"csrf_token", *CONSENT_DECISIONS})

# --- Discovery and keys ------------------------------------------------------------


def _prepared_response(body: bytes, etag: str, max_age: int) -> Response:
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/.well-known/openid-configuration")
def openid_configuration():
    prepared = current_app.extensions["compte.discovery"]
    return _prepared_response(prepared.body, prepared.etag, 3600)


@bp.get("/oauth/jwks")
def jwks():
    ring = keyring()
    return _prepared_response(ring.jwks_bytes, ring.etag, JWKS_MAX_AGE)


# --- Authorization endpoint -------------------------------------------------------


def _authorization_params() -> list[tuple[str, str]]:
    """The parameters of this authorization request: from the query string, or from the
    form body of a POST (OpenID Connect Core 3.1.2.1), less the consent form's fields."""
    return [(k, v) for k, v in request.values.items(multi=True) if k not in CONSENT_FORM_FIELDS]


def _request_key() -> str:
    """Identifies this authorization request in the session: the same for its GET and POST
    forms and for the consent decision posted back to it."""
    encoded = urlencode(sorted(_authorization_params()))
    return hashlib.sha256(encoded.encode()).hexdigest()[:16]


def _replay_path() -> str:
    """This authorization request as a GET URL: a POST body would be lost on the way through
    the login page, and the consent form posts its decision here."""
    return url_for("oidc.authorize") + "?" + urlencode(_authorization_params())


def _max_age(redirect_uri: str) -> int | None:
    value = request.values.get("max_age")
    if value is None or value == "":
        return None
    try:
        return max(0, int(value))
    except ValueError:
        raise InvalidRequestError("Invalid 'max_age'.", redirect_uri=redirect_uri) from None


def _needs_login(prompts: set[str], max_age: int | None, wrong_person: bool) -> bool:
    """prompt=login, max_age and an id_token_hint naming someone else demand a login more
    recent than this request (once done, the request goes on: no loop)."""
    auth_time = int(session.get("auth_time") or 0)
    asked_at = (session.get("oidc_reauth") or {}).get(_request_key())
    if asked_at and auth_time >= asked_at:
        return False  # the person just logged in for this very request
    if "login" in prompts or wrong_person:
        return True
    return max_age is not None and time.time() - auth_time > max_age


class UnmetAuthenticationRequirementsError(OAuth2Error):
    """OpenID Connect Core Unmet Authentication Requirements 1.0: two factors were asked,
    the session has one, and prompt=none forbids asking."""

    error = "unmet_authentication_requirements"


def _needs_second_factor(client, asked_claims: claims_request.ClaimsRequest) -> bool:
    """The client requires two factors, or this request asks for them (acr_values, or an
    essential acr in the claims parameter), and this session used only one."""
    asked = requires_mfa((request.values.get("acr_values") or "").split())
    asked = asked or asked_claims.demands_two_factors()
    return (client.requires_mfa or asked) and not second_factor.is_multi_factor(session.get("amr"))


def _redirect_to_login(reauth: bool) -> Response:
    pending = dict(session.get("oidc_reauth") or {})
    pending[_request_key()] = int(time.time())
    session["oidc_reauth"] = dict(list(pending.items())[-5:])
    params = {"next": _replay_path()}
    if request.values.get("login_hint"):
        params["identifier"] = request.values["login_hint"]
    if reauth:
        params["reauth"] = "1"
    return redirect(url_for("accounts.login", **params))


def _hint_subject(redirect_uri: str) -> str | None:
    """The `sub` of a valid id_token_hint (ours, expiry ignored), or raises."""
    hint = request.values.get("id_token_hint")
    if not hint:
        return None
    try:
        token = jwt.decode(hint, keyring().public, algorithms=list(SUPPORTED.signing_algs))
    except (JoseError, ValueError):
        raise InvalidRequestError("Invalid 'id_token_hint'.", redirect_uri=redirect_uri) from None
    if token.claims.get("iss") != current_app.config["ISSUER"]:
        raise InvalidRequestError("Invalid 'id_token_hint'.", redirect_uri=redirect_uri)
    return token.claims.get("sub")


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@csrf.exempt  # relying parties may POST requests here (OpenID Connect Core 3.1.2.1)
def authorize():
    deciding = request.method == "POST" and any(k in request.form for k in CONSENT_DECISIONS)
    if deciding:
        # The consent decision is our own form: it must carry its CSRF token (else 400).
        csrf.protect()
    remember_ui_locales()
    server = oauth().server
    account = current_user._get_current_object() if current_user.is_authenticated else None
    try:
        if "openid" in (request.values.get("scope") or "").split() and not request.values.get(
            "redirect_uri"
        ):
            # OpenID Connect Core 3.1.2.1: REQUIRED (Authlib would use a default one).
            raise InvalidRequestError("Missing 'redirect_uri' in request.")
        grant = server.get_consent_grant(end_user=account)
        redirect_uri = grant.redirect_uri
        mode = request.values.get("response_mode")
        if mode and mode not in SUPPORTED.response_modes:
            raise InvalidRequestError("Unsupported 'response_mode'.", redirect_uri=redirect_uri)
        prompts = set((request.values.get("prompt") or "").split())
        max_age = _max_age(redirect_uri)
        hinted_sub = _hint_subject(redirect_uri)
        try:
            asked_claims = claims_request.parse(request.values.get("claims"))
        except claims_request.ClaimsRequestError as problem:
            raise InvalidRequestError(problem.description, redirect_uri=redirect_uri) from None
        if asked_claims.acr_unmeetable():
            # OpenID Connect Core 5.5.1.1: an essential acr that cannot be met is a failed
            # authentication, which the provider may refuse: at once, before any sign-in.
            raise UnmetAuthenticationRequirementsError(
                description="None of the essential acr values can be met.",
                redirect_uri=redirect_uri,
            )
        named = {sub for sub in (hinted_sub, asked_claims.subject()) if sub}
        wrong_person = bool(named and account and named != {subject_for(account, grant.client)})
        if account is None or _needs_login(prompts, max_age, wrong_person):
            if "none" in prompts:
                raise LoginRequiredError(redirect_uri=redirect_uri)
            return _redirect_to_login(reauth=account is not None)
        if asked_claims.subject() not in (None, subject_for(account, grant.client)):
            # 5.5.1: a `sub` asked with a value: never a positive answer for someone else.
            raise LoginRequiredError(
                description="The signed-in person is not the one the claims request names.",
                redirect_uri=redirect_uri,
            )
        if _needs_second_factor(grant.client, asked_claims):
            if "none" in prompts:
                raise UnmetAuthenticationRequirementsError(redirect_uri=redirect_uri)
            return redirect(second_factor.step_up_url(account, _replay_path()))
        if (
            asked_claims.wishes_two_factors()
            and "none" not in prompts
            and second_factor.needs_step_up(account)
        ):
            # A voluntary acr (5.5.1.1): two factors when the person has a second one; a
            # sign-in with one factor goes on all the same (its ID token says so).
            return redirect(second_factor.step_up_url(account, _replay_path()))
    except OAuth2Error as error:
        return error_response(error)
    except ValueError:  # Authlib refuses non-ASCII text in its own error descriptions
        return error_response(InvalidRequestError("Malformed request."))

    client = grant.client
    scope = grant.request.scope or ""
    # Claims asked one by one beyond the scopes: consent names them too, every time.
    beyond = claims_request.beyond_scope(asked_claims, client.scope, scope)
    form = ConsentForm()
    decided = deciding and form.validate_on_submit()
    if not decided and (
        consents.needs_consent(account, client, scope, beyond) or "consent" in prompts
    ):
        if "none" in prompts:
            return error_response(ConsentRequiredError(redirect_uri=redirect_uri))
        return _consent_page(form, client, scope, beyond)
    if decided and form.refuse.data:
        response = server.create_authorization_response(grant=grant, grant_user=None)
        return respond(response, redirect_uri)
    if decided:
        consents.grant_consent(account, client, scope, beyond)
        db.session.commit()
    elif consents.remember_release(account, client, scope):
        db.session.commit()
    pending = dict(session.get("oidc_reauth") or {})
    if pending.pop(_request_key(), None) is not None:
        session["oidc_reauth"] = pending
    response = server.create_authorization_response(grant=grant, grant_user=account)
    return respond(response, redirect_uri)


@bp.get("/oauth/authorize/cancel")
def cancel_authorization():
    """The login page's "Revenir à <service>": the person leaves without signing in, and
    the service hears it as access_denied at its validated redirect URI (RFC 6749 4.1.2.1,
    with `state` and `iss`). ProConnect asks its identity providers for this link: back
    on ProConnect, the person may choose another way to sign in."""
    try:
        grant = oauth().server.get_consent_grant(end_user=None)
    except OAuth2Error as error:
        return error_response(error)
    except ValueError:  # Authlib refuses non-ASCII text in its own error descriptions
        return error_response(InvalidRequestError("Malformed request."))
    response = oauth().server.create_authorization_response(grant=grant, grant_user=None)
    return respond(response, grant.redirect_uri)


def _consent_page(form: ConsentForm, client, scope: str, beyond: list[str]) -> Response:
    description = first_answer(signals.client_description, client_id=client.client_id) or ""
    page = render_template(
        "oidc/consent.html",
        form=form,
        client=client,
        description=description,
        items=describe_scopes(scope, beyond),
        action=_replay_path(),
    )
    response = Response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


def _refuse_out_of_bounds(violation: Violation, source: str) -> Response:
    """A parameter out of bounds (idp/oidc/guard.py) is an invalid_request, sent back to
    the client only when the client, its redirect_uri and the state are sound and match."""
    error = InvalidRequestError(violation.description)
    values = {k: request.values.get(k) or "" for k in ("client_id", "redirect_uri", "state")}
    if first_violation(values.items()) is None and values["client_id"] and values["redirect_uri"]:
        client = query_client(values["client_id"])
        if client is not None and client.check_redirect_uri(values["redirect_uri"]):
            error.redirect_uri = values["redirect_uri"]
            error.state = values["state"] or None
    return error_response(error)


# --- Token, userinfo, revocation, introspection ----------------------------------


@bp.post("/oauth/token")
@csrf.exempt
def token():
    try:
        response = oauth().server.create_token_response()
    except tokens.RepeatAnswer as repeat:
        # A retry of a refresh whose answer was lost (REFRESH_TOKEN_REUSE_GRACE).
        response = Response(repeat.body, status=200, mimetype="application/json")
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
        return response
    if response.status_code == 200:
        rotated = g.get("compte_rotated_token_id")
        if rotated is not None:
            tokens.keep_answer_for_retry(rotated, response.get_data(as_text=True))
        db.session.commit()  # one commit: code use, rotation, new token, audit
    else:
        db.session.rollback()
    return response


@bp.route("/oauth/userinfo", methods=["GET", "POST"])
@csrf.exempt
def userinfo():
    return oauth().server.create_endpoint_response("userinfo")


@bp.post("/oauth/revoke")
@csrf.exempt
def revoke():
    return oauth().server.create_endpoint_response("revocation")


@bp.post("/oauth/introspect")
@csrf.exempt
def introspect():
    return oauth().server.create_endpoint_response("introspection")


def init_app(app: Flask) -> None:
    build(app)
    client_registration.init_app(app)
    # Every parameter in bounds before Authlib or the database reads it (idp/oidc/guard.py;
    # a Basic header that is not UTF-8 once decoded is refused there too).
    for endpoint in ("oidc.token", "oidc.revoke", "oidc.introspect"):
        guard.protect(app, endpoint, guard.client_error, header="basic")
    guard.protect(app, "oidc.userinfo", guard.resource_error, header="bearer")
    guard.protect(app, "oidc.authorize", _refuse_out_of_bounds)
    guard.protect(app, "oidc.cancel_authorization", _refuse_out_of_bounds)
    guard.protect(app, "oidc_session.end_session", session_views.refuse_logout_request)
    app.extensions["compte.discovery"] = discovery.prepare(app)
    prepared.install(app)
    lean.install(app)  # userinfo, introspection and two token grants before Flask
    logout.init_app(app)
    requesting_service.init_app(app)
    app.jinja_env.globals["oidc_connected_apps"] = session_views.connected_apps
    app.jinja_env.globals["oidc_logout_everywhere_form"] = LogoutEverywhereForm
    app.jinja_env.globals["oidc_describe_scopes"] = describe_scopes
    app.jinja_env.globals["oidc_client_names"] = clients.names_of
    app.register_blueprint(bp)
    app.register_blueprint(session_views.bp)
