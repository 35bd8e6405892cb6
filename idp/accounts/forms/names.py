"""What a person's name may hold, in one place: every name field (registration, wizard,
profile, invitations by page, API or command) uses `person_name` or `name_problem`.

Letters of any script (é, ß, ø, Ł…), spaces, apostrophes (' and ’), hyphens and a dot after
an initial ("Jean-M. Dupont"). Nothing else: a name travels into mails, services and
documents, where markup or symbols would be shown as typed.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms import Field, Form, ValidationError

NAME_MAX_LENGTH = 100
# A letter, then letters with single separators between them (a space, an apostrophe,
# a hyphen, or a dot closing an initial, which a space or hyphen may follow).
_NAME = re.compile(r"^[^\W\d_](?:[^\W\d_]|[ '’\-](?=[^\W\d_])|\.(?=[ \-]?[^\W\d_]|$))*$")
_SPACES = re.compile(r"\s+")

# Said under a given name, a family name or a birth name alike: it names no field.
NAME_CHARACTERS = _l(
    "Utilisez seulement des lettres, des espaces, des apostrophes, des traits d'union et le "
    "point d'une initiale."
)
NAME_TOO_LONG = _l("%(max)d caractères au plus.", max=NAME_MAX_LENGTH)


def tidy_name(value: str | None) -> str | None:
    """Composed accents (NFC), outer spaces removed and inner runs of spaces made one:
    "  Jean   Paul " -> "Jean Paul"."""
    if not isinstance(value, str):
        return value
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def name_problem(value: str | None) -> str | None:
    """None when `value` (tidied, non-empty) is a person's name, else what is wrong with it."""
    if not value:
        return None
    if len(value) > NAME_MAX_LENGTH:
        return str(NAME_TOO_LONG)
    if not _NAME.match(value):
        return str(NAME_CHARACTERS)
    return None


def person_name(form: Form, field: Field) -> None:
    """WTForms validator for every name field (pair it with DataRequired or Optional)."""
    problem = name_problem(field.data)
    if problem:
        raise ValidationError(problem)
