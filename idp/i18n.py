"""Language choice: French first, English when the browser prefers it."""

from flask import request

LANGUAGES = ("fr", "en")


def select_locale() -> str:
    requested = request.args.get("ui_locales") or request.cookies.get("compte_lang")
    if requested:
        for tag in requested.split():
            short = tag.split("-")[0].lower()
            if short in LANGUAGES:
                return short
    return request.accept_languages.best_match(LANGUAGES, default="fr") or "fr"
