"""The application factory, settings and schema."""

import subprocess
import sys

from idp.core.config import load_settings


def test_presets_change_the_rules():
    """Each preset sets its own password policy and confirmation delay."""
    cnfpt = load_settings(environ={"COMPTE_PRESET": "cnfpt"})
    cpf = load_settings(environ={"COMPTE_PRESET": "cpf"})
    assert (cnfpt["PASSWORD_POLICY"], cnfpt["CONFIRMATION_MAX_AGE"]) == ("cnfpt", 72 * 3600)
    assert (cpf["PASSWORD_POLICY"], cpf["CONFIRMATION_MAX_AGE"]) == ("cpf", 15 * 86400)


def test_environment_wins_over_files(tmp_path):
    """COMPTE_* variables win over the COMPTE_CONFIG file, which wins over the preset."""
    config = tmp_path / "compte.toml"
    config.write_text('ISSUER = "https://from-file.example"\nMAIL_PORT = 2525\n')
    settings = load_settings(
        environ={"COMPTE_CONFIG": str(config), "COMPTE_MAIL_PORT": "1025", "COMPTE_PRESET": "cpf"}
    )
    assert settings["ISSUER"] == "https://from-file.example"
    assert settings["MAIL_PORT"] == 1025
    assert settings["PRESET"] == "cpf"


def test_unknown_page_is_a_clear_404(client):
    """An unknown address answers a readable 404 page, not a stack trace."""
    response = client.get("/no-such-page", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_migrations_match_the_models(tmp_path):
    """`compte db upgrade` builds the schema the models describe (no pending change)."""
    env = {
        "COMPTE_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}",
        "COMPTE_SECRET_KEY": "x",
        "PATH": "/usr/bin:/bin",
    }
    code = (
        "from idp import create_app; from idp.cli import alembic_config;"
        "from alembic import command; app = create_app(instance_path={!r});"
        "cfg = alembic_config(app); command.upgrade(cfg, 'head'); command.check(cfg)"
    ).format(str(tmp_path / "instance"))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
