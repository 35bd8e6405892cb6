"""`compte config show`: the settings in effect and where each came from, secrets masked.
Needs no database: it reads the settings as the app factory does, and builds no app."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from idp.core.config import (
    DERIVED,
    ROOT,
    ConfigError,
    finish_settings,
    load_settings_with_sources,
)

MASK = "********"
# Names of settings that hold a secret: SECRET_KEY, KEY_ENCRYPTION_KEY, MAIL_PASSWORD,
# METRICS_TOKEN, OIDC_PAIRWISE_SALT, a `password` of the engine options… Shown: names that
# only end otherwise (PASSWORD_POLICY, KEY_ENCRYPTION_KEY_FILE: a path).
SECRET_NAME = re.compile(
    r"SECRET|CREDENTIAL|(PASSWORD|PASSWD|PASSPHRASE|TOKEN|SALT|(^|_)KEY)$", re.I
)
# The password of a URL (postgresql://user:password@host, redis://:password@host).
URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:@/\s]*:)[^@/\s]*@", re.I)
# A secret in a URL's query (…?password=…&sslpassword=…).
QUERY_SECRET = re.compile(r"(?P<head>[?&][a-z_]*(?:password|passwd|secret|token)=)[^&#\s]*", re.I)


def mask(name: str, value: Any) -> Any:
    """`value` as it may be shown: a secret setting replaced by MASK when set, URL passwords
    masked in every string, the same inside lists and dicts."""
    if SECRET_NAME.search(name):
        return MASK if value not in ("", None, [], {}) else value
    if isinstance(value, str):
        value = URL_PASSWORD.sub(rf"\g<head>{MASK}@", value)
        return QUERY_SECRET.sub(rf"\g<head>{MASK}", value)
    if isinstance(value, Mapping):
        return {key: mask(str(key), item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask("", item) for item in value]
    return value


def effective_settings(
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    instance_path: Path | None = None,
) -> dict[str, tuple[Any, str]]:
    """{key: (value, source)} of the settings an app would run with, unmasked. Values filled
    or added at start (idp.core.config.finish_settings) have the source DERIVED."""
    settings, sources = load_settings_with_sources(environ, overrides)
    loaded = dict(settings)
    finish_settings(settings, (instance_path or ROOT / "instance").resolve())
    return {
        key: (
            value,
            sources[key] if key in sources and loaded.get(key) == value else DERIVED,
        )
        for key, value in settings.items()
    }


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def register(main: click.Group) -> None:
    main.add_command(config)


@click.group()
def config() -> None:
    """Settings (config/defaults.toml, presets, COMPTE_CONFIG, COMPTE_* variables)."""


@config.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object: {KEY: {value, source}}.")
@click.option("--instance", type=click.Path(path_type=Path), hidden=True, help="(tests)")
def show(as_json: bool, instance: Path | None) -> None:
    """Print the settings in effect and where each came from: default, preset, file,
    environment, or derived (filled at start). Secrets are masked."""
    try:
        settings = effective_settings(instance_path=instance)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        data = {
            key: {"value": mask(key, value), "source": source}
            for key, (value, source) in settings.items()
        }
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        return
    preset = settings["PRESET"][0]
    file = f", file {os.environ['COMPTE_CONFIG']}" if os.environ.get("COMPTE_CONFIG") else ""
    click.echo(f"# Settings in effect (preset {preset}{file}); secrets are masked.")
    for key, (value, source) in settings.items():
        click.echo(f"{f'{key} = {_shown(mask(key, value))}':<60}  # {source}")
