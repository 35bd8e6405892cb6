"""Recovery codes: ten single-use codes kept as digests, counted on "Sécurité", replaced on
demand, each use mailed."""

from __future__ import annotations

import re
from urllib.parse import unquote

import sqlalchemy as sa

from idp.accounts.factors import recovery
from idp.accounts.models import Account
from idp.core.extensions import db
from idp.mail.worker import ensure_started
from tests.support.accounts import events, make_account, post_form
from tests.support.factors import MFA, at_once, enrol_totp, recovery_codes_on, seen
from tests.support.mail import mails_to, wait_for_mail
from tests.support.sessions import signed_in

EMAIL = "ivan@example.org"
PAGE = "/account/security/recovery"


def _generate(app, account_id: int) -> list[str]:
    with app.app_context():
        codes = recovery.generate(db.session.get(Account, account_id))
        db.session.commit()
        return codes


def _use(app, account_id: int, code: str) -> bool:
    ensure_started(app)  # the mail worker a serving process starts at its first request
    with app.test_request_context():  # as in the sign-in step: the mail links to the site
        used = recovery.use(db.session.get(Account, account_id), code)
        db.session.commit()
        return used


def test_codes_are_ten_easy_to_type_codes_kept_as_digests(app):
    """Ten distinct "xxxxx-xxxxx" codes without look-alike characters; the database keeps
    none of them in clear."""
    account_id = make_account(app)
    codes = _generate(app, account_id)
    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-hjkmnp-z2-9]{5}-[a-hjkmnp-z2-9]{5}", code) for code in codes)
    with app.app_context():
        stored = db.session.execute(sa.text("SELECT code_hash FROM recovery_code")).scalars()
        stored = " ".join(stored)
    for code in codes:
        assert code not in stored and recovery.normalise(code) not in stored


def test_each_code_works_once_however_it_is_typed(app, smtp_sink):
    """A code is accepted once, in capitals or with spaces instead of the dash; a second
    use, an unknown code or another account's code is refused."""
    account_id = make_account(app)
    other_id = make_account(app, email="lea@example.org")
    codes = _generate(app, account_id)
    other_codes = _generate(app, other_id)
    first, second = codes[0], codes[1]
    assert _use(app, account_id, first.upper().replace("-", " "))
    assert not _use(app, account_id, first)
    assert _use(app, account_id, f"  {second}  ")
    assert not _use(app, account_id, "abcde-fghjk")
    assert not _use(app, account_id, other_codes[0])
    assert not _use(app, account_id, "")
    with app.app_context():
        assert recovery.remaining(db.session.get(Account, account_id)) == 8


def test_using_a_code_is_mailed_and_recorded_with_how_many_are_left(app, smtp_sink):
    """The person is told by mail that a code was used and how many are left; the audit
    log says so too; the last one says none are left."""
    account_id = make_account(app)
    codes = _generate(app, account_id)
    assert _use(app, account_id, codes[0])
    mail = wait_for_mail(smtp_sink, EMAIL)
    assert "un code de secours a été utilisé, il vous en reste 9" in mail.text
    assert [e.details["remaining"] for e in events(app, "factor.recovery_used")] == [9]
    for code in codes[1:]:
        assert _use(app, account_id, code)
    last = wait_for_mail(smtp_sink, EMAIL, count=10)
    assert "il ne vous en reste plus" in last.text


def test_two_parallel_requests_cannot_both_use_one_code(app, smtp_sink):
    """The same code sent twice at once: exactly one request accepts it, one mail."""
    account_id = make_account(app)
    code = _generate(app, account_id)[0]
    results = at_once(app, account_id, lambda account: recovery.use(account, code))
    assert sorted(results) == [False, True]
    assert len(events(app, "factor.recovery_used")) == 1


def test_security_page_counts_the_codes_left(app, smtp_sink):
    """ "Sécurité" says how many codes are left, once another factor is there."""
    account_id = make_account(app)
    client = signed_in(app, account_id, amr=MFA)
    assert "Ils sont créés dès que vous ajoutez" in seen(client.get("/account/security"))
    enrol_totp(app, account_id)
    codes = _generate(app, account_id)
    _use(app, account_id, codes[0])
    assert "Il vous reste 9 codes de secours." in seen(client.get("/account/security"))
    assert "Il vous reste 9 codes de secours sur 10." in seen(client.get(PAGE))


def test_regenerating_replaces_the_old_set(app, smtp_sink):
    """New codes (shown once, with a .txt download) replace the old ones, which stop
    working; the change is recorded and mailed."""
    account_id = make_account(app)
    enrol_totp(app, account_id)
    old = _generate(app, account_id)
    client = signed_in(app, account_id, amr=MFA)
    shown = post_form(client, PAGE, {})
    assert shown.status_code == 200
    page = seen(shown)
    assert "ils ne seront plus jamais affichés" in page
    new = recovery_codes_on(page)
    assert len(new) == 10 and not set(new) & set(old)
    download = re.search(r'href="data:text/plain;charset=utf-8,([^"]+)" download="([^"]+)"', page)
    assert download and download.group(2) == "codes-de-secours.txt"
    assert all(code in unquote(download.group(1)) for code in new)
    assert not _use(app, account_id, old[1])
    assert _use(app, account_id, new[1])
    assert len(events(app, "factor.recovery_generated")) == 1
    wait_for_mail(smtp_sink, EMAIL, count=2)  # the new set, then the code used
    assert any("nouveaux codes de secours créés" in m.text for m in mails_to(smtp_sink, EMAIL))


def test_codes_need_another_factor_and_a_second_factor_session(app):
    """Without another factor the page sends back to "Sécurité"; with one, a session
    opened with the password alone is asked for a second factor first."""
    account_id = make_account(app)
    client = signed_in(app, account_id)
    alone = client.get(PAGE, follow_redirects=True)
    assert "complètent une autre méthode de vérification" in seen(alone)
    enrol_totp(app, account_id)
    response = client.get(PAGE)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/verify")
    posted = post_form(client, PAGE, {}, page="/account")
    assert posted.headers["Location"].endswith("/login/verify")
    assert not events(app, "factor.recovery_generated")
