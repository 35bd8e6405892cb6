"""Compte's three demo services served over real HTTP for the tests (threads, free ports)."""

from __future__ import annotations

import importlib
from contextlib import ExitStack
from pathlib import Path

from flask import Flask

from clients.common.db import db as rp_db
from clients.demo import register
from tests.support.servers import free_port, serve_wsgi

NAMES = ("formadist", "cpf", "ecommunautes")


def start_services(compte_app: Flask, issuer: str, tmp_path: Path, stack: ExitStack) -> dict:
    """Register the services in Compte (as scripts/demo does) and serve each one on a free
    port; returns {name: {"app", "url"}}. Everything stops when `stack` closes."""
    ports = {name: free_port() for name in NAMES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    credentials = register(compte_app, tmp_path / "demo-clients.json", urls=urls)
    services = {}
    for name in NAMES:
        app = importlib.import_module(f"clients.{name}").create_app(
            {
                "ISSUER": issuer,
                "BASE_URL": urls[name],
                "CLIENT_ID": credentials[name]["client_id"],
                "CLIENT_SECRET": credentials[name]["client_secret"],
                "SECRET_KEY": f"{name}-test",
                "INSTANCE_PATH": str(tmp_path / name),
            }
        )
        stack.enter_context(serve_wsgi(app, ports[name]))
        stack.callback(_dispose, app)
        services[name] = {"app": app, "url": urls[name]}
    return services


def _dispose(app: Flask) -> None:
    with app.app_context():
        rp_db.session.remove()
        rp_db.engine.dispose()
