"""Password policy: configurable rules, one clear message each. Knows nothing of Flask.

Messages are French literals marked with N_ (Babel extracts them); the caller translates
them with gettext when it shows them. The same rule keys are implemented in
static/js/accounts-policy.js for the live checklist; the server is the authority.

Every preset ends with `not_common`: the password is neither in the offline list of the
100,000 most used passwords (common_passwords.py, compared case-insensitively) nor, when
the deployment turns it on, known to Have I Been Pwned (the caller passes `breached`,
see pwned.py). That rule is `server_only`: the page cannot hold the list, so the live
checklist leaves it for the server to mark after a submit.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from idp.accounts.common_passwords import is_common

__all__ = [
    "POLICIES",
    "Breached",
    "Rule",
    "check",
    "failed",
    "fold",
    "name_parts",
    "not_common",
    "rules",
    "statuses",
]


def N_(message: str) -> str:  # noqa: N802 - Babel's conventional marker name
    """Mark a string for translation without translating it here."""
    return message


Context = Mapping[str, str]
# Asks a breach corpus whether a password is in it (pwned.py); False when it cannot tell.
Breached = Callable[[str], bool]
# Name parts shorter than this are ignored ("Li", "Al"): refusing every password that
# contains "li" would reject half of the dictionary and teach nothing.
MIN_NAME_PART = 3


@dataclass(frozen=True)
class Rule:
    """One rule: `key` (shared with the JavaScript checklist), `param`, French `message`
    (the checklist line). `refusal`, when set, is what a person is told when the rule is not
    met, where the checklist line alone would not say why; `server_only` rules are not
    checked by the page's script."""

    key: str
    message: str
    test: Callable[[str, Context], bool] = field(compare=False)
    param: int | None = None
    refusal: str = ""
    server_only: bool = False

    @property
    def error(self) -> str:
        """The message for a password that does not meet the rule."""
        return self.refusal or self.message


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


NOT_COMMON = "not_common"


def not_common() -> Rule:
    """Not among the passwords people use most (the offline list; the breach corpus is
    asked by statuses(), which alone receives `breached`)."""
    return Rule(
        NOT_COMMON,
        N_("Ne figure pas parmi les mots de passe les plus utilisés ou divulgués"),
        lambda p, _c: not is_common(p),
        refusal=N_(
            "Ce mot de passe figure parmi les plus utilisés ou divulgués : choisissez-en un autre."
        ),
        server_only=True,
    )


POLICIES: dict[str, tuple[Rule, ...]] = {
    # Seed 000 (CNFPT).
    "cnfpt": (
        min_length(8, N_("Au moins 8 caractères")),
        non_letter(
            N_("Au moins un caractère qui n'est pas une lettre (chiffre, caractère spécial)")
        ),
        upper(N_("Au moins une lettre majuscule")),
        no_name(N_("Ne contient ni votre prénom ni votre nom")),
        not_common(),
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
        not_common(),
    ),
}


def rules(policy: str) -> list[Rule]:
    """The rules of a policy preset; unknown names raise KeyError (a configuration error)."""
    return list(POLICIES[policy])


def statuses(
    password: str,
    *,
    policy: str,
    given_name: str = "",
    family_name: str = "",
    birth_name: str = "",
    breached: Breached | None = None,
) -> list[tuple[Rule, bool]]:
    """Each rule with whether `password` meets it (for the server-side checklist).
    `breached`, when given, is asked about a password the offline list did not refuse."""
    password = unicodedata.normalize("NFC", password or "")
    context = {"given_name": given_name, "family_name": family_name, "birth_name": birth_name}
    results = []
    for rule in rules(policy):
        met = rule.test(password, context)
        if met and rule.key == NOT_COMMON and breached is not None and password:
            met = not breached(password)
        results.append((rule, met))
    return results


def check(
    password: str,
    *,
    policy: str,
    given_name: str = "",
    family_name: str = "",
    birth_name: str = "",
    breached: Breached | None = None,
) -> list[str]:
    """Messages (`Rule.error`) of the rules `password` does not meet; an empty list means it
    is accepted."""
    return [
        rule.error
        for rule in failed(
            password,
            policy=policy,
            given_name=given_name,
            family_name=family_name,
            birth_name=birth_name,
            breached=breached,
        )
    ]


def failed(
    password: str,
    *,
    policy: str,
    given_name: str = "",
    family_name: str = "",
    birth_name: str = "",
    breached: Breached | None = None,
) -> list[Rule]:
    """The rules `password` does not meet."""
    results = statuses(
        password,
        policy=policy,
        given_name=given_name,
        family_name=family_name,
        birth_name=birth_name,
        breached=breached,
    )
    return [rule for rule, ok in results if not ok]
