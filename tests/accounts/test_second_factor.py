"""The sign-in's second step (/login/verify): asked after the right password of an account
with a second factor, never before; wrong codes throttled like wrong passwords (captcha,
pause, atomic counting); "Utiliser une autre méthode"; trusted browsers; /admin."""

from __future__ import annotations

import threading
import time
from html import unescape

import requests

from tests.support.accounts import PASSWORD, events, login, make_account
from tests.support.captcha import captcha_answers, captcha_fields  # noqa: F401  (fixture)
from tests.support.factors import code_at_step, give_totp
from tests.support.forms import csrf_of
from tests.support.sessions import TWO_FACTORS, signed_in

EMAIL = "ivan@example.org"


def text(response) -> str:
    """The page as a person reads it (entities such as &#39; read)."""
    return unescape(response.get_data(as_text=True))


def _second_step(client):
    """Sign in with the right password; returns the second step's page (checked)."""
    response = login(client, EMAIL, PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/login/verify"
    return client.get("/login/verify")


def _send_code(client, page, code: str, method: str = "totp", **extra):
    data = {"csrf_token": csrf_of(text(page)), "method": method, "code": code, **extra}
    return client.post(f"/login/verify?method={method}", data=data)


def test_the_password_alone_does_not_sign_in_an_account_with_a_second_factor(app, client):
    """Right password: the second step, the account not signed in meanwhile; the code then
    signs in and goes on to "Mes services"."""
    account_id = make_account(app)
    authenticator = give_totp(app, account_id)
    page = _second_step(client)
    html = text(page)
    assert "Vérification en deux étapes" in html
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    assert client.get("/account").status_code == 302  # not signed in yet
    done = _send_code(client, page, authenticator.now())
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert client.get("/account").status_code == 200
    with client.session_transaction() as session:
        assert session["amr"] == ["pwd", "otp", "totp", "mfa"]
    assert events(app, "login.succeeded")[-1].details["amr"] == ["pwd", "otp", "totp", "mfa"]


def test_a_wrong_code_is_refused_with_a_clear_message(app, client):
    """A wrong code: the step again, saying what to check; the failure is audited."""
    account_id = make_account(app)
    authenticator = give_totp(app, account_id)
    step = time.time() // 30
    page = _send_code(client, _second_step(client), code_at_step(authenticator, step - 5))
    assert page.status_code == 200
    assert "Ce code n'est pas valide" in text(page) and "l'heure de votre téléphone" in text(page)
    assert client.get("/account").status_code == 302
    assert len(events(app, "login.second_factor_failed")) == 1


def test_a_code_used_once_is_refused_the_second_time(app):
    """The same code cannot sign in twice (another browser, same 30 seconds)."""
    account_id = make_account(app)
    authenticator = give_totp(app, account_id)
    code = authenticator.now()
    first, second = app.test_client(), app.test_client()
    assert _send_code(first, _second_step(first), code).status_code == 302
    again = _send_code(second, _second_step(second), code)
    assert again.status_code == 200 and "Ce code n'est pas valide" in text(again)


def test_wrong_codes_bring_the_captcha_then_the_pause(app, client, captcha_answers):  # noqa: F811
    """After LOGIN_CAPTCHA_AFTER wrong codes the captcha is required (no code checked
    without it), then each failure imposes the pause, as for passwords."""
    app.config["LOGIN_FAILURE_DELAY"] = 1
    account_id = make_account(app)
    authenticator = give_totp(app, account_id)
    wrong = code_at_step(authenticator, time.time() // 30 - 10)
    page = _second_step(client)
    for _ in range(3):
        page = _send_code(client, page, wrong)
    assert 'name="captcha_id"' in text(page)
    # Without the captcha even the right code is not checked.
    page = _send_code(client, page, authenticator.now())
    assert 'name="captcha_id"' in text(page) and client.get("/account").status_code == 302
    assert len(events(app, "login.second_factor_failed")) == 3
    page = _send_code(client, page, wrong, **captcha_fields(captcha_answers, text(page)))
    early = _send_code(
        client, page, authenticator.now(), **captcha_fields(captcha_answers, text(page))
    )
    assert early.status_code == 429 and "Merci de patienter" in text(early)
    time.sleep(1.1)
    ok = _send_code(
        client, early, authenticator.now(), **captcha_fields(captcha_answers, text(early))
    )
    assert ok.status_code == 302 and client.get("/account").status_code == 200


def test_parallel_wrong_codes_do_not_slip_past_the_limit(app, live_server):
    """10 simultaneous wrong codes on one pending sign-in: at most 3 are checked."""
    account_id = make_account(app)
    authenticator = give_totp(app, account_id)
    browser = requests.Session()
    token = csrf_of(browser.get(f"{live_server}/login").text)
    browser.post(
        f"{live_server}/login",
        data={"csrf_token": token, "identifier": EMAIL, "password": PASSWORD},
    )
    token = csrf_of(browser.get(f"{live_server}/login/verify").text)
    wrong = code_at_step(authenticator, time.time() // 30 - 10)
    barrier = threading.Barrier(10)

    def guess() -> None:
        barrier.wait(20)
        browser.post(
            f"{live_server}/login/verify?method=totp",
            data={"csrf_token": token, "method": "totp", "code": wrong},
            allow_redirects=False,
        )

    threads = [threading.Thread(target=guess) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert 1 <= len(events(app, "login.second_factor_failed")) <= 3
    page = browser.get(f"{live_server}/login/verify").text
    assert 'name="captcha_id"' in page


def test_the_pending_sign_in_expires_with_a_new_password(app, client):
    """A password changed between the two steps cancels the pending sign-in."""
    from idp.accounts.models import Account
    from idp.core.extensions import db

    account_id = make_account(app)
    authenticator = give_totp(app, account_id)
    page = _second_step(client)
    with app.app_context():
        db.session.get(Account, account_id).session_epoch += 1
        db.session.commit()
    done = _send_code(client, page, authenticator.now())
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert client.get("/account").status_code == 302


def test_a_trusted_browser_skips_the_second_factor_when_the_setting_allows(app, client):
    """TRUSTED_BROWSER_DAYS=30: the choice is offered; once ticked, the next sign-in of
    that browser needs only the password (amr pwd); another browser still asks."""
    app.config["TRUSTED_BROWSER_DAYS"] = 30
    account_id = make_account(app)
    authenticator = give_totp(app, account_id)
    page = _second_step(client)
    assert "Faire confiance à cet appareil pendant 30 jours" in text(page)
    done = _send_code(client, page, authenticator.now(), trust="y")
    assert done.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_of(text(client.get("/account")))})
    again = login(client, EMAIL, PASSWORD)
    assert again.status_code == 302 and again.headers["Location"] == "/"
    with client.session_transaction() as session:
        assert session["amr"] == ["pwd"]
    other = app.test_client()
    assert login(other, EMAIL, PASSWORD).headers["Location"] == "/login/verify"


def test_no_trust_choice_by_default(app, client):
    """With the default settings the second step offers no "trust this device"."""
    account_id = make_account(app)
    give_totp(app, account_id)
    assert "Faire confiance" not in text(_second_step(client))


def test_admin_pages_ask_for_the_second_factor(app):
    """An administrator signed in with the password only is sent to the second step, then
    back to the admin page asked for."""
    from idp.accounts.models import Account
    from idp.core.extensions import db

    account_id = make_account(app)
    with app.app_context():
        db.session.get(Account, account_id).is_admin = True
        db.session.commit()
    authenticator = give_totp(app, account_id)
    browser = signed_in(app, account_id)
    first = browser.get("/admin/users")
    assert first.status_code == 302 and first.headers["Location"] == "/login/verify"
    page = browser.get("/login/verify")
    done = _send_code(browser, page, authenticator.now())
    assert done.status_code == 302 and done.headers["Location"] == "/admin/users"
    assert browser.get("/admin/users").status_code == 200


def test_an_admin_without_a_second_factor_is_led_to_enrol(app):
    """An administrator without any second factor is led to the security page first."""
    from idp.accounts.models import Account
    from idp.core.extensions import db

    account_id = make_account(app)
    with app.app_context():
        db.session.get(Account, account_id).is_admin = True
        db.session.commit()
    browser = signed_in(app, account_id)
    step = browser.get(browser.get("/admin/").headers["Location"])
    assert step.status_code == 302 and "/account/security?next=" in step.headers["Location"]
    assert signed_in(app, account_id, TWO_FACTORS).get("/admin/").status_code == 200


def test_admin_policy_can_be_turned_off(app):
    """ADMIN_REQUIRE_MFA=false: a password session reaches /admin."""
    from idp.accounts.models import Account
    from idp.core.extensions import db

    app.config["ADMIN_REQUIRE_MFA"] = False
    account_id = make_account(app)
    with app.app_context():
        db.session.get(Account, account_id).is_admin = True
        db.session.commit()
    assert signed_in(app, account_id).get("/admin/").status_code == 200


def test_the_last_recovery_code_leads_to_new_ones(app, client):
    """ "Utiliser une autre méthode" → a recovery code: it signs in once; the last one
    used, the person lands on the security page that offers new codes, then goes on."""
    from idp.accounts.factors import recovery
    from idp.accounts.models import Account
    from idp.core.extensions import db

    account_id = make_account(app)
    give_totp(app, account_id)
    with app.test_request_context():
        account = db.session.get(Account, account_id)
        codes = recovery.generate(account)
        db.session.commit()
        for code in codes[1:]:  # nine used already
            assert recovery.use(account, code)
        db.session.commit()
    page = _second_step(client)
    assert "Utiliser une autre méthode" in text(page) and "Code de secours" in text(page)
    page = client.get("/login/verify?method=recovery")
    assert "1 restant" in text(page)
    done = _send_code(client, page, codes[0].upper(), method="recovery")
    assert done.status_code == 302
    with client.session_transaction() as session:  # a recovery code: RFC 8176 "otp" alone
        assert session["amr"] == ["pwd", "otp", "mfa"]
    assert done.headers["Location"].startswith("/account/security?next=")
    security = text(client.get(done.headers["Location"]))
    assert "Il ne vous reste aucun code de secours." in security
    assert "Générer de nouveaux codes de secours" in security
    # A used code never works again (another browser; no code left, so none is offered).
    other = app.test_client()
    again = _send_code(other, _second_step(other), codes[0], method="recovery")
    assert again.status_code == 200 and "Ce code n'est pas valide" in text(again)
    assert other.get("/account").status_code == 302
