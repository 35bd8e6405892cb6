"""Password policy: configurable rules, one clear message each. Knows nothing of Flask.

Messages are French literals marked with N_ (Babel extracts them); the caller translates
them with gettext when it shows them. The same rule keys are implemented in
static/js/accounts-policy.js for the live checklist; the server is the authority.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["POLICIES", "Rule", "check", "fold", "name_parts", "rules", "statuses"]


def N_(message: str) -> str:  # noqa: N802 - Babel's conventional marker name
    """Mark a string for translation without translating it here."""
    return message


Context = Mapping[str, str]
# Name parts shorter than this are ignored ("Li", "Al"): refusing every password that
# contains "li" would reject half of the dictionary and teach nothing.
MIN_NAME_PART = 3


@dataclass(frozen=True)
class Rule:
    """One rule: `key` (shared with the JavaScript checklist), `param`, French `message`."""

    key: str
    message: str
    test: Callable[[str, Context], bool] = field(compare=False)
    param: int | None = None


def fold(text: str) -> str:
    """Case- and accent-insensitive form: "Élodie" -> "elodie"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def name_parts(*names: str) -> list[str]:
    """Folded parts of the names worth checking ("Jean-Pierre" -> ["jean", "pierre"])."""
    parts: list[str] = []
    for name in names:
        for part in re.split(r"[^\w]+|_", fold(name or "")):
            if len(part) >= MIN_NAME_PART and part not in parts:
                parts.append(part)
    return parts


def _letters(password: str) -> int:
    return sum(1 for c in password if c.isalpha())


def _digits(password: str) -> int:
    return sum(1 for c in password if c.isdecimal())


def _classes(password: str) -> int:
    """How many of the classes upper / lower / digit / special the password uses."""
    upper = any(unicodedata.category(c) == "Lu" for c in password)
    lower = any(unicodedata.category(c) == "Ll" for c in password)
    digit = any(c.isdecimal() for c in password)
    special = any(not c.isalnum() for c in password)
    return sum((upper, lower, digit, special))


def min_length(n: int, message: str) -> Rule:
    return Rule("min_length", message, lambda p, _c: len(p) >= n, n)


def non_letter(message: str) -> Rule:
    return Rule("non_letter", message, lambda p, _c: any(not c.isalpha() for c in p))


def upper(message: str) -> Rule:
    return Rule("upper", message, lambda p, _c: any(unicodedata.category(c) == "Lu" for c in p))


def min_letters(n: int, message: str) -> Rule:
    return Rule("min_letters", message, lambda p, _c: _letters(p) >= n, n)


def min_digits(n: int, message: str) -> Rule:
    return Rule("min_digits", message, lambda p, _c: _digits(p) >= n, n)


def min_classes(n: int, message: str) -> Rule:
    return Rule("min_classes", message, lambda p, _c: _classes(p) >= n, n)


def _no_name(password: str, context: Context) -> bool:
    folded = fold(password)
    names = (context.get("given_name", ""), context.get("family_name", ""))
    names += (context.get("birth_name", ""),)
    return not any(part in folded for part in name_parts(*names))


def no_name(message: str) -> Rule:
    return Rule("no_name", message, _no_name)


POLICIES: dict[str, tuple[Rule, ...]] = {
    # Seed 000 (CNFPT).
    "cnfpt": (
        min_length(8, N_("Au moins 8 caractères")),
        non_letter(
            N_("Au moins un caractère qui n'est pas une lettre (chiffre, caractère spécial)")
        ),
        upper(N_("Au moins une lettre majuscule")),
        no_name(N_("Ne contient ni votre prénom ni votre nom")),
    ),
    # Seed 004 (CPF).
    "cpf": (
        min_letters(5, N_("Au moins 5 lettres")),
        min_digits(3, N_("Au moins 3 chiffres")),
        min_classes(
            3,
            N_(
                "Au moins 3 types de caractères parmi : majuscules, minuscules, chiffres, "
                "caractères spéciaux"
            ),
        ),
    ),
}


def rules(policy: str) -> list[Rule]:
    """The rules of a policy preset; unknown names raise KeyError (a configuration error)."""
    return list(POLICIES[policy])


def statuses(
    password: str, *, policy: str, given_name: str = "", family_name: str = "", birth_name: str = ""
) -> list[tuple[Rule, bool]]:
    """Each rule with whether `password` meets it (for the server-side checklist)."""
    password = unicodedata.normalize("NFC", password or "")
    context = {"given_name": given_name, "family_name": family_name, "birth_name": birth_name}
    return [(rule, rule.test(password, context)) for rule in rules(policy)]


def check(
    password: str, *, policy: str, given_name: str = "", family_name: str = "", birth_name: str = ""
) -> list[str]:
    """Messages of the rules `password` does not meet; an empty list means it is accepted."""
    results = statuses(
        password,
        policy=policy,
        given_name=given_name,
        family_name=family_name,
        birth_name=birth_name,
    )
    return [rule.message for rule, ok in results if not ok]
