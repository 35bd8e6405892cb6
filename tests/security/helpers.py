"""Shared helpers of the security sweep: accounts, signed-in clients, CSRF tokens, forms."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote

from flask import Flask

from idp.accounts.services import create_account
from idp.core.extensions import db
from tests.support import sessions
from tests.support.forms import find_csrf

PASSWORD = "Sweep-Compte-2026!"
USER_EMAIL = "agent@compte.example"
ADMIN_EMAIL = "admin@compte.example"


def signed_in(app: Flask, account_id: int, amr: list[str] | None = None):
    """A test client signed in as the account (with the methods `amr`): administrators
    with two factors by default, as ADMIN_REQUIRE_MFA asks, so that the sweep reaches
    their pages."""
    from idp.accounts.models import Account

    if amr is None:
        with app.app_context():
            admin = db.session.get(Account, account_id).is_admin
        amr = sessions.TWO_FACTORS if admin else ["pwd"]
    return sessions.signed_in(app, account_id, amr)


def make_account(app: Flask, email: str, *, admin: bool = False, confirmed: bool = True) -> int:
    """A confirmed account with the terms accepted; returns its id."""
    with app.app_context():
        account = create_account(
            email=email,
            password=PASSWORD,
            given_name="Ivan",
            family_name="Martin",
            confirmed=confirmed,
            terms_version=app.config.get("TERMS_VERSION"),
        )
        account.is_admin = admin
        db.session.commit()
        return account.id


# State-changing routes: the sweeps run them last, the fuzzers never (a logout or a lock
# would blind the rest of the run).
DESTRUCTIVE = re.compile(r"delete|revoke|logout|lock|disable|rotate")


def seed_site(app: Flask) -> dict:
    """An ordinary account, an admin, a victim account, a client, an invitation, a token."""
    from idp.admin.invitations import create_invitation
    from idp.oidc.client_registration_endpoints import issue_initial_access_token
    from idp.oidc.clients import create_client

    ids = {
        "user": make_account(app, USER_EMAIL),
        "admin": make_account(app, ADMIN_EMAIL, admin=True),
        "victim": make_account(app, "victim@compte.example"),
        "pending": make_account(app, "pending@compte.example", confirmed=False),
    }
    with app.app_context():
        client, _secret = create_client(
            "Formadist", redirect_uris=["https://rp.example/callback"], first_party=True
        )
        db.session.commit()
        ids["client_id"] = client.client_id
        invitation, _token = create_invitation(
            email="invited@compte.example", client_id=client.client_id
        )
        db.session.flush()
        ids["invitation"] = invitation.id
        row, _plain = issue_initial_access_token(None)
        ids["token_id"] = row.id
        db.session.commit()
    return ids


def _real_value(name: str, converter: str, seeded: dict) -> str:
    if converter == "IntegerConverter":
        if "invitation" in name:
            return str(seeded["invitation"])
        if "token" in name:
            return str(seeded["token_id"])
        if name == "step":
            return "2"
        return str(seeded["victim"])
    if name == "client_id":
        return seeded["client_id"]
    if name == "filename":
        return "compte.css"
    return "x"


def real_values(rule, seeded: dict) -> dict[str, str]:
    """Values of the rule's converters that name seeded rows."""
    return {
        name: _real_value(name, type(conv).__name__, seeded)
        for name, conv in rule._converters.items()
    }


def fill_path(rule, values: dict[str, str]) -> str:
    """The rule's path with its converters replaced by `values` (URL-quoted)."""

    def replace(match: re.Match) -> str:
        return quote(values[match.group(2)], safe="")

    return re.sub(r"<(?:([\w]+)(?:\([^)]*\))?:)?(\w+)>", replace, rule.rule)


def sweep_settings(settings: dict) -> dict:
    """Settings of the sweeps and fuzzers: no rate limits (thousands of requests from one
    address); mails go nowhere (no SMTP server listens on MAIL_PORT) so that the mailbox
    page stays small."""
    from tests.support.servers import free_port

    return {
        **settings,
        "RATELIMIT_ENABLED": False,
        "MAILBOX_PAGE": True,
        "MAIL_PORT": free_port(),
    }


def csrf_for(client) -> str:
    """A valid CSRF token for this client's session (read from a page that has a form)."""
    for path in ("/login", "/password/forgot", "/account"):
        token = find_csrf(client.get(path).get_data(as_text=True))
        if token:
            return token
    raise AssertionError("no page gave a CSRF token")


class Page(HTMLParser):
    """A small DOM summary of an HTML page: forms and their fields, labels, headings."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.inputs: list[dict] = []  # every input/select/textarea with its attributes
        self.label_for: set[str] = set()
        self.h1 = 0
        self.html_lang: str | None = None
        self.images: list[dict] = []
        self._label_depth = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = {name: (value or "") for name, value in attrs}
        if tag == "html":
            self.html_lang = attributes.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "img":
            self.images.append(attributes)
        elif tag == "label":
            self._label_depth += 1
            if attributes.get("for"):
                self.label_for.add(attributes["for"])
        elif tag == "form":
            self.forms.append({**attributes, "fields": []})
        if tag in ("input", "select", "textarea", "button"):
            field = {"tag": tag, "in_label": self._label_depth > 0, **attributes}
            self.inputs.append(field)
            if self.forms:
                self.forms[-1]["fields"].append(field)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._label_depth:
            self._label_depth -= 1

    def post_forms(self) -> list[dict]:
        return [f for f in self.forms if f.get("method", "get").lower() == "post"]
