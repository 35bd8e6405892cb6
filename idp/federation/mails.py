"""The federation's one mail: the signed, single-use link that confirms adding an upstream
sign-in to an existing account. Rendered from templates/federation/mail_link.* and queued
through the outbox like every account mail (idp/mail/outbox.py)."""

from __future__ import annotations

import json

from flask import current_app, render_template
from flask_babel import gettext as _

from idp.accounts import links
from idp.accounts.mails import human_duration
from idp.accounts.models import Account
from idp.core.sealing import seal
from idp.core.urls import external_url
from idp.federation.models import UpstreamProvider
from idp.mail.models import OutboxMessage
from idp.mail.outbox import queue_prepared

PURPOSE = "federation-link"


def max_age() -> int:
    return int(current_app.config["FEDERATION_LINK_MAX_AGE"])


def send_link(account: Account, provider: UpstreamProvider, draft_key: str) -> OutboxMessage:
    """Mail the link to the account's address: it names the identity waiting (its draft)
    and the account; it works once, for FEDERATION_LINK_MAX_AGE seconds. Commits."""
    token = links.make_token(PURPOSE, {"k": draft_key, "a": account.sub})
    context = {
        "account": account,
        "label": provider.label,
        "link": external_url("federation.link_by_mail", token=token),
        "validity": human_duration(max_age()),
    }
    body = {
        "text": render_template("federation/mail_link.txt", **context),
        "html": render_template("federation/mail_link.html", **context),
    }
    message = OutboxMessage(
        recipients=[account.email],
        subject=_("Confirmez la connexion via %(label)s", label=provider.label),
        template="federation_link",
        sealed_body=seal(json.dumps(body)),
    )
    return queue_prepared(message)
