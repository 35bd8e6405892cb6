"""SIRET numbers: 14 digits, the SIREN (9, the company) then the NIC (5, the establishment),
the whole checked by the Luhn formula (INSEE).

One known exception: La Poste (SIREN 356 000 000) has more establishments than the Luhn
key leaves numbers for, so the SIRET of its establishments only has digits summing to a
multiple of 5 (INSEE; the rule every SIRET checker applies).
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

SIRET_LENGTH = 14
SIREN_LENGTH = 9
LA_POSTE_SIREN = "356000000"
# What a person may type around the digits ("130 025 265 00013", "130-025-265-00013").
_SEPARATORS = re.compile(r"[\s.\-]")

SIRET_LENGTH_WRONG = _l("Un SIRET compte 14 chiffres (exemple : 130 025 265 00013).")
SIRET_CHECK_WRONG = _l(
    "Ce SIRET n’existe pas : un chiffre est erroné (sa clé de contrôle ne correspond pas)."
)


def normalise(text: str | None) -> str:
    """The SIRET as stored: the digits typed, without spaces, dots or dashes."""
    return _SEPARATORS.sub("", text or "")


def luhn_valid(digits: str) -> bool:
    """The Luhn check: every second digit from the right doubled (9 taken off above 9),
    the sum a multiple of 10."""
    total = 0
    for position, character in enumerate(reversed(digits)):
        value = int(character)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def problem(siret: str) -> str | None:
    """None when `siret` (normalised) is a valid SIRET, else what is wrong, in words."""
    if len(siret) != SIRET_LENGTH or not siret.isascii() or not siret.isdigit():
        return str(SIRET_LENGTH_WRONG)
    if luhn_valid(siret):
        return None
    if siret.startswith(LA_POSTE_SIREN) and sum(int(c) for c in siret) % 5 == 0:
        return None
    return str(SIRET_CHECK_WRONG)


def siren_of(siret: str) -> str:
    """The SIREN (the company) of a SIRET: its first 9 digits."""
    return siret[:SIREN_LENGTH]
