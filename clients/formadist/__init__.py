"""Formadist: the training platform (seed 000), a relying party of Compte."""

from __future__ import annotations

from clients.common import Service, app_factory
from clients.formadist.models import TABLES, ensure_demo_data
from clients.formadist.views import bp

SERVICE = Service(
    name="formadist",
    title="Formadist",
    blueprint=bp,
    home_endpoint="formadist.parcours",
    tables=TABLES,
    on_login=ensure_demo_data,
)

create_app = app_factory(SERVICE)
