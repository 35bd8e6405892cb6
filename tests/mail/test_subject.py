"""Subjects with accents and guillemets reach the reader exactly as written: no space lost
where the header is folded (Python's own encoders lost the one before "«")."""

from __future__ import annotations

import email
from email import policy

import pytest
from flask_mail import Message

from idp.mail.smtp import encoded_subject

SUBJECTS = [
    "Sécurité de votre compte : clé d'accès « Ordinateur du bureau » ajoutée",
    "Sécurité de votre compte : application d'authentification ajoutée, codes de secours créés",
    "Réinitialisation de votre mot de passe",
    "Votre code de connexion",
    "é" * 90,
]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_a_subject_reads_back_as_written(app, subject):
    """The sent message's Subject, read by a mail library, is the subject written; every
    header line stays within 78 characters."""
    with app.app_context():
        raw = Message(
            subject=encoded_subject(subject), recipients=["ivan@example.org"], body="x"
        ).as_bytes()
    assert email.message_from_bytes(raw, policy=policy.default)["Subject"] == subject
    assert max(len(line) for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n")) <= 78
