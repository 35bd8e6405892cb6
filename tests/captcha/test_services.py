"""Captcha challenges: single use, expiry, case, storage (real database)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from idp import create_app
from idp.captcha import services
from idp.captcha.models import CaptchaChallenge
from idp.core.clock import utcnow
from idp.core.extensions import db

ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ23456789"


def test_new_challenge_uses_the_alphabet_and_length(app, captcha_answers):
    """A challenge has CAPTCHA_LENGTH characters of CAPTCHA_ALPHABET, told to the observer."""
    with app.app_context():
        ids = [services.new_challenge() for _ in range(20)]
        assert len(set(ids)) == 20
        for challenge_id in ids:
            text = captcha_answers[challenge_id]
            assert len(text) == app.config["CAPTCHA_LENGTH"] == 5
            assert set(text) <= set(ALPHABET)
            assert services.challenge_text(challenge_id) == text
        assert len({captcha_answers[i] for i in ids}) > 15


def test_right_answer_is_accepted_once_only(app, captcha_answers):
    """The right characters pass once; the same answer again is refused."""
    with app.app_context():
        challenge_id = services.new_challenge()
        answer = captcha_answers[challenge_id]
        assert services.verify(challenge_id, answer) is True
        assert services.verify(challenge_id, answer) is False


def test_wrong_answer_uses_the_challenge_up(app, captcha_answers):
    """A wrong attempt consumes the challenge: the right answer after it is refused."""
    with app.app_context():
        challenge_id = services.new_challenge()
        wrong = "AAAAA" if captcha_answers[challenge_id] != "AAAAA" else "BBBBB"
        assert services.verify(challenge_id, wrong) is False
        assert services.verify(challenge_id, captcha_answers[challenge_id]) is False
        assert services.state(challenge_id) is None


def test_expired_challenge_is_refused(app, captcha_answers):
    """A challenge older than CAPTCHA_MAX_AGE is refused even with the right answer."""
    with app.app_context():
        challenge_id = services.new_challenge()
        challenge = db.session.get(CaptchaChallenge, challenge_id)
        assert challenge.expires_at - challenge.created_at == timedelta(seconds=600)
        challenge.created_at = utcnow() - timedelta(seconds=700)
        challenge.expires_at = utcnow() - timedelta(seconds=100)
        db.session.commit()
        assert services.state(challenge_id) == services.EXPIRED
        assert services.verify(challenge_id, captcha_answers[challenge_id]) is False


def test_answers_ignore_case_and_spaces(app, captcha_answers):
    """Lower-case and spaced answers are accepted: 'k 7m p3' matches 'K7MP3'."""
    with app.app_context():
        challenge_id = services.new_challenge()
        typed = " ".join(captcha_answers[challenge_id].lower())
        assert services.verify(challenge_id, f"  {typed} ") is True


def test_unknown_or_empty_ids_are_refused(app):
    """Unknown, empty or absurd ids are refused without error."""
    with app.app_context():
        for bad in (None, "", "nope", "x" * 500, "é/../"):
            assert services.verify(bad, "ABCDE") is False
            assert services.state(bad) is None
            assert services.redeem(bad) is False


def test_only_an_hmac_of_the_answer_is_stored(app, captcha_answers):
    """The table holds an HMAC keyed by SECRET_KEY, never the characters themselves."""
    with app.app_context():
        challenge_id = services.new_challenge()
        text = captcha_answers[challenge_id]
        row = db.session.get(CaptchaChallenge, challenge_id)
        assert text not in row.answer_hash and len(row.answer_hash) == 64
        stored = db.session.execute(select(CaptchaChallenge.answer_hash)).scalar_one()
        app.config["SECRET_KEY"] = "another-secret"
        assert services._answer_hash(challenge_id, text) != stored


def test_solved_challenge_is_redeemed_once(app, captcha_answers):
    """After the right answer the form may be accepted once (redeem), never twice."""
    with app.app_context():
        challenge_id = services.new_challenge()
        assert services.redeem(challenge_id) is False  # not solved yet
        assert services.verify(challenge_id, captcha_answers[challenge_id])
        assert services.state(challenge_id) == services.SOLVED
        assert services.redeem(challenge_id) is True
        assert services.redeem(challenge_id) is False
        assert services.state(challenge_id) is None


def test_discard_retires_a_pending_challenge(app, captcha_answers):
    """A challenge replaced by new characters can no longer be answered."""
    with app.app_context():
        challenge_id = services.new_challenge()
        services.discard(challenge_id)
        assert services.verify(challenge_id, captcha_answers[challenge_id]) is False


def test_purge_removes_expired_challenges_only(app):
    """purge_expired() deletes expired challenges and keeps the others."""
    with app.app_context():
        old, fresh = services.new_challenge(), services.new_challenge()
        db.session.get(CaptchaChallenge, old).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert services.purge_expired() == 1
        db.session.commit()
        assert db.session.get(CaptchaChallenge, old) is None
        assert db.session.get(CaptchaChallenge, fresh) is not None


def test_no_observer_unless_tests_install_one(settings, tmp_path):
    """A freshly created app has no answer observer: only test code installs one."""
    application = create_app(settings, instance_path=str(tmp_path / "other"))
    assert services.OBSERVER_KEY not in application.extensions
    with application.app_context():
        db.create_all()
        assert services.new_challenge()
        db.session.remove()
        db.engine.dispose()
