"""How an authorization request is answered: a redirect to the client's validated
redirect URI (query, or an auto-submitted form for response_mode=form_post), or, when no
redirect URI can be trusted, a page in plain words. Every redirect carries `iss` (RFC 9207,
idp/oidc/server.py `IssuerInResponse`)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from authlib.oauth2 import OAuth2Error
from flask import Response, current_app, render_template, request
from flask_babel import lazy_gettext as _l

from idp.oidc.server import oauth

# Plain-words explanations of the errors a person may meet on the authorization page.
ERROR_TEXTS = {
    "invalid_client": _l("Cette application n’est pas (ou plus) enregistrée auprès de nous."),
    "invalid_request": _l("La demande de connexion envoyée par l’application est incorrecte."),
    "unauthorized_client": _l("Cette application n’est pas autorisée à faire cette demande."),
    "unsupported_response_type": _l(
        "Cette application demande un type de réponse non pris en charge."
    ),
}


def form_post(redirect_uri: str, location: str) -> Response:
    """Turn a redirect into an auto-submitted form (response_mode=form_post)."""
    own = set(parse_qsl(urlsplit(redirect_uri).query))
    params = [item for item in parse_qsl(urlsplit(location).query) if item not in own]
    response = Response(render_template("oidc/form_post.html", action=redirect_uri, params=params))
    response.headers["Cache-Control"] = "no-store"
    return response


def respond(response: Response, redirect_uri: str | None) -> Response:
    """Authlib's redirect, in the response mode the request asked for."""
    mode = request.values.get("response_mode") or "query"
    location = response.headers.get("Location")
    if mode == "form_post" and redirect_uri and location and response.status_code == 302:
        return form_post(redirect_uri, location)
    return response


def error_response(error: OAuth2Error) -> Response:
    """To the redirect URI only when it was validated for the client; else a clear page."""
    if error.redirect_uri:
        if error.state is None:
            error.state = request.values.get("state")
        response = oauth().server.create_authorization_error_response(error)  # with `iss`
        return respond(response, error.redirect_uri)
    current_app.logger.info("authorization refused: %s %s", error.error, error.description)
    text = ERROR_TEXTS.get(error.error, ERROR_TEXTS["invalid_request"])
    page = render_template(
        "oidc/error.html", error=error.error, description=error.description, text=str(text)
    )
    return Response(page, status=400)
