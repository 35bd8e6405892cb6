"""Language choice: French first, English when the person or their browser prefers it.

Which language a page is in, strongest first:
1. `ui_locales` of this request, then the one kept from the OpenID authorization request
   that started this sign-in (OpenID Connect Core 3.1.2.1: the service asked for it);
2. the person's own choice from the "Français / English" switch (a cookie, one year);
3. the browser's Accept-Language; French by default.
Choosing with the switch forgets the service's `ui_locales`: the person's word comes last."""

from typing import Any

from flask import has_request_context, request, session
from flask_babel import gettext

LANGUAGES = ("fr", "en")
# The switch's cookie: only "fr" or "en", read by the server (never by scripts).
LANGUAGE_COOKIE = "compte_language"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600  # remembered for a year


def _supported(tags: str) -> str | None:
    for tag in tags.split():
        short = tag.split("-")[0].lower()
        if short in LANGUAGES:
            return short
    return None


def select_locale() -> str:
    if not has_request_context():  # CLI, workers: French, the default language
        return "fr"
    # ui_locales (OpenID Connect) is kept in the session by the authorization endpoint.
    requested = request.args.get("ui_locales") or session.get("ui_locales")
    if requested and (chosen := _supported(requested)):
        return chosen
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="fr") or "fr"


def remember_ui_locales() -> None:
    """Keep the first supported language of an OpenID request's `ui_locales` for the pages
    that follow (login, consent, logout)."""
    chosen = _supported(request.values.get("ui_locales") or "")
    if chosen:
        session["ui_locales"] = chosen


def forget_ui_locales() -> None:
    """The person chose a language themselves: a service's `ui_locales` no longer applies."""
    if "ui_locales" in session:
        session.pop("ui_locales")


def gettext_or_french(message: str, **variables: Any) -> str:
    """`message` translated in a request; at the console (no request, no locale) the
    French source with its variables filled in. For rules shared by pages and commands."""
    if has_request_context():
        return gettext(message, **variables)
    return message % variables if variables else message
