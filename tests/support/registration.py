"""Registration helpers shared by the registration, terms, steady-pace and browser tests:
fill the form like a person, follow the confirmation link, a launcher service, an invitation."""

from __future__ import annotations

from urllib.parse import urlsplit

from idp.core.extensions import db
from tests.support.captcha import captcha_fields
from tests.support.forms import csrf_of, person
from tests.support.mail import links_in


def register(client, answers, path: str = "/register", **overrides):
    """Open the form, fill it like a person (captcha solved), submit it."""
    page = client.get(path).get_data(as_text=True)
    data = {**person(**overrides), "csrf_token": csrf_of(page), **captcha_fields(answers, page)}
    return client.post(path, data=data)


def confirm_link(mail) -> str:
    return next(link for link in links_in(mail) if "/register/confirm/" in link)


def path_of(url: str) -> str:
    """The path (and query) of an absolute link, for the test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def add_service(app, name: str, url: str, description: str) -> None:
    from idp.launcher.services import set_entry
    from idp.oidc.clients import create_client

    with app.app_context():
        client, _ = create_client(name=name, redirect_uris=[url + "/callback"], first_party=True)
        set_entry(client.client_id, name=name, url=url, description=description)
        db.session.commit()


INVITED = "agent.invite@yopmail.com"


def invite(app) -> str:
    from idp.admin.invitations import create_invitation
    from idp.launcher.services import entries_for

    add_service(app, "Formadist", "https://formadist.example", "Formation à distance")
    with app.app_context():
        client_id = entries_for(None)[0].client_id
        _invitation, token = create_invitation(
            email=INVITED,
            client_id=client_id,
            civility="mme",
            given_name="Ivana",
            family_name="Petrova",
        )
        db.session.commit()
    return token
