"""Compte, the identity provider: the application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

from idp.core import dates, malloc, sql_errors
from idp.core import extensions as ext
from idp.core.config import ROOT, finish_settings, load_settings
from idp.core.i18n import select_locale
from idp.core.request_log import RedactingFilter


def create_app(overrides: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build a Compte application. `overrides` win over every other setting (tests)."""
    # Before the threads serving requests allocate: two malloc arenas per process, not one
    # per thread (1.4 MB less per granian worker, idp/core/malloc.py).
    malloc.limit_arenas()
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

    # The areas are imported when an app is built, not when the package is: importing one
    # module of the foundation (idp.core.clock…) must not load every area.
    from idp import hsts, maintenance, models, operations, outage, proxies, web  # noqa: F401
    from idp.accounts import views as accounts_views
    from idp.admin import views as admin_views
    from idp.captcha import views as captcha_views
    from idp.federation import views as federation_views
    from idp.launcher import views as launcher_views
    from idp.mail import views as mail_views
    from idp.oidc import views as oidc_views

    # Through `ext.`: the subpackages idp.mail, idp.oidc… would shadow bare names here.
    ext.db.init_app(app)
    ext.login_manager.init_app(app)
    ext.csrf.init_app(app)
    ext.limiter.init_app(app)
    ext.babel.init_app(app, locale_selector=select_locale)
    dates.init_app(app)
    ext.mail.init_app(app)

    # Each area registers its blueprints and connects its signal receivers.
    for area in (
        accounts_views,
        federation_views,
        captcha_views,
        mail_views,
        oidc_views,
        launcher_views,
        admin_views,
    ):
        area.init_app(app)
    web.init_app(app)
    outage.init_app(app)
    maintenance.init_app(app)

    # WSGI layers, outermost installed last: trusted proxies (the client's real address
    # for everything inside) > HSTS > /healthz, /readyz, /metrics and request metrics.
    operations.install(app)
    hsts.install(app)
    proxies.install(app)
    return app
