"""Every setting the code reads is documented, with its default, in config/defaults.toml, and
every key of that file is read somewhere: found by reading the source of idp/ (and the
templates), not by running it."""

from __future__ import annotations

import ast
import re
import tomllib

from idp.core.config import CONFIG_DIR, ROOT
from idp.oidc import capabilities

KEY = re.compile(r"[A-Z][A-Z0-9_]*")
# Names under which the code holds the settings: `config[…]`, `app.config[…]`,
# `current_app.config[…]`, `self.app.config[…]`, and the dicts of idp/core/config.py.
SETTINGS_NAMES = {"config", "cfg", "settings"}
READ_METHODS = {"get", "setdefault", "pop"}
# In templates: {{ config.ISSUER }}, {{ config["ISSUER"] }}.
TEMPLATE_READ = re.compile(
    r"""\bconfig(?:\.([A-Z][A-Z0-9_]*)|\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\])"""
)

# Keys the code reads (mostly sets, in idp/core/config.finish_settings) that belong to Flask
# or an extension: derived from Compte's own settings, so not in defaults.toml.
OWNED_BY_FLASK_OR_EXTENSIONS = {
    # Flask-SQLAlchemy: derived from DATABASE_URL and DATABASE_CONNECT_TIMEOUT.
    "SQLALCHEMY_DATABASE_URI": "Flask-SQLAlchemy, from DATABASE_URL",
    "SQLALCHEMY_ENGINE_OPTIONS": "Flask-SQLAlchemy, from DATABASE_CONNECT_TIMEOUT",
    # Flask's session cookie and URL scheme: derived from ISSUER (https or not).
    "SESSION_COOKIE_NAME": "Flask, __Host- prefix when ISSUER is https",
    "SESSION_COOKIE_HTTPONLY": "Flask, always true",
    "SESSION_COOKIE_SAMESITE": "Flask, always Lax",
    "SESSION_COOKIE_SECURE": "Flask, from ISSUER",
    "PREFERRED_URL_SCHEME": "Flask, from ISSUER",
    "PERMANENT_SESSION_LIFETIME": "Flask, from REMEMBER_SESSION_LIFETIME",
    # Flask-Login's remember-me cookie: derived from ISSUER.
    "REMEMBER_COOKIE_HTTPONLY": "Flask-Login, always true",
    "REMEMBER_COOKIE_SECURE": "Flask-Login, from ISSUER",
    "REMEMBER_COOKIE_SAMESITE": "Flask-Login, always Lax",
    # Flask-Babel: fixed by the application.
    "BABEL_DEFAULT_LOCALE": "Flask-Babel, always fr",
    "BABEL_TRANSLATION_DIRECTORIES": "Flask-Babel, the translations/ folder",
    "BABEL_DEFAULT_TIMEZONE": "Flask-Babel, from TIME_ZONE",
    # Flask-WTF: CSRF tokens live as long as the session.
    "WTF_CSRF_TIME_LIMIT": "Flask-WTF, always None",
    # Flask-Limiter: derived from REDIS_URL; the login throttle shares them.
    "RATELIMIT_STORAGE_URI": "Flask-Limiter, from REDIS_URL",
    "RATELIMIT_KEY_PREFIX": "Flask-Limiter, always compte",
}

# Keys of defaults.toml that no Compte code reads by name: an extension reads them.
READ_BY_EXTENSIONS = {
    "MAIL_SERVER": "Flask-Mail (ext.mail.init_app)",
    "MAIL_PORT": "Flask-Mail",
    "MAIL_USE_TLS": "Flask-Mail",
    "MAIL_USE_SSL": "Flask-Mail",
    "MAIL_USERNAME": "Flask-Mail",
    "MAIL_PASSWORD": "Flask-Mail",
    "MAIL_DEFAULT_SENDER": "Flask-Mail",
    "RATELIMIT_ENABLED": "Flask-Limiter (ext.limiter.init_app)",
}


def _is_settings(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in SETTINGS_NAMES
    return isinstance(node, ast.Attribute) and node.attr == "config"


def _literal_key(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and KEY.fullmatch(node.value):
        return node.value
    return None


def keys_read_in_python(source: str) -> set[str]:
    """UPPER_CASE string keys subscripted on, or got from, a settings mapping."""
    keys = set()
    for node in ast.walk(ast.parse(source)):
        key = None
        if isinstance(node, ast.Subscript) and _is_settings(node.value):
            key = _literal_key(node.slice)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in READ_METHODS
            and _is_settings(node.func.value)
            and node.args
        ):
            key = _literal_key(node.args[0])
        if key:
            keys.add(key)
    return keys


def keys_read() -> set[str]:
    keys = set()
    for path in (ROOT / "idp").rglob("*.py"):
        keys |= keys_read_in_python(path.read_text(encoding="utf-8"))
    for path in (ROOT / "templates").rglob("*"):
        if path.is_file():
            for match in TEMPLATE_READ.finditer(path.read_text(encoding="utf-8")):
                keys.add(match.group(1) or match.group(2))
    # The capability switches are read through their table (config[SETTINGS[field]]).
    return keys | set(capabilities.SETTINGS.values())


def documented() -> set[str]:
    with (CONFIG_DIR / "defaults.toml").open("rb") as fh:
        return set(tomllib.load(fh))


def test_the_scan_finds_every_way_of_reading_a_setting():
    """The scan itself: subscripts and get() on config, app.config, current_app.config."""
    source = (
        'a = config["ONE"]\n'
        'b = current_app.config.get("TWO")\n'
        'c = app.config["THREE"]\n'
        'd = self.app.config.get("FOUR", 4)\n'
        'e = other["NOT_A_SETTING"]\n'
        'f = config["lower_case"]\n'
    )
    assert keys_read_in_python(source) == {"ONE", "TWO", "THREE", "FOUR"}


def test_every_setting_read_is_documented_in_defaults():
    """A key read by the code but absent from defaults.toml has its default nowhere (or
    in the code): add it to defaults.toml, with a comment saying what it does."""
    missing = keys_read() - documented() - set(OWNED_BY_FLASK_OR_EXTENSIONS)
    assert not missing, f"read by idp/ but not in config/defaults.toml: {sorted(missing)}"


def test_every_documented_setting_is_read():
    """A key of defaults.toml that nothing reads is a setting that does nothing."""
    unread = documented() - keys_read() - set(READ_BY_EXTENSIONS)
    assert not unread, f"in config/defaults.toml but read by no code: {sorted(unread)}"


def test_the_exception_lists_are_still_needed():
    """An exception that became a documented or a read key is dropped from its list."""
    assert not set(OWNED_BY_FLASK_OR_EXTENSIONS) & documented()
    assert set(OWNED_BY_FLASK_OR_EXTENSIONS) <= keys_read()
    assert set(READ_BY_EXTENSIONS) <= documented()
    assert not set(READ_BY_EXTENSIONS) & keys_read()


def test_presets_only_set_documented_settings():
    """A preset changes a default; it never brings a setting of its own."""
    for path in (CONFIG_DIR / "presets").glob("*.toml"):
        with path.open("rb") as fh:
            extra = set(tomllib.load(fh)) - documented()
        assert not extra, f"{path.name} sets keys absent from defaults.toml: {sorted(extra)}"
