"""CPF: the personal training account (seed 004), a relying party of Compte."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from clients.common import Service, create_rp_app
from clients.cpf.models import TABLES, ensure_demo_data
from clients.cpf.views import bp

SERVICE = Service(
    name="cpf",
    title="Mon Compte Formation",
    blueprint=bp,
    home_endpoint="cpf.dashboard",
    tables=TABLES,
    on_login=ensure_demo_data,
    template_folder=str(Path(__file__).parent / "templates"),
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The CPF app (settings: see clients.common.create_rp_app)."""
    return create_rp_app(SERVICE, config)
