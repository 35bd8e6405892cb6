"""Terms of use: the current text, acceptance recorded at registration, and a new version
asked at the next login (then back to where the person was going)."""

from __future__ import annotations

from html import unescape
from urllib.parse import parse_qs, urlsplit

from idp.accounts.models import Account, TermsAcceptance
from idp.accounts.services import create_account
from idp.audit.models import AuditEvent
from idp.core.extensions import db
from tests.support.accounts import login
from tests.support.captcha import record_captcha_answers
from tests.support.forms import EMAIL, csrf_of
from tests.support.mail import wait_for_mail
from tests.support.registration import register

PASSWORD = "Formation#2026"


def make_account(app, terms_version: str | None = "2026-01") -> None:
    with app.app_context():
        create_account(
            email=EMAIL,
            password=PASSWORD,
            given_name="Ivan",
            family_name="Pierre",
            confirmed=True,
            terms_version=terms_version,
        )
        db.session.commit()


def publish(app, tmp_path, version: str, text: str) -> None:
    """Publish a new version of the terms (a new file, a new TERMS_VERSION)."""
    folder = tmp_path / "terms"
    folder.mkdir(exist_ok=True)
    (folder / f"{version}.fr.md").write_text(text, encoding="utf-8")
    app.config.update(TERMS_DIR=str(folder), TERMS_VERSION=version)


def test_terms_page_shows_the_current_version(client):
    """/terms renders the versioned text (headings, lists) with its version number."""
    page = client.get("/terms").get_data(as_text=True)
    assert "<h1" in page and "Conditions générales d&#39;utilisation" in page
    assert "Version 2026-01" in page
    assert "<h2>1. Le compte</h2>" in page and "<strong>personnel</strong>" in page


def test_terms_in_english(client):
    """The English text is served when the browser asks for English."""
    page = client.get("/terms", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Terms of use" in page and "<h2>1. The account</h2>" in page


def test_terms_text_is_escaped(app, client, tmp_path):
    """HTML in a terms file is shown as text, never executed."""
    publish(app, tmp_path, "2026-09", "# Titre\n\nUn <script>alert(1)</script> **gras**\n")
    page = client.get("/terms").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert "<strong>gras</strong>" in page


def test_registration_records_the_accepted_version(app, client, smtp_sink):
    """The account keeps the version and time it accepted, with a TermsAcceptance row."""
    answers = record_captcha_answers(app)
    register(client, answers)
    wait_for_mail(smtp_sink, EMAIL)
    with app.app_context():
        account = db.session.scalar(db.select(Account).where(Account.email == EMAIL))
        assert account.terms_version == "2026-01" and account.terms_accepted_at is not None
        rows = db.session.scalars(db.select(TermsAcceptance)).all()
        assert [(r.account_id, r.version) for r in rows] == [(account.id, "2026-01")]


def test_registration_requires_accepting_the_terms(app, client):
    """Without the box ticked the form is refused with a message next to it."""
    answers = record_captcha_answers(app)
    response = register(client, answers, accept_terms="")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Vous devez accepter les conditions d'utilisation." in unescape(page)


def test_new_version_is_asked_at_next_login(app, client, tmp_path):
    """After a new version is published, the next login leads to the acceptance page;
    accepting records it and continues to where the person was going."""
    make_account(app)
    publish(app, tmp_path, "2026-02", "# Conditions v2\n\nNouvelle règle importante.\n")
    response = login(client, EMAIL, PASSWORD)
    assert response.status_code == 302
    response = client.get("/account")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/terms/accept" and parse_qs(location.query)["next"] == ["/account"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nouvelle règle importante." in page and "2026-01" in page and "2026-02" in page

    response = client.post(
        "/terms/accept?next=%2Faccount",
        data={"csrf_token": csrf_of(page), "next": "/account", "accept_terms": "y"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert client.get("/").status_code == 200
    with app.app_context():
        account = db.session.scalar(db.select(Account).where(Account.email == EMAIL))
        assert account.terms_version == "2026-02"
        versions = db.session.scalars(
            db.select(TermsAcceptance.version).where(TermsAcceptance.account_id == account.id)
        ).all()
        assert versions == ["2026-02"]
        assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.type == "terms.accepted"))


def test_acceptance_is_required_and_pages_stay_reachable(app, client, tmp_path):
    """Refusing to tick keeps the person on the page; terms and logout stay reachable."""
    make_account(app)
    publish(app, tmp_path, "2026-02", "# Conditions v2\n\nTexte.\n")
    login(client, EMAIL, PASSWORD)
    page = client.get("/terms/accept").get_data(as_text=True)
    response = client.post("/terms/accept", data={"csrf_token": csrf_of(page), "next": "/"})
    assert response.status_code == 400
    assert client.get("/terms").status_code == 200
    assert client.get("/").status_code == 302


def test_next_is_only_a_local_path(app, client, tmp_path):
    """An external `next` is ignored: acceptance lands on "Mes services"."""
    make_account(app)
    publish(app, tmp_path, "2026-02", "# Conditions v2\n\nTexte.\n")
    login(client, EMAIL, PASSWORD)
    page = client.get("/terms/accept?next=https://evil.example/").get_data(as_text=True)
    assert "evil.example" not in page
    response = client.post(
        "/terms/accept",
        data={"csrf_token": csrf_of(page), "next": "https://evil.example/", "accept_terms": "y"},
    )
    assert response.headers["Location"] == "/"


def test_accounts_without_any_acceptance_are_not_blocked_by_default(app, client):
    """Accounts created by an operator (no version) are asked only with
    TERMS_ASK_UNVERSIONED; by default they go straight to their services."""
    make_account(app, terms_version=None)
    login(client, EMAIL, PASSWORD)
    assert client.get("/").status_code == 200
    app.config["TERMS_ASK_UNVERSIONED"] = True
    assert "/terms/accept" in client.get("/").headers["Location"]
