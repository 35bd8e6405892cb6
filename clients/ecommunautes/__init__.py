"""E-communautés: thematic communities (seed 000), a relying party of Compte."""

from __future__ import annotations

from clients.common import Service, app_factory
from clients.ecommunautes.models import TABLES, ensure_demo_data
from clients.ecommunautes.views import bp

SERVICE = Service(
    name="ecommunautes",
    title="E-communautés",
    blueprint=bp,
    home_endpoint="ecommunautes.communities",
    tables=TABLES,
    on_login=ensure_demo_data,
)

create_app = app_factory(SERVICE)
