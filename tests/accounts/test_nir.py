"""French social security number (idp/accounts/nir.py): normalisation and key."""

import pytest

from idp.accounts import nir


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2 55 08 14 168 025 38", "255081416802538"),
        ("2.55.08.14.168.025.38", "255081416802538"),
        ("1-89-02-2a-123-456-80", "189022A12345680"),
        ("  2550814168025 38 ", "255081416802538"),
    ],
)
def test_normalise_removes_separators_and_upper_cases(typed, expected):
    """Spaces, dots and dashes go; Corsica's 2a becomes 2A."""
    assert nir.normalise(typed) == expected


@pytest.mark.parametrize(
    "number",
    [
        "2 55 08 14 168 025 38",  # the example of the INSEE documentation
        "1 85 05 78 006 084 91",
        "1 89 02 2A 123 456 80",  # Corse-du-Sud: 2A counts as 19
        "2 93 03 99 555 123 01",  # born abroad (99)
        "7 69 05 75 111 222 84",  # temporary number (NIA)
    ],
)
def test_valid_numbers(number):
    """Real-shaped numbers with their right key are accepted (Corsica included)."""
    assert nir.validate(number) is None
    assert nir.is_valid(number)


def test_corsica_keys():
    """2A → 19 and 2B → 18 for the key: the same digits give different keys."""
    assert nir.compute_key("1890219123456") == 97 - 1890219123456 % 97
    assert nir.compute_key("189022A123456") == nir.compute_key("1890219123456")
    assert nir.compute_key("189022B123456") == nir.compute_key("1890218123456")
    key_2b = nir.compute_key("189022B123456")
    assert nir.is_valid(f"189022B123456{key_2b:02d}")
    assert not nir.is_valid(f"189022A123456{key_2b:02d}")


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("", "Saisissez"),
        ("2 55 08 14 168 025", "15 caractères"),
        ("2 55 08 14 168 025 381", "15 caractères"),
        ("2 55 08 14 16X 025 38", "que des chiffres"),
        ("2 55 08 3C 168 025 38", "que des chiffres"),
        ("2 80 2B 01 234 567 03", "que des chiffres"),  # 2B only in the department
        ("5 55 08 14 168 025 38", "commence par 1"),
        ("2 55 15 14 168 025 38", "mois"),
        ("2 55 08 14 168 025 39", "clé"),
        ("2 55 08 14 168 052 38", "clé"),  # two digits swapped
    ],
)
def test_invalid_numbers_say_what_is_wrong(number, fragment):
    """Each kind of mistake gets its own clear French message."""
    message = nir.validate(number)
    assert message is not None and fragment in message


def test_format_groups_digits():
    """format_nir() writes the number the way it is printed on the card."""
    assert nir.format_nir("255081416802538") == "2 55 08 14 168 025 38"
