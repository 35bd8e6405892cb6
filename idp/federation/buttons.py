"""The login and registration pages' "S’identifier avec …" buttons: a Jinja global,
`federation_providers()`, read by templates/federation/_buttons.html. The accounts pages
cannot import the federation (a lower layer): they call this global, which the federation
registers (idp/federation/views.py `init_app`)."""

from __future__ import annotations

from typing import NamedTuple

from flask import g, url_for

from idp.federation import providers


class ProviderButton(NamedTuple):
    """What a button needs: its kind picks the look (the State's two federations have
    their official button), the label names any other provider."""

    name: str
    kind: str
    label: str
    start_url: str


def federation_providers() -> list[ProviderButton]:
    """The enabled providers, by name, read once per request."""
    if "federation_buttons" not in g:
        g.federation_buttons = [
            ProviderButton(p.name, p.kind, p.label, url_for("federation.start", name=p.name))
            for p in providers.enabled_providers()
        ]
    return g.federation_buttons
