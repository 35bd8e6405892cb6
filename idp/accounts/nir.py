"""French social security number (NIR): normalise and check. Knows nothing of Flask.

Layout (15 characters): sex (1) · year (2) · month (2) · department (2, "2A"/"2B" for
Corsica) · commune (3) · order (3) · key (2). key = 97 − (13-digit number mod 97), where
Corsica's 2A counts as 19 and 2B as 18. Messages are French literals marked with N_;
the caller translates them.

The sex digit and the birth year and month come from the civil status, so they must agree
with the civility and birth date a person types (`disagreement`). Odd digits are men's
(1; 3 in the former numbers of people born abroad; 7 in temporary numbers, the NIA), even
ones women's (2, 4, 8). A month of 20 to 42 or 50 to 99 stands for a month the civil status
did not give: it agrees with any birth date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

__all__ = [
    "Disagreement",
    "compute_key",
    "disagreement",
    "format_nir",
    "is_valid",
    "normalise",
    "validate",
]


def N_(message: str) -> str:  # noqa: N802 - Babel's conventional marker name
    """Mark a string for translation without translating it here."""
    return message


# 1 / 2: men / women; 3: people born abroad awaiting a number; 4: temporary numbers;
# 7 / 8: temporary numbers of foreign workers (NIA).
FIRST_DIGITS = "123478"
_SHAPE = re.compile(r"^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}$")
_SEPARATORS = re.compile(r"[\s.\-_/]+")


def normalise(value: str) -> str:
    """Spaces, dots, dashes removed, upper-case: "2 55 08 2a 168 025 38" -> "255082A16802538"."""
    return _SEPARATORS.sub("", value or "").upper()


def compute_key(first13: str) -> int:
    """The 2-digit key of the first 13 characters (Corsica: 2A -> 19, 2B -> 18)."""
    digits = first13.upper()
    digits = digits[:5] + digits[5:7].replace("2A", "19").replace("2B", "18") + digits[7:]
    return 97 - int(digits) % 97


def validate(value: str) -> str | None:
    """None when `value` is a valid NIR, else a clear French message saying what is wrong."""
    nir = normalise(value)
    if not nir:
        return N_("Saisissez votre numéro de sécurité sociale.")
    if len(nir) != 15:
        return N_(
            "Le numéro de sécurité sociale compte 15 caractères : 13 chiffres puis la clé "
            "de 2 chiffres."
        )
    if not _SHAPE.match(nir):
        return N_(
            "Le numéro de sécurité sociale ne contient que des chiffres (et 2A ou 2B pour "
            "un département de Corse)."
        )
    if nir[0] not in FIRST_DIGITS:
        return N_("Le numéro de sécurité sociale commence par 1 (homme) ou 2 (femme).")
    month = int(nir[3:5])
    if month == 0 or 13 <= month <= 19:
        return N_("Les chiffres 4 et 5 (mois de naissance) ne sont pas valides.")
    if compute_key(nir[:13]) != int(nir[13:]):
        return N_(
            "La clé (les 2 derniers chiffres) ne correspond pas au numéro : vérifiez chaque "
            "chiffre."
        )
    return None


def is_valid(value: str) -> bool:
    return validate(value) is None


def format_nir(nir: str) -> str:
    """Readable grouping: "2 55 08 14 168 025 38"."""
    n = normalise(nir)
    return " ".join((n[0], n[1:3], n[3:5], n[5:7], n[7:10], n[10:13], n[13:15]))


MEN_DIGITS = "137"
WOMEN_DIGITS = "248"


@dataclass(frozen=True)
class Disagreement:
    """Which typed field the NIR contradicts ("civility" or "birthdate"), the French
    message (N_-marked), and what the NIR says: its first digit, the birth year (in full,
    the most recent one the two digits allow) and month (0 when it does not say)."""

    field: str
    message: str
    digit: str
    year: int
    month: int


def _full_year(two_digits: str, today: date) -> int:
    year = 2000 + int(two_digits)
    return year if year <= today.year else year - 100


def disagreement(
    nir: str, civility: str | None, birthdate: date | None, today: date | None = None
) -> Disagreement | None:
    """The first contradiction between a valid NIR and the civility ("mme" / "m") and birth
    date typed with it, or None. Missing values contradict nothing."""
    nir = normalise(nir)
    year, month = _full_year(nir[1:3], today or date.today()), int(nir[3:5])
    month = month if 1 <= month <= 12 else 0
    said = {"digit": nir[0], "year": year, "month": month}
    if civility in ("m", "mme"):
        if civility == "mme" and nir[0] in MEN_DIGITS:
            return Disagreement(
                "civility",
                N_(
                    "Le numéro de sécurité sociale est celui d'un homme (il commence par "
                    "%(digit)s), mais la civilité choisie est « Madame » : vérifiez l'un ou "
                    "l'autre."
                ),
                **said,
            )
        if civility == "m" and nir[0] in WOMEN_DIGITS:
            return Disagreement(
                "civility",
                N_(
                    "Le numéro de sécurité sociale est celui d'une femme (il commence par "
                    "%(digit)s), mais la civilité choisie est « Monsieur » : vérifiez l'un ou "
                    "l'autre."
                ),
                **said,
            )
    if birthdate is None:
        return None
    if year % 100 != birthdate.year % 100:
        return Disagreement(
            "birthdate",
            N_(
                "Le numéro de sécurité sociale indique une naissance en %(nir_year)s, mais la "
                "date de naissance saisie est le %(birthdate)s : vérifiez l'un ou l'autre."
            ),
            **said,
        )
    if month and month != birthdate.month:
        return Disagreement(
            "birthdate",
            N_(
                "Le numéro de sécurité sociale indique une naissance en %(nir_month)s, mais la "
                "date de naissance saisie est le %(birthdate)s : vérifiez l'un ou l'autre."
            ),
            **said,
        )
    return None
