"""Captcha image, French audio and "new characters" over the app's routes."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from datetime import timedelta

import pytest

from idp.captcha import services
from idp.captcha.audio import VOICE_DIR, FrenchAudioCaptcha
from idp.captcha.models import CaptchaChallenge
from idp.core.clock import utcnow
from idp.core.extensions import db
from tests.captcha.conftest import FORM_URL, csrf_in

ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ23456789"


def _challenge(app) -> str:
    with app.app_context():
        return services.new_challenge()


def test_image_is_a_png_not_cached(app, client):
    """A fresh challenge's image is a PNG sent with Cache-Control: no-store."""
    challenge_id = _challenge(app)
    response = client.get(f"/captcha/{challenge_id}.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert response.headers["Cache-Control"] == "no-store"


def test_audio_is_a_wav_in_the_french_voice(app, client):
    """The audio is a valid 8 kHz mono 8-bit WAV starting with the French spoken intro."""
    challenge_id = _challenge(app)
    response = client.get(f"/captcha/{challenge_id}.wav")
    assert response.status_code == 200
    assert response.mimetype == "audio/wav"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data[:4] == b"RIFF" and response.data[8:12] == b"WAVE"
    with wave.open(io.BytesIO(response.data)) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 1)
        frames = audio.readframes(audio.getnframes())
        seconds = audio.getnframes() / 8000
    intro = FrenchAudioCaptcha().phrases["intro"]
    assert frames.startswith(bytes(intro))  # "Recopiez les caractères suivants."
    # Intro, five characters said twice with pauses of about a second: well over 12 s.
    assert 12 < seconds < 40


def test_audio_says_the_challenge_characters(app, captcha_answers):
    """The audio is built from the voice recordings of exactly the challenge's characters."""
    generator = FrenchAudioCaptcha()
    generator.load()
    spoken: list[str] = []
    original = generator._twist_pick

    def remember(char):
        spoken.append(char)
        return original(char)

    generator._twist_pick = remember
    challenge_id = _challenge(app)
    generator.create_wave_body(captcha_answers[challenge_id])
    assert "".join(spoken) == captcha_answers[challenge_id] * 2


def test_french_voice_covers_the_alphabet_in_the_package_format():
    """Every character of the alphabet has French recordings in 8 kHz mono 8-bit PCM."""
    assert set(ALPHABET) <= set(FrenchAudioCaptcha().choices)
    for folder in [VOICE_DIR / c for c in ALPHABET]:
        files = sorted(folder.glob("*.wav"))
        assert files, folder
        for path in files:
            with wave.open(str(path)) as audio:
                assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (
                    8000,
                    1,
                    1,
                )
                assert 0.1 < audio.getnframes() / 8000 < 1.5, path
    total = sum(p.stat().st_size for p in VOICE_DIR.rglob("*") if p.is_file())
    assert total < 1_000_000


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed")
def test_sox_reads_the_composed_audio(app, client, tmp_path):
    """sox recognises the served audio as 8-bit unsigned PCM WAV of the right length."""
    challenge_id = _challenge(app)
    path = tmp_path / "captcha.wav"
    path.write_bytes(client.get(f"/captcha/{challenge_id}.wav").data)
    info = subprocess.run(["sox", "--i", str(path)], capture_output=True, text=True, check=True)
    assert "8-bit Unsigned Integer PCM" in info.stdout
    assert "Sample Rate    : 8000" in info.stdout


def test_unknown_used_or_expired_ids_answer_404(app, client, captcha_answers):
    """Unknown, already answered or odd ids give a 404 (never an image, never a 500)."""
    used, expired = _challenge(app), _challenge(app)
    with app.app_context():
        services.verify(used, captcha_answers[used])
        db.session.get(CaptchaChallenge, expired).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    for challenge_id in ("nope", used, expired, "x" * 300, "%C3%A9t%C3%A9"):
        for extension in ("png", "wav"):
            response = client.get(f"/captcha/{challenge_id}.{extension}")
            assert response.status_code == 404, (challenge_id, extension)
            assert not response.data.startswith((b"\x89PNG", b"RIFF"))


def test_new_characters_need_the_csrf_header(form_app, client, captcha_answers):
    """POST /captcha/new refuses a request without the X-CSRFToken header."""
    client.get(FORM_URL)
    assert client.post("/captcha/new", json={}).status_code == 400


def test_new_characters_give_a_new_id_and_retire_the_old(form_app, client, captcha_answers):
    """With the CSRF header, /captcha/new returns a different id and its media URLs."""
    page = client.get(FORM_URL).get_data(as_text=True)
    old = captcha_answers.latest()
    response = client.post(
        "/captcha/new", json={"previous": old}, headers={"X-CSRFToken": csrf_in(page)}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["id"] != old and body["id"] in captcha_answers
    assert body["image"] == f"/captcha/{body['id']}.png"
    assert body["audio"] == f"/captcha/{body['id']}.wav"
    assert client.get(body["image"]).status_code == 200
    assert client.get(f"/captcha/{old}.png").status_code == 404
