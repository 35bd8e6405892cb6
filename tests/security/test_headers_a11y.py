"""Security headers on every HTML page, no-store on account pages, and accessibility basics
(labels, one h1, lang, alt) on the main pages."""

from __future__ import annotations

import re

import pytest

from idp.core.extensions import db
from tests.security.helpers import (
    ADMIN_EMAIL,
    PASSWORD,
    USER_EMAIL,
    Page,
    make_account,
    signed_in,
)
from tests.support.factors import MFA, enrol_totp
from tests.support.forms import find_csrf

# Pages that show or take personal data: never kept by the browser or a proxy cache.
PRIVATE_PAGES = [
    ("anonymous", "/login"),
    ("anonymous", "/register"),
    ("anonymous", "/register/resend"),
    ("anonymous", "/password/forgot"),
    ("anonymous", "/password/reset/not-a-valid-token"),
    ("user", "/"),
    ("user", "/account"),
    ("user", "/account/emails"),
    ("user", "/account/password"),
    ("user", "/account/data"),
    ("user", "/account/security"),
    ("user", "/account/sessions"),
    ("user", "/account/security/totp"),
    ("user", "/account/security/email"),
    ("user", "/terms/accept"),
    ("admin", "/admin/"),
    ("admin", "/admin/users"),
    ("admin", "/admin/clients"),
    ("admin", "/admin/audit"),
]
MAIN_PAGES = [
    ("anonymous", "/login"),
    ("anonymous", "/register"),
    ("anonymous", "/password/forgot"),
    ("anonymous", "/register/resend"),
    ("user", "/"),
    ("user", "/account"),
    ("user", "/account/emails"),
    ("user", "/account/password"),
    ("user", "/account/security"),
    ("user", "/account/sessions"),
    ("user", "/account/security/totp"),
    ("user", "/account/security/email"),
]


@pytest.fixture
def settings(settings):
    return {**settings, "RATELIMIT_ENABLED": False, "EMAIL_CODE_FACTOR": True}


@pytest.fixture
def clients(app) -> dict:
    return {
        "anonymous": app.test_client(),
        "user": signed_in(app, make_account(app, USER_EMAIL)),
        "admin": signed_in(app, make_account(app, ADMIN_EMAIL, admin=True)),
    }


def _get_routes(app) -> list[str]:
    return sorted(
        r.rule
        for r in app.url_map.iter_rules()
        if "GET" in r.methods and not r.arguments and r.endpoint != "static"
    )


def test_every_html_page_sends_the_security_headers(app, clients):
    """Every HTML answer (pages and error pages, any role) has nosniff, a frame ban
    (X-Frame-Options or CSP frame-ancestors) and a Referrer-Policy."""
    missing = []
    seen = 0
    for role, client in clients.items():
        for path in [*_get_routes(app), "/no-such-page", "/admin/users/0"]:
            response = client.get(path)
            if "text/html" not in (response.content_type or ""):
                continue
            seen += 1
            headers = response.headers
            csp = headers.get("Content-Security-Policy", "")
            problems = [
                name
                for name, ok in (
                    ("nosniff", headers.get("X-Content-Type-Options") == "nosniff"),
                    (
                        "frame ban",
                        headers.get("X-Frame-Options") in ("DENY", "SAMEORIGIN")
                        or re.search(r"frame-ancestors\s+('none'|'self')", csp),
                    ),
                    ("Referrer-Policy", bool(headers.get("Referrer-Policy"))),
                    ("CSP without unsafe-inline", "unsafe-inline" not in csp and csp),
                )
                if not ok
            ]
            if problems:
                missing.append(f"{role} {path} ({response.status_code}): {problems}")
    assert seen > 20
    assert not missing, "\n".join(missing)


def test_account_pages_are_not_cached(clients):
    """Pages with personal data or forms (login, register, reset, profile, services, admin)
    send Cache-Control: no-store."""
    cached = []
    for role, path in PRIVATE_PAGES:
        response = clients[role].get(path)
        assert response.status_code < 500, path
        if "no-store" not in response.headers.get("Cache-Control", ""):
            cached.append(f"{role} {path}: {response.headers.get('Cache-Control')!r}")
    assert not cached, "\n".join(cached)


def _a11y_problems(html: str) -> list[str]:
    page = Page(html)
    problems = []
    if not page.html_lang:
        problems.append("<html> has no lang")
    if page.h1 != 1:
        problems.append(f"{page.h1} h1")
    for field in page.inputs:
        kind = field.get("type", "text" if field["tag"] == "input" else field["tag"]).lower()
        if field["tag"] == "button" or kind in ("hidden", "submit", "button", "reset", "image"):
            continue
        labelled = (
            field.get("id") in page.label_for
            or field.get("aria-label")
            or field.get("aria-labelledby")
            or field["in_label"]
        )
        if not labelled:
            problems.append(f"no label for {field['tag']} name={field.get('name')!r}")
    problems += [f"img without alt: {img.get('src')}" for img in page.images if "alt" not in img]
    return problems


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_main_pages_have_labels_one_h1_lang_and_alt(clients, lang):
    """Login, register, forgotten password, resend, services, profile, e-mails, password,
    security and its pages: every field has a label, one h1, html lang, every image an alt
    (French and English)."""
    problems = []
    for role, path in MAIN_PAGES:
        response = clients[role].get(path, headers={"Accept-Language": lang})
        assert response.status_code == 200, (role, path, response.status_code)
        problems += [f"{path}: {p}" for p in _a11y_problems(response.get_data(as_text=True))]
    assert not problems, "\n".join(problems)


def test_pages_after_a_failed_submit_keep_labels_and_tie_errors_to_fields(clients):
    """After a rejected login and registration, the page still passes the checks and each
    invalid field points to its message with aria-describedby."""

    client = clients["anonymous"]
    for path, data in (
        ("/login", {"identifier": "", "password": ""}),
        ("/register", {"email": "not-an-email", "password": "x"}),
        ("/password/forgot", {"email": "not-an-email"}),
    ):
        token = find_csrf(client.get(path).get_data(as_text=True))
        html = client.post(path, data={**data, "csrf_token": token}).get_data(as_text=True)
        assert not _a11y_problems(html), (path, _a11y_problems(html))
        invalid = [f for f in Page(html).inputs if f.get("aria-invalid") == "true"]
        assert invalid, f"{path}: no field marked aria-invalid"
        assert all(f.get("aria-describedby") for f in invalid), path


def test_second_factor_pages_pass_the_checks(app, clients):
    """The authenticator app's page after a wrong code (the field points to its message),
    and, for an account with an app, its removal, the recovery codes' page and the page
    that shows new codes: labels, one h1, lang, alt."""
    client = clients["user"]
    path = "/account/security/totp"
    token = find_csrf(client.get(path).get_data(as_text=True))
    html = client.post(path, data={"code": "12a", "csrf_token": token}).get_data(as_text=True)
    assert not _a11y_problems(html), _a11y_problems(html)
    invalid = [f for f in Page(html).inputs if f.get("aria-invalid") == "true"]
    assert invalid and all(f.get("aria-describedby") for f in invalid)

    account_id = make_account(app, "deux.etapes@compte.example")
    enrol_totp(app, account_id)
    client = signed_in(app, account_id, amr=MFA)
    pages = {
        p: client.get(p) for p in ("/account/security/totp/remove", "/account/security/recovery")
    }
    token = find_csrf(pages["/account/security/recovery"].get_data(as_text=True))
    pages["new codes"] = client.post("/account/security/recovery", data={"csrf_token": token})
    problems = []
    for name, response in pages.items():
        assert response.status_code == 200, (name, response.status_code)
        problems += [f"{name}: {p}" for p in _a11y_problems(response.get_data(as_text=True))]
    assert not problems, "\n".join(problems)


def test_the_sign_in_second_step_passes_the_checks(app):
    """/login/verify for each method (authenticator app, e-mail, recovery code), after a
    wrong code and with the captcha: labels, one h1, lang; the code field has its hint."""
    from idp.accounts.factors import recovery
    from idp.accounts.models import Account
    from idp.core.clock import utcnow
    from tests.support.factors import give_totp

    app.config["EMAIL_CODE_FACTOR"] = True
    account_id = make_account(app, "deux.etapes@compte.example")
    give_totp(app, account_id)
    with app.test_request_context():
        account = db.session.get(Account, account_id)
        account.email_factor_at = utcnow()
        recovery.generate(account)
        db.session.commit()
    client = app.test_client()
    token = find_csrf(client.get("/login").get_data(as_text=True))
    client.post(
        "/login",
        data={
            "csrf_token": token,
            "identifier": "deux.etapes@compte.example",
            "password": PASSWORD,
        },
    )
    problems = []
    for method in ("totp", "email", "recovery"):
        html = client.get(f"/login/verify?method={method}").get_data(as_text=True)
        problems += [f"{method}: {p}" for p in _a11y_problems(html)]
        code = [f for f in Page(html).inputs if f.get("name") == "code"]
        assert code and code[0].get("aria-describedby") == "code-hint", method
    for _ in range(3):  # wrong codes, then the captcha is asked
        html = client.post(
            "/login/verify?method=totp",
            data={"csrf_token": token, "method": "totp", "code": "000000"},
        ).get_data(as_text=True)
        problems += [f"wrong code: {p}" for p in _a11y_problems(html)]
    assert 'name="captcha_id"' in html and 'role="alert"' in html
    assert not problems, "\n".join(problems)
