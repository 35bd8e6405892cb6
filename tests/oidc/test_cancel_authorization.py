"""The login page's "Revenir à <service> sans me connecter": the request is cancelled and
the service hears access_denied (what ProConnect asks of its identity providers)."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.oidc.conftest import REDIRECT_URI
from tests.oidc.helpers import authorize_params, pkce

BACK = re.compile(r'<p class="going-back"><a href="([^"]+)">([^<]+)</a>')


def _login_page(client, rp, **params):
    _verifier, challenge = pkce()
    query = urlencode(authorize_params(rp, challenge, state="s-42", **params))
    sent = client.get(f"/oauth/authorize?{query}")
    assert sent.status_code == 302 and "/login" in sent.headers["Location"]
    return client.get(sent.headers["Location"]).get_data(as_text=True)


def test_the_login_page_offers_to_go_back_and_the_service_hears_access_denied(app, client, rp):
    """The link names the service; following it redirects to the service's redirect URI
    with error=access_denied, its state and Compte's iss."""
    found = BACK.search(_login_page(client, rp))
    assert found, "no way back to the service on the login page"
    assert html.unescape(found.group(2)) == "Revenir à Formadist sans me connecter"
    back = client.get(html.unescape(found.group(1)))
    assert back.status_code == 302
    location = urlsplit(back.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert params["error"] == "access_denied"
    assert (params["state"], params["iss"]) == ("s-42", app.config["ISSUER"])


def test_going_back_honours_form_post(client, rp):
    """With response_mode=form_post the refusal is an auto-submitted form to the service."""
    found = BACK.search(_login_page(client, rp, response_mode="form_post"))
    back = client.get(html.unescape(found.group(1)))
    page = back.get_data(as_text=True)
    assert back.status_code == 200
    assert f'action="{REDIRECT_URI}"' in page
    assert 'name="error" value="access_denied"' in page


def test_a_cancel_for_an_unregistered_redirect_uri_sends_nowhere(client, rp):
    """A forged cancel naming another redirect URI gets Compte's error page, no redirect."""
    query = urlencode(authorize_params(rp, pkce()[1], redirect_uri="https://evil.example/cb"))
    answer = client.get(f"/oauth/authorize/cancel?{query}")
    assert answer.status_code == 400
    assert "Location" not in answer.headers
    page = answer.get_data(as_text=True)
    assert 'href="https://evil.example' not in page and 'action="https://evil' not in page


def test_no_way_back_without_a_pending_request(client):
    """The plain login page names no service and offers no way back."""
    assert 'class="going-back"' not in client.get("/login").get_data(as_text=True)
