"""Linking an upstream identity to the existing account that has its address — never
silently: with the account's password, or with a link mailed to it — and removing a link
from the security page, refused when it is the account's last way in."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.federation.helpers import CITIZEN_EMAIL, Browser, links_of, register_through
from tests.support.accounts import PASSWORD, account_by_email, events, make_account
from tests.support.forms import csrf_of
from tests.support.mail import links_in, wait_for_subject


def to_link_page(browser: Browser, provider: str, citizen):
    """Sign in at the upstream: our callback sends to the linking page, which opens."""
    back = browser.sign_in_with(provider, citizen)
    assert back.status_code == 302, back.text[:2000]
    assert urlsplit(back.headers["Location"]).path == f"/login/with/{provider}/link"
    page = browser.follow(back)
    assert page.status_code == 200
    return page


def test_linking_with_the_accounts_password(app, smtp_sink, browser, provider, citizen):
    """The address has an account: nothing is linked until its password is given; then the
    link is made (audited, mailed) and the person is signed in with both methods."""
    account_id = make_account(app, CITIZEN_EMAIL)
    page = to_link_page(browser, provider, citizen)
    assert "existe déjà" in page.text and CITIZEN_EMAIL in page.text
    assert links_of(app, account_id) == []
    done = browser.post(page.url, {"csrf_token": csrf_of(page.text), "password": PASSWORD})
    assert done.status_code == 302 and urlsplit(done.headers["Location"]).path == "/"
    assert browser.signed_in()
    assert len(links_of(app, account_id)) == 1
    assert events(app, "federation.linked")[-1].details == {"provider": provider, "via": "password"}
    assert events(app, "login.succeeded")[-1].details["amr"] == ["pwd", "fed"]
    mail = wait_for_subject(smtp_sink, CITIZEN_EMAIL, "Sécurité de votre compte")
    assert "FranceConnect" in mail.text


def test_a_wrong_password_links_nothing(app, browser, provider, citizen):
    """A wrong password: the page says so, nothing is linked, the failure is counted
    like a failed sign-in."""
    account_id = make_account(app, CITIZEN_EMAIL)
    page = to_link_page(browser, provider, citizen)
    wrong = browser.post(page.url, {"csrf_token": csrf_of(page.text), "password": "Pas-le-bon-1"})
    assert wrong.status_code == 200
    assert "Mot de passe incorrect" in wrong.text
    assert links_of(app, account_id) == []
    assert not browser.signed_in()
    assert events(app, "login.failed")[-1].details["reason"] == "bad_credentials"


def test_linking_with_a_mailed_link(app, smtp_sink, browser, provider, citizen):
    """ "Recevoir un lien par courriel": a single-use link reaches the account's address;
    its page's button makes the link and signs the person in; used again, it is refused."""
    account_id = make_account(app, CITIZEN_EMAIL)
    page = to_link_page(browser, provider, citizen)
    mail_form = page.text.split(f"/login/with/{provider}/link/mail")[1]
    sent = browser.post(f"/login/with/{provider}/link/mail", {"csrf_token": csrf_of(mail_form)})
    assert sent.status_code == 200 and "Vérifiez votre boîte mail" in sent.text
    assert links_of(app, account_id) == []  # not before the link is opened
    mail = wait_for_subject(smtp_sink, CITIZEN_EMAIL, "Confirmez la connexion")
    link = next(url for url in links_in(mail) if "/login/upstream-link/" in url)
    confirm = browser.http.get(link, allow_redirects=False)
    assert confirm.status_code == 200 and links_of(app, account_id) == []
    done = browser.http.post(
        link, data={"csrf_token": csrf_of(confirm.text)}, allow_redirects=False
    )
    assert done.status_code == 302 and urlsplit(done.headers["Location"]).path == "/"
    assert browser.signed_in() and len(links_of(app, account_id)) == 1
    assert events(app, "federation.linked")[-1].details["via"] == "mail"
    again = browser.http.post(
        link, data={"csrf_token": csrf_of(confirm.text)}, allow_redirects=False
    )
    assert again.status_code == 400 and "a déjà servi" in again.text


def security_page(browser: Browser):
    page = browser.get("/account/security")
    assert page.status_code == 200
    return page


def test_the_only_way_in_cannot_be_removed(app, browser, provider, citizen):
    """An account made through the provider, without a password: the security page lists
    the link without "Retirer", and a forged removal is refused with a clear message."""
    register_through(browser, provider, citizen)
    account = account_by_email(app, CITIZEN_EMAIL)
    link_id = links_of(app, account.id)[0]["id"]
    page = security_page(browser)
    assert "Connexions via un service externe" in page.text
    assert "seul moyen de vous connecter" in page.text
    refused = browser.post(
        f"/account/security/upstream/{link_id}/remove", {"csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 302
    after = browser.follow(refused)
    assert "Impossible de retirer la connexion via FranceConnect" in after.text
    assert len(links_of(app, account.id)) == 1
    assert events(app, "federation.unlinked") == []


def test_a_link_is_removed_when_a_password_remains(app, browser, provider, citizen):
    """With a password, "Retirer" removes the link (audited): the next upstream sign-in
    asks to link again."""
    account_id = make_account(app, CITIZEN_EMAIL)
    page = to_link_page(browser, provider, citizen)
    browser.post(page.url, {"csrf_token": csrf_of(page.text), "password": PASSWORD})
    link_id = links_of(app, account_id)[0]["id"]
    page = security_page(browser)
    assert f"/account/security/upstream/{link_id}/remove" in page.text
    removed = browser.post(
        f"/account/security/upstream/{link_id}/remove", {"csrf_token": csrf_of(page.text)}
    )
    assert "a été retirée" in browser.follow(removed).text
    assert links_of(app, account_id) == []
    assert events(app, "federation.unlinked")[-1].details == {"provider": provider}


def test_forgotten_password_gives_a_password_to_an_account_without_one(
    app, smtp_sink, live_server, browser, provider, citizen
):
    """An account made through the provider has no password (the login page refuses any);
    "Mot de passe oublié" sets one, after which the link may be removed."""
    register_through(browser, provider, citizen)
    other = Browser(live_server)
    refused = other.post_form("/login", {"identifier": CITIZEN_EMAIL, "password": "Nimporte-1"})
    assert refused.status_code == 200 and not other.signed_in()
    asked = other.post_form("/password/forgot", {"email": CITIZEN_EMAIL})
    assert asked.status_code == 200
    mail = wait_for_subject(smtp_sink, CITIZEN_EMAIL, "mot de passe")
    reset = next(url for url in links_in(mail) if "/password/reset/" in url)
    page = other.http.get(reset, allow_redirects=False)
    chosen = "Liberte-Egalite-2026"
    done = other.http.post(
        reset,
        data={"csrf_token": csrf_of(page.text), "new_password": chosen, "confirm": chosen},
        allow_redirects=False,
    )
    assert done.status_code == 302, done.text[:2000]
    signed = other.post_form("/login", {"identifier": CITIZEN_EMAIL, "password": chosen})
    assert signed.status_code == 302 and other.signed_in()
    link_id = links_of(app, account_by_email(app, CITIZEN_EMAIL).id)[0]["id"]
    assert f"/account/security/upstream/{link_id}/remove" in security_page(other).text


def _associate(browser: Browser, provider: str, citizen):
    """On the security page, "Associer <provider>", then the upstream's sign-in; returns our
    callback's answer (not followed)."""
    page = security_page(browser)
    assert f"/account/security/upstream/add/{provider}" in page.text
    sent = browser.post(
        f"/account/security/upstream/add/{provider}", {"csrf_token": csrf_of(page.text)}
    )
    assert sent.status_code == 302, sent.text[:1000]
    back = browser.at_upstream(sent, citizen)
    return browser.follow(back)


def test_a_signed_in_person_adds_the_provider_from_the_security_page(
    app, smtp_sink, browser, provider, citizen
):
    """ "Associer FranceConnect" while signed in with a password (another address than the
    provider's): the upstream identity is added to this account, audited and mailed, the
    security page lists it, and the provider then signs this account in."""
    account_id = make_account(app, "agent.martin@example.org")
    browser.post_form("/login", {"identifier": "agent.martin@example.org", "password": PASSWORD})
    done = _associate(browser, provider, citizen)
    assert done.status_code == 302
    assert urlsplit(done.headers["Location"]).path == "/account/security"
    assert "Vous pouvez maintenant vous connecter avec FranceConnect" in browser.follow(done).text
    assert len(links_of(app, account_id)) == 1
    assert events(app, "federation.linked")[-1].details == {
        "provider": provider,
        "via": "security_page",
    }
    assert (
        "FranceConnect" in wait_for_subject(smtp_sink, "agent.martin@example.org", "Sécurité").text
    )
    page = security_page(browser)
    assert f"/account/security/upstream/add/{provider}" not in page.text  # added already
    fresh = Browser(browser.ours)
    for cookie in browser.http.cookies:  # the upstream still knows the person
        if cookie.domain.startswith("localhost"):
            fresh.http.cookies.set_cookie(cookie)
    back = fresh.sign_in_with(provider, None)
    assert urlsplit(back.headers["Location"]).path == "/" and fresh.signed_in()
    assert account_by_email(app, "agent.martin@example.org").id == account_id


def test_an_identity_linked_to_another_account_is_not_added(app, live_server, provider, citizen):
    """The upstream identity already opens another account: "Associer" ends on a clear
    page (409, audited), and nothing moves."""
    first = Browser(live_server)
    register_through(first, provider, citizen)
    owner = account_by_email(app, CITIZEN_EMAIL)
    other_id = make_account(app, "autre.agent@example.org")
    other = Browser(live_server)
    other.post_form("/login", {"identifier": "autre.agent@example.org", "password": PASSWORD})
    refused = _associate(other, provider, citizen)
    assert refused.status_code == 409
    assert "déjà associée à un autre compte" in refused.text.replace("&#39;", "'")
    assert 'href="/account/security#connexions-externes"' in refused.text  # the way back
    assert events(app, "federation.failed")[-1].details == {
        "provider": provider,
        "reason": "already_linked",
    }
    assert links_of(app, other_id) == [] and len(links_of(app, owner.id)) == 1
