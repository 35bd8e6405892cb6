"""Compte, the identity provider: the application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

from idp.core import extensions as ext
from idp.core import sql_errors
from idp.core.config import ROOT, finish_settings, load_settings
from idp.core.i18n import select_locale
from idp.core.request_log import RedactingFilter

BLUEPRINT_MODULES = (
    "idp.accounts.views",
    "idp.captcha.views",
    "idp.mail.views",
    "idp.oidc.views",
    "idp.launcher.views",
    "idp.admin.views",
)


def create_app(overrides: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build a Compte application. `overrides` win over every other setting (tests)."""
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path or ROOT / "instance").resolve()),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(finish_settings(load_settings(overrides=overrides), Path(app.instance_path)))
    # SQL errors never print their parameters (idp/core/config.py), nor the values PostgreSQL
    # quotes in its own messages (here); Flask's error lines name no link token.
    sql_errors.install()
    if not any(isinstance(f, RedactingFilter) for f in app.logger.filters):
        app.logger.addFilter(RedactingFilter())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    from idp import models  # noqa: F401  (registers every table on the metadata)

    # Through `ext.`: the subpackages idp.mail, idp.oidc… would shadow bare names here.
    ext.db.init_app(app)
    ext.login_manager.init_app(app)
    ext.csrf.init_app(app)
    ext.limiter.init_app(app)
    ext.babel.init_app(app, locale_selector=select_locale)
    ext.mail.init_app(app)

    import importlib

    for module_name in BLUEPRINT_MODULES:
        module = importlib.import_module(module_name)
        module.init_app(app)

    from idp import maintenance, outage, web

    web.init_app(app)
    outage.init_app(app)
    maintenance.init_app(app)

    from idp import hsts, operations, proxies

    # WSGI layers, outermost installed last: trusted proxies (the client's real address
    # for everything inside) > HSTS > /healthz, /readyz, /metrics and request metrics.
    operations.install(app)
    hsts.install(app)
    proxies.install(app)
    return app
