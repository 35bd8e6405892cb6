"""CPF: the personal training account (seed 004), a relying party of Compte."""

from __future__ import annotations

from clients.common import Service, app_factory
from clients.cpf.models import TABLES, ensure_demo_data
from clients.cpf.views import bp

SERVICE = Service(
    name="cpf",
    title="Mon Compte Formation",
    blueprint=bp,
    home_endpoint="cpf.dashboard",
    tables=TABLES,
    on_login=ensure_demo_data,
)

create_app = app_factory(SERVICE)
