"""The captcha audio, spoken in French with the `captcha` package's AudioCaptcha.

The voice (idp/captcha/voices/fr, made by scripts/make-captcha-voices) has one folder per
character. The audio says a short French intro, the characters slowly, then "Je répète."
and the characters again, so that a blind person can follow and check what they typed.
"""

from __future__ import annotations

import secrets
import wave
from functools import lru_cache
from pathlib import Path

from captcha.audio import (
    BEEP,
    END_BEEP,
    WAVE_SAMPLE_RATE,
    AudioCaptcha,
    change_sound,
    create_silence,
    mix_wave,
    patch_wave_header,
)

VOICE_DIR = Path(__file__).resolve().parent / "voices" / "fr"


def _read(path: Path) -> bytearray:
    with wave.open(str(path)) as file:
        return bytearray(file.readframes(file.getnframes()))


def _pause(low: float, high: float) -> int:
    """A random pause, in samples: random gaps make the characters harder to cut out."""
    return int(WAVE_SAMPLE_RATE * low) + secrets.randbelow(int(WAVE_SAMPLE_RATE * (high - low)))


class FrenchAudioCaptcha(AudioCaptcha):
    """AudioCaptcha with the French voice, spoken phrases and a quieter background."""

    def __init__(self, voicedir: Path = VOICE_DIR) -> None:
        super().__init__(voicedir=str(voicedir))
        self.phrases = {
            name: _read(voicedir / f"{name}.wav") for name in ("intro", "repeat", "end")
        }

    def _noise_pick(self) -> bytearray:
        # The package's babble of reversed voices, kept but quieter (level 0.05 to 0.15).
        voice = bytearray(reversed(secrets.choice(self._cache[secrets.choice(self.choices)])))
        return change_sound(voice, (secrets.randbelow(11) + 5) / 100.0)

    def create_background_noise(self, length: int, chars: str) -> bytearray:
        # As the package's, with the white noise drawn in one call instead of per sample.
        noise = bytearray(126 + (byte & 3) for byte in secrets.token_bytes(length))
        pos = 0
        while pos < length:
            sound = self._noise_pick()
            end = pos + len(sound) + 1
            noise[pos:end] = mix_wave(sound, noise[pos:end])
            pos = end + secrets.randbelow(WAVE_SAMPLE_RATE // 10 + 1)
        return noise[:length]

    def _spell(self, chars: str) -> bytearray:
        voices = [self._twist_pick(c) for c in chars]
        gaps = [_pause(0.9, 1.5) for _ in chars]
        length = sum(len(v) for v in voices) + sum(gaps) + WAVE_SAMPLE_RATE // 2
        body = self.create_background_noise(length, chars)
        pos = WAVE_SAMPLE_RATE // 2
        for voice, gap in zip(voices, gaps, strict=True):
            end = pos + len(voice)
            body[pos:end] = mix_wave(voice, body[pos:end])
            pos = end + gap
        return body

    def create_wave_body(self, chars: str) -> bytearray:
        pause = create_silence(WAVE_SAMPLE_RATE // 2)
        return (
            self.phrases["intro"]
            + pause
            + BEEP
            + self._spell(chars)
            + self.phrases["repeat"]
            + self._spell(chars)
            + self.phrases["end"]
            + pause
            + END_BEEP
        )


@lru_cache(maxsize=1)
def _generator() -> FrenchAudioCaptcha:
    generator = FrenchAudioCaptcha()
    generator.load()
    return generator


def render_audio(text: str) -> bytes:
    """A WAV (8 kHz, mono, 8-bit) saying `text` in French."""
    return bytes(patch_wave_header(_generator().create_wave_body(text.upper())))
