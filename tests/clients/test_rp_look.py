"""What every demo service's pages carry: its own favicon, a look for light and dark."""

from __future__ import annotations

import importlib

import pytest

from tests.clients.conftest import CLIENT_ID

COLOURS = {"formadist": "#8a1538", "cpf": "#5b2a86", "ecommunautes": "#0f6b4f"}


@pytest.mark.parametrize("name", sorted(COLOURS))
def test_each_service_has_its_own_favicon(name, test_issuer, tmp_path):
    """/favicon.ico leads to the service's SVG icon (its colour), which every page links."""
    app = importlib.import_module(f"clients.{name}").create_app(
        {
            "ISSUER": test_issuer.url,
            "CLIENT_ID": CLIENT_ID,
            "CLIENT_SECRET": "secret",
            "BASE_URL": "http://127.0.0.1:5999",
            "SECRET_KEY": "rp-test-secret",
            "INSTANCE_PATH": str(tmp_path / name),
            "TESTING": True,
        }
    )
    client = app.test_client()
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301
    icon = client.get(answer.headers["Location"])
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert COLOURS[name] in icon.get_data(as_text=True)
    icon.close()
    page = client.get("/logged-out").get_data(as_text=True)
    assert f'<link rel="icon" href="{answer.headers["Location"]}" type="image/svg+xml">' in page
    assert '<meta name="color-scheme" content="light dark">' in page


def test_pages_may_load_compte_s_launcher_widget(rp_app, test_issuer):
    """The CSP allows scripts from Compte's origin only (its launcher widget), no inline."""
    policy = rp_app.test_client().get("/logged-out").headers["Content-Security-Policy"]
    assert f"script-src 'self' {test_issuer.url};" in policy
    assert "unsafe-inline" not in policy
