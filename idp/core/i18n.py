"""Language choice: French first, English when the browser prefers it."""

from flask import has_request_context, request, session

LANGUAGES = ("fr", "en")


def select_locale() -> str:
    if not has_request_context():  # CLI, workers: French, the default language
        return "fr"
    # ui_locales (OpenID Connect) is kept in the session by the authorization endpoint.
    requested = request.args.get("ui_locales") or session.get("ui_locales")
    if requested:
        for tag in requested.split():
            short = tag.split("-")[0].lower()
            if short in LANGUAGES:
                return short
    return request.accept_languages.best_match(LANGUAGES, default="fr") or "fr"


def remember_ui_locales() -> None:
    """Keep the first supported language of an OpenID request's `ui_locales` for the pages
    that follow (login, consent, logout)."""
    for tag in (request.values.get("ui_locales") or "").split():
        short = tag.split("-")[0].lower()
        if short in LANGUAGES:
            session["ui_locales"] = short
            return
