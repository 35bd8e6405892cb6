"""Upstream identity providers through the admin pages (HTTP, CSRF, real database, audit),
and what the login and registration pages then offer."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from idp.audit.models import AuditEvent
from idp.core.extensions import db
from idp.federation import providers
from idp.federation.models import UpstreamLink
from tests.admin.conftest import csrf_token

FC_PRODUCTION = "https://oidc.franceconnect.gouv.fr/api/v2"
FC_FORM = re.compile(r'<form method="get" action="/login/with/franceconnect">(.*?)</form>', re.S)
FC_SCOPE = "openid given_name family_name birthdate gender birthplace birthcountry email"
FORM = {
    "kind": "franceconnect",
    "name": "franceconnect",
    "label": "",
    "issuer": "",
    "client_id": "compte-fc-client",
    "client_secret": "fc-secret-never-shown-again",
    "scope": "",
    "acr_values": "",
    "enabled": "y",
}


def post_form(client, url: str, data: dict, page_url: str | None = None):
    page = client.get(page_url or url)
    assert page.status_code == 200, page.status_code
    return client.post(url, data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))})


def events(app, event_type: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.type == event_type)))


def make_provider(app, name: str = "intranet", **kwargs) -> None:
    fields = {"issuer": "https://idp.example.org", "client_id": "compte", "client_secret": "s"}
    with app.app_context():
        providers.create(name=name, **{**fields, **kwargs})


def link_accounts(app, make_account, name: str, count: int) -> None:
    """`count` accounts linked to the provider `name`."""
    ids = [make_account(f"personne{i}@exemple.fr") for i in range(count)]
    with app.app_context():
        provider = providers.get(name)
        for i, account_id in enumerate(ids):
            db.session.add(
                UpstreamLink(provider_id=provider.id, account_id=account_id, subject=f"sub-{i}")
            )
        db.session.commit()


def field_error(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', html, re.S)
    assert match, html[:3000]
    return html_lib.unescape(match.group(1))


def test_anonymous_and_non_admins_are_kept_out(app, client, user_client):
    """The provider pages send anonymous visitors to the login page and refuse (403) an
    account without the admin role, pages and actions alike."""
    make_provider(app)
    for url in ("/admin/providers", "/admin/providers/new", "/admin/providers/intranet"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert user_client.get(url).status_code == 403
    token = csrf_token(user_client.get("/").get_data(as_text=True))
    response = user_client.post("/admin/providers/intranet/disable", data={"csrf_token": token})
    assert response.status_code == 403
    with app.app_context():
        assert providers.get("intranet").enabled is True


def test_menu_names_the_providers_page(admin_client):
    """The admin menu has "Fournisseurs d’identité"; the empty list says what it is for."""
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/providers"' in html and "Fournisseurs d’identité" in html
    listing = admin_client.get("/admin/providers").get_data(as_text=True)
    assert "Aucun fournisseur d’identité" in listing


def test_prefill_fills_the_kinds_defaults_and_saves_nothing(app, admin_client):
    """ "Préremplir" with ProConnect chosen fills its label, production issuer, scope and
    acr, keeps what was typed, and saves nothing."""
    data = {**FORM, "kind": "proconnect", "name": "proconnect", "prefill": "Préremplir"}
    response = post_form(admin_client, "/admin/providers/new", data)
    assert response.status_code == 200
    html = html_lib.unescape(response.get_data(as_text=True))
    assert 'value="ProConnect"' in html
    assert 'value="https://auth.agentconnect.gouv.fr/api/v2"' in html
    assert 'value="openid email given_name usual_name uid siret"' in html
    assert 'value="eidas1"' in html
    assert 'value="compte-fc-client"' in html  # typed, kept
    assert "fc-secret-never-shown-again" not in html  # a password field is never echoed
    with app.app_context():
        assert providers.listed() == []


def test_add_franceconnect_with_defaults_then_the_addresses_to_register(app, admin_client):
    """FranceConnect added with its optional fields empty gets its kind's defaults; the next
    page shows the redirect_uri and post_logout_redirect_uri to register at FranceConnect;
    the secret is sealed, never shown, and the addition is audited with its author."""
    response = post_form(admin_client, "/admin/providers/new", FORM)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/providers/franceconnect/addresses")
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    issuer = app.config["ISSUER"]
    assert f'value="{issuer}/login/with/franceconnect/callback"' in page
    assert 'id="post_logout_redirect_uri"' in page
    assert "compte-fc-client" in page
    with app.app_context():
        provider = providers.get("franceconnect")
        assert (provider.kind, provider.label, provider.issuer) == (
            "franceconnect",
            "FranceConnect",
            FC_PRODUCTION,
        )
        assert (provider.scope, provider.acr_values) == (FC_SCOPE, "eidas1")
        assert "fc-secret-never-shown-again" not in (provider.client_secret_sealed or "")
        assert providers.client_secret(provider) == "fc-secret-never-shown-again"
    for url in ("/admin/providers", "/admin/providers/franceconnect"):
        assert "fc-secret-never-shown-again" not in admin_client.get(url).get_data(as_text=True)
    added = events(app, "provider.added")
    assert len(added) == 1 and added[0].actor_id is not None
    assert "fc-secret" not in str(added[0].details)


@pytest.mark.parametrize(
    ("change", "field_id", "message"),
    [
        ({"issuer": "http://idp.example.org"}, "issuer", "https://"),
        ({"kind": "oidc", "issuer": ""}, "issuer", "https://"),
        ({"name": "France Connect"}, "name", "minuscules"),
        ({"scope": "email profile"}, "scope", "openid"),
        ({"client_id": ""}, "client_id", "client_id"),
    ],
)
def test_bad_input_gets_a_message_next_to_its_field(app, admin_client, change, field_id, message):
    """A setting the service refuses is shown next to its field, in French, with the
    summary at the top; nothing is saved and what was typed is kept."""
    response = post_form(admin_client, "/admin/providers/new", {**FORM, **change})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in field_error(html, field_id)
    assert "Le formulaire contient des erreurs" in html
    assert f"{field_id}-error" in html and 'aria-invalid="true"' in html
    with app.app_context():
        assert providers.listed() == []


def test_a_taken_name_is_refused(app, admin_client):
    """A second provider with the same short name is refused next to the name."""
    make_provider(app, name="franceconnect")
    response = post_form(admin_client, "/admin/providers/new", FORM)
    assert "porte déjà ce nom" in field_error(response.get_data(as_text=True), "name")


def test_edit_keeps_the_secret_when_left_empty(app, admin_client):
    """The edit page shows the settings but never the secret; saving with the secret left
    empty keeps it, the changes are audited, then the addresses page follows."""
    make_provider(app, kind="franceconnect", name="franceconnect", client_secret="old-secret")
    url = "/admin/providers/franceconnect"
    page = admin_client.get(url).get_data(as_text=True)
    assert "old-secret" not in page
    assert 'value="compte"' in page and "/login/with/franceconnect/callback" in page
    data = {**FORM, "label": "FranceConnect (intégration)", "client_secret": ""}
    data["issuer"] = "https://fcp-low.integ01.dev-franceconnect.fr/api/v2"
    data["scope"], data["acr_values"] = FC_SCOPE, "eidas1"
    response = post_form(admin_client, url, data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/addresses")
    with app.app_context():
        provider = providers.get("franceconnect")
        assert provider.label == "FranceConnect (intégration)"
        assert provider.client_id == "compte-fc-client"
        assert providers.client_secret(provider) == "old-secret"
    (updated,) = events(app, "provider.updated")
    assert updated.actor_id is not None
    assert "client_secret" not in updated.details["changed"]


def test_disable_and_enable(app, admin_client):
    """ "Désactiver" takes the provider off the login page and says the links are kept;
    "Réactiver" puts it back; both are audited."""
    make_provider(app)
    page = admin_client.get("/admin/providers/intranet").get_data(as_text=True)
    token = csrf_token(page)
    response = admin_client.post(
        "/admin/providers/intranet/disable", data={"csrf_token": token}, follow_redirects=True
    )
    assert "n’est plus proposé" in response.get_data(as_text=True)
    with app.app_context():
        assert providers.get("intranet").enabled is False
    response = admin_client.post(
        "/admin/providers/intranet/enable", data={"csrf_token": token}, follow_redirects=True
    )
    assert "de nouveau proposé" in response.get_data(as_text=True)
    with app.app_context():
        assert providers.get("intranet").enabled is True
    assert len(events(app, "provider.disabled")) == len(events(app, "provider.enabled")) == 1
    # Without the CSRF token nothing happens.
    assert admin_client.post("/admin/providers/intranet/disable").status_code == 400


def test_list_counts_linked_accounts_and_delete_says_who_loses_the_link(
    app, admin_client, make_account
):
    """The list shows each provider's linked accounts; the delete page says how many
    accounts lose their link; confirming removes the provider and the links, audited."""
    make_provider(app)
    link_accounts(app, make_account, "intranet", 2)
    listing = admin_client.get("/admin/providers").get_data(as_text=True)
    row = re.search(r"<tr>.*?intranet.*?</tr>", listing, re.S).group(0)
    assert "<td>2</td>" in row and "https://idp.example.org" in row
    page = admin_client.get("/admin/providers/intranet/delete").get_data(as_text=True)
    assert "2 comptes perdent leur lien" in page
    response = post_form(admin_client, "/admin/providers/intranet/delete", {})
    assert response.status_code == 302
    with app.app_context():
        assert providers.get("intranet") is None
        assert db.session.scalar(db.select(db.func.count()).select_from(UpstreamLink)) == 0
    (removed,) = events(app, "provider.removed")
    assert removed.actor_id is not None


def test_unknown_provider_is_404(admin_client):
    """A provider that does not exist: 404 on every page."""
    for url in ("/admin/providers/nope", "/admin/providers/nope/addresses"):
        assert admin_client.get(url).status_code == 404


# --- What the login and registration pages offer --------------------------------------


def login_page(client, next_url: str | None = None) -> str:
    query = {"next": next_url} if next_url else {}
    response = client.get("/login", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_enabled_franceconnect_gets_the_state_s_button_on_the_login_page(app, client):
    """FranceConnect enabled: the DSFR's published button ("S’identifier avec
    FranceConnect") in a GET form to its start route carrying `next`, its "Qu’est-ce que
    FranceConnect ?" link opening a new window and saying so, then "ou", and the DSFR's
    stylesheet; the stylesheet and its logo are served."""
    make_provider(app, name="franceconnect", kind="franceconnect")
    pending = "/oauth/authorize?client_id=formadist&response_type=code"
    html = login_page(client, pending)
    form = re.search(
        r'<form method="get" action="/login/with/franceconnect">(.*?)</form>', html, re.S
    )
    assert form, html[:4000]
    inside = form.group(1)
    assert f'<input type="hidden" name="next" value="{html_lib.escape(pending)}">' in inside
    assert (
        '<button type="submit" class="fr-connect"><span class="fr-connect__login">'
        "S’identifier avec</span> <span "
        'class="fr-connect__brand">FranceConnect</span></button>'
    ) in inside
    assert (
        '<a href="https://franceconnect.gouv.fr/" target="_blank" rel="noopener" '
        'title="Qu’est-ce que FranceConnect ? - nouvelle fenêtre">'
        "Qu’est-ce que FranceConnect ?</a>"
    ) in inside
    assert '<p class="federation-or">ou</p>' in html
    # Above the password form.
    assert html.index("fr-connect") < html.index('name="password"')
    assert "/static/vendor/dsfr/connect.css" in html
    css = client.get("/static/vendor/dsfr/connect.css")
    assert css.status_code == 200 and b'url("franceconnect.svg")' in css.data
    logo = client.get("/static/vendor/dsfr/franceconnect.svg")
    assert logo.status_code == 200 and logo.mimetype == "image/svg+xml"


def test_proconnect_and_any_other_provider_have_their_own_button(app, client):
    """ProConnect wears the DSFR's ProConnect button; any other provider a plain
    "Se connecter avec <label>" button. Without `next`, none is carried."""
    make_provider(app, name="proconnect", kind="proconnect")
    make_provider(app, name="intranet", label="Intranet du ministère")
    html = login_page(client)
    assert 'class="fr-connect fr-connect--pro"' in html
    assert 'class="fr-connect__brand">ProConnect</span>' in html
    assert 'title="Qu’est-ce que ProConnect ? - nouvelle fenêtre"' in html
    assert re.search(
        r'<form method="get" action="/login/with/intranet">\s*<button type="submit" '
        r'class="button secondary federation-other">Se connecter avec Intranet du ministère'
        r"</button>",
        html,
    )
    assert 'name="next"' not in re.search(r'class="federation-login">.*?</ul>', html, re.S)[0]


def test_no_enabled_provider_means_no_button_no_separator(app, client):
    """With no provider, or only a disabled one, the login and registration pages show no
    button, no "ou", and load no DSFR stylesheet."""
    for page in (login_page(client), client.get("/register").get_data(as_text=True)):
        assert "fr-connect" not in page and "federation-or" not in page
    make_provider(app, name="franceconnect", kind="franceconnect", enabled=False)
    for page in (login_page(client), client.get("/register").get_data(as_text=True)):
        assert "fr-connect" not in page and "federation-or" not in page
        assert "vendor/dsfr" not in page


def test_the_registration_page_offers_the_buttons_too(app, client):
    """The registration's first step offers to create the account with FranceConnect,
    above its form, carrying `next`."""
    make_provider(app, name="franceconnect", kind="franceconnect")
    html = client.get("/register", query_string={"next": "/account/"}).get_data(as_text=True)
    assert "créez votre compte avec l’un de ces services" in html
    form = re.search(
        r'<form method="get" action="/login/with/franceconnect">(.*?)</form>', html, re.S
    )
    assert '<input type="hidden" name="next" value="/account/">' in form.group(1)
    assert html.index("fr-connect") < html.index('name="email"')
