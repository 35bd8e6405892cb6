"""`compte config show`: the settings in effect, where each came from, secrets never shown."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from idp.cli import main
from idp.core.config import load_settings, load_settings_with_sources

SECRETS = {
    "COMPTE_SECRET_KEY": "sk-very-secret-session-key-0123456789",
    "COMPTE_KEY_ENCRYPTION_KEY": "kek-very-secret-0123456789abcdefghijklmnop",
    "COMPTE_MAIL_PASSWORD": "mail-pass-4242",
    "COMPTE_METRICS_TOKEN": "metrics-token-0123456789",
    "COMPTE_OIDC_PAIRWISE_SALT": "pairwise-salt-777",
    # No database is reached: this host does not exist.
    "COMPTE_DATABASE_URL": "postgresql://compte:db-pass-999@db.invalid/compte",
    "COMPTE_REDIS_URL": "redis://:redis-pass-555@cache.invalid:6379/0",
}


@pytest.fixture(autouse=True)
def no_compte_variables(monkeypatch):
    """Only the variables a test sets: none of the developer's or the test run's."""
    for name in list(os.environ):
        if name.startswith("COMPTE_"):
            monkeypatch.delenv(name)


def show(tmp_path: Path, env: dict[str, str], *args: str):
    result = CliRunner().invoke(
        main, ["config", "show", "--instance", str(tmp_path / "instance"), *args], env=env
    )
    return result


def line_of(output: str, key: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(f"{key} = "))


def test_each_value_says_where_it_came_from(tmp_path):
    """A preset's value says "preset", a variable's "environment", the file's "file", an
    untouched one "default", one filled at start "derived"."""
    config_file = tmp_path / "compte.toml"
    config_file.write_text('SUPPORT_EMAIL = "aide@example.org"\n', encoding="utf-8")
    env = {"COMPTE_PRESET": "cpf", "COMPTE_MAIL_PORT": "2525", "COMPTE_CONFIG": str(config_file)}

    result = show(tmp_path, env)

    assert result.exit_code == 0, result.output
    assert "preset cpf" in result.output.splitlines()[0]
    assert line_of(result.output, "PRESET").endswith("# environment")
    assert line_of(result.output, "ORGANISATION_NAME").startswith(
        'ORGANISATION_NAME = "Mon Compte Formation"'
    )
    assert line_of(result.output, "ORGANISATION_NAME").endswith("# preset")
    assert line_of(result.output, "MAIL_PORT").startswith("MAIL_PORT = 2525 ")
    assert line_of(result.output, "MAIL_PORT").endswith("# environment")
    assert line_of(result.output, "SUPPORT_EMAIL").startswith('SUPPORT_EMAIL = "aide@example.org"')
    assert line_of(result.output, "SUPPORT_EMAIL").endswith("# file")
    assert line_of(result.output, "ACCESS_TOKEN_LIFETIME").startswith(
        "ACCESS_TOKEN_LIFETIME = 600 "
    )
    assert line_of(result.output, "ACCESS_TOKEN_LIFETIME").endswith("# default")
    assert line_of(result.output, "SESSION_COOKIE_NAME").endswith("# derived")


@pytest.mark.parametrize("as_json", [False, True])
def test_secrets_are_masked_and_never_printed(tmp_path, as_json):
    """Secret settings show as ********, URL passwords too; the rest of a URL stays."""
    result = show(tmp_path, SECRETS, *(["--json"] if as_json else []))

    assert result.exit_code == 0, result.output
    for secret in SECRETS.values():
        if secret.startswith(("postgresql", "redis")):
            secret = secret.split(":")[2].split("@")[0]
        assert secret not in result.output
    if as_json:
        data = json.loads(result.output)
        assert data["SECRET_KEY"] == {"value": "********", "source": "environment"}
        assert data["DATABASE_URL"]["value"] == "postgresql://compte:********@db.invalid/compte"
        assert data["RATELIMIT_STORAGE_URI"]["value"].startswith("compte+redis://:********@")
    else:
        for key in ("SECRET_KEY", "KEY_ENCRYPTION_KEY", "MAIL_PASSWORD", "METRICS_TOKEN"):
            assert line_of(result.output, key).startswith(f'{key} = "********"')
        assert "redis://:********@cache.invalid:6379/0" in line_of(result.output, "REDIS_URL")
        # Not secrets, though their names look alike.
        assert line_of(result.output, "PASSWORD_POLICY").startswith('PASSWORD_POLICY = "cnfpt"')
        assert line_of(result.output, "KEY_ENCRYPTION_KEY_FILE").startswith(
            'KEY_ENCRYPTION_KEY_FILE = ""'
        )


def test_json_gives_each_value_and_its_source(tmp_path):
    result = show(tmp_path, {"COMPTE_ID_TOKEN_LIFETIME": "300"}, "--json")

    data = json.loads(result.output)
    assert data["ID_TOKEN_LIFETIME"] == {"value": 300, "source": "environment"}
    assert data["PRESET"] == {"value": "demo", "source": "default"}
    assert data["BCRYPT_ROUNDS"] == {"value": 10, "source": "preset"}


def test_a_bad_setting_is_told_plainly(tmp_path):
    result = show(tmp_path, {"COMPTE_PRESET": "nowhere"})

    assert result.exit_code == 1
    assert "Unknown preset 'nowhere'" in result.output


def test_sources_come_from_the_one_merge():
    """load_settings is load_settings_with_sources without the sources; overrides (tests)
    say "override"."""
    environ = {"COMPTE_PRESET": "cnfpt", "COMPTE_MAIL_PORT": "2525"}
    settings, sources = load_settings_with_sources(environ, {"BCRYPT_ROUNDS": 4})

    assert settings == load_settings(environ, {"BCRYPT_ROUNDS": 4})
    assert sources["BCRYPT_ROUNDS"] == "override"
    assert sources["MAIL_PORT"] == "environment"
    assert sources["SERVICE_NAME"] == "preset"
    assert sources["ISSUER"] == "default"
