"""Settings, loaded in one place: defaults, preset, COMPTE_CONFIG file, COMPTE_* variables."""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from idp.core.sealing import KeyEncryptionKeyError, configured_keks

ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = ROOT / "config"
PRESETS = ("cnfpt", "cpf", "demo")
ENV_PREFIX = "COMPTE_"


class ConfigError(ValueError):
    """A setting is missing or malformed."""


def _read_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _parse_env_value(raw: str) -> Any:
    """Numbers and booleans as TOML reads them; anything else stays a string."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


# Where a setting came from, as `compte config show` tells it (last wins).
DEFAULT, PRESET, FILE, ENVIRONMENT, OVERRIDE, DERIVED = (
    "default",
    "preset",
    "file",
    "environment",
    "override",
    "derived",
)


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return the merged settings. `overrides` (tests) win over everything."""
    return load_settings_with_sources(environ, overrides)[0]


def load_settings_with_sources(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The merged settings, and for each key the layer its value came from (DEFAULT,
    PRESET, FILE, ENVIRONMENT or OVERRIDE)."""
    environ = os.environ if environ is None else environ
    defaults = _read_toml(CONFIG_DIR / "defaults.toml")

    env = {
        key[len(ENV_PREFIX) :]: _parse_env_value(value)
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX) and key != "COMPTE_CONFIG"
    }
    file_settings: dict[str, Any] = {}
    if environ.get("COMPTE_CONFIG"):
        file_settings = _read_toml(Path(environ["COMPTE_CONFIG"]))

    preset = (overrides or {}).get("PRESET") or env.get("PRESET") or file_settings.get("PRESET")
    preset = preset or defaults["PRESET"]
    if preset not in PRESETS:
        raise ConfigError(f"Unknown preset {preset!r}; choose one of {', '.join(PRESETS)}.")
    settings: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for source, layer in (
        (DEFAULT, defaults),
        (PRESET, _read_toml(CONFIG_DIR / "presets" / f"{preset}.toml")),
        (FILE, file_settings),
        (ENVIRONMENT, env),
        (OVERRIDE, overrides or {}),
    ):
        settings.update(layer)
        sources.update(dict.fromkeys(layer, source))
    settings["PRESET"] = preset
    settings["ISSUER"] = str(settings["ISSUER"]).rstrip("/")
    return settings, sources


def _engine_options(settings: dict[str, Any]) -> dict[str, Any]:
    """The engine options given, plus, unless given otherwise: SQL errors that never print
    their parameters (sid, code_hash…); pooled connections checked before use (a restarted
    database goes unnoticed); for PostgreSQL, a bounded connection attempt (psycopg would
    wait 130 s for a hung server)."""
    options = dict(settings.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.setdefault("hide_parameters", True)
    options.setdefault("pool_pre_ping", True)
    if str(settings["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", int(settings["DATABASE_CONNECT_TIMEOUT"]))
        options["connect_args"] = connect_args
    return options


def _time_zone(settings: dict[str, Any]) -> str:
    """TIME_ZONE, checked at start: a misspelt zone would otherwise fail on the first date."""
    name = str(settings.get("TIME_ZONE") or "")
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigError(
            f"Unknown TIME_ZONE {name!r}; use a name of the IANA database, e.g. Europe/Paris."
        ) from None
    return name


def finish_settings(settings: dict[str, Any], instance_path: Path) -> dict[str, Any]:
    """Fill the values that depend on the instance folder and derive Flask's own keys."""
    instance_path.mkdir(parents=True, exist_ok=True)
    if not settings.get("SECRET_KEY"):
        key_file = instance_path / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        settings["SECRET_KEY"] = key_file.read_text().strip()
    if not settings.get("DATABASE_URL"):
        settings["DATABASE_URL"] = f"sqlite:///{instance_path / 'compte.db'}"
    if not settings.get("MAILSINK_DIR"):
        settings["MAILSINK_DIR"] = str(instance_path / "mailsink")

    secure = settings["ISSUER"].startswith("https://")
    try:
        configured_keks(settings)  # a bad key-encryption key stops the start, clearly
    except KeyEncryptionKeyError as error:
        raise ConfigError(str(error)) from None
    settings.setdefault("SQLALCHEMY_DATABASE_URI", settings["DATABASE_URL"])
    settings["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(settings)
    # __Host-: the browser then refuses the cookie unless Secure, host-only and Path=/, so
    # no sibling subdomain can set or overwrite it.
    settings.setdefault(
        "SESSION_COOKIE_NAME", "__Host-compte_session" if secure else "compte_session"
    )
    settings.setdefault("SESSION_COOKIE_HTTPONLY", True)
    settings.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    settings.setdefault("SESSION_COOKIE_SECURE", secure)
    settings.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    settings.setdefault("REMEMBER_COOKIE_SECURE", secure)
    settings.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    # Flask refuses a session cookie signed longer ago than this: at least as long as a
    # remembered session ("Rester connecté"), never less than Flask's own 31 days.
    settings.setdefault(
        "PERMANENT_SESSION_LIFETIME",
        max(31 * 86400, int(settings.get("REMEMBER_SESSION_LIFETIME") or 0)),
    )
    settings.setdefault("PREFERRED_URL_SCHEME", "https" if secure else "http")
    settings.setdefault("BABEL_DEFAULT_LOCALE", "fr")
    settings.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "translations"))
    settings["BABEL_DEFAULT_TIMEZONE"] = _time_zone(settings)
    settings.setdefault("WTF_CSRF_TIME_LIMIT", None)
    # Redis behind a fallback to this process's memory while it is unreachable
    # (idp/core/ratelimit.py).
    redis_url = settings.get("REDIS_URL")
    settings.setdefault(
        "RATELIMIT_STORAGE_URI", f"compte+{redis_url}" if redis_url else "memory://"
    )
    settings.setdefault("RATELIMIT_KEY_PREFIX", "compte")
    return settings
