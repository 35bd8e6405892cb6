"""Password policy presets (idp/accounts/policy.py): pure rules, tricky inputs."""

import pytest

from idp.accounts import policy


def messages(password, name="cnfpt", **names):
    return policy.check(password, policy=name, **names)


def test_cpf_refuses_the_seed_examples():
    """Seed 004: `lapin145` and `pauletpaulette1979` are refused by the cpf rule."""
    assert messages("lapin145", "cpf") == [
        "Au moins 3 types de caractères parmi : majuscules, minuscules, chiffres, "
        "caractères spéciaux"
    ]
    assert (
        "Au moins 3 types de caractères parmi : majuscules, minuscules, chiffres, "
        "caractères spéciaux" in messages("pauletpaulette1979", "cpf")
    )


def test_cpf_accepts_the_seed_example():
    """Seed 004: `PaulnET1547PAUL&!aulet14` is a valid cpf password."""
    assert messages("PaulnET1547PAUL&!aulet14", "cpf") == []


@pytest.mark.parametrize(
    ("password", "failed_keys"),
    [
        ("Lapi123", {"min_letters"}),  # 4 letters only
        ("Lapinou12", {"min_digits"}),  # 2 digits only
        ("lapinou123", {"min_classes"}),  # lower + digit
        ("LAPINOU123", {"min_classes"}),  # upper + digit
        ("abcdef123!", set()),  # lower + digit + special
        ("Éléphant123", set()),  # accented letters count as letters (upper + lower)
        # Letters without case are letters, but neither upper nor lower: digit + special only.
        ("日本語テキスト123!", {"min_classes"}),
        ("١٢٣abcdeF", set()),  # Arabic-Indic digits are digits
        ("", {"min_letters", "min_digits", "min_classes"}),
    ],
)
def test_cpf_rules_one_by_one(password, failed_keys):
    """Each cpf rule counts letters, digits and classes the Unicode way."""
    results = policy.statuses(password, policy="cpf")
    assert {rule.key for rule, ok in results if not ok} == failed_keys


@pytest.mark.parametrize(
    ("password", "failed_keys"),
    [
        ("Formation#2026", set()),
        ("Formatio", {"non_letter"}),  # 8 letters, no digit nor special
        ("formation1", {"upper"}),
        ("Abc1!", {"min_length"}),
        ("Éducation!", set()),  # an accented capital is a capital
        ("        ", {"upper"}),  # spaces are non-letters; 8 characters
        ("", {"min_length", "non_letter", "upper"}),
    ],
)
def test_cnfpt_rules_one_by_one(password, failed_keys):
    """cnfpt: 8 characters, a non-letter, an upper-case letter."""
    results = policy.statuses(password, policy="cnfpt", given_name="Ivan", family_name="Pierre")
    assert {rule.key for rule, ok in results if not ok} == failed_keys


@pytest.mark.parametrize(
    "password",
    [
        "Ivan2026!",  # first name
        "MonIVAN#99",  # any case
        "Pierre-1234",  # last name
        "xxPIERRExx1A",
        "Jose#12345",  # accents folded: the name is "José"
    ],
)
def test_cnfpt_refuses_names_inside_passwords(password):
    """The first or last name inside the password is refused, case and accents ignored."""
    names = {"given_name": "Ivan", "family_name": "Pierre"}
    if "Jose" in password:
        names = {"given_name": "José", "family_name": "Da Silva"}
    assert messages(password, **names) == ["Ne contient ni votre prénom ni votre nom"]


def test_cnfpt_name_rule_folds_the_password_too():
    """An accented password containing a plain name is refused as well."""
    assert "Ne contient ni votre prénom ni votre nom" in messages(
        "Hélène#2026", given_name="Helene", family_name="Martin"
    )


def test_compound_and_short_names():
    """Compound names are checked part by part; parts under 3 letters are ignored."""
    names = {"given_name": "Jean-Pierre", "family_name": "Li"}
    assert messages("MonPierre#26", **names) == ["Ne contient ni votre prénom ni votre nom"]
    assert messages("Jeanne#2026", **names) == ["Ne contient ni votre prénom ni votre nom"]
    assert messages("Olivier#2026", **names) == []  # contains "li": too short to count
    assert messages("Xy#12345", given_name="", family_name="") == []


def test_birth_name_is_checked_when_given():
    """The birth name, when known, counts as a name too."""
    assert messages("Durand#2026", given_name="Ivan", family_name="Pierre", birth_name="Durand")


def test_rules_expose_keys_params_and_messages():
    """rules() gives what the checklist needs: key, param, one French message each."""
    cnfpt = policy.rules("cnfpt")
    assert [(r.key, r.param) for r in cnfpt] == [
        ("min_length", 8),
        ("non_letter", None),
        ("upper", None),
        ("no_name", None),
        ("not_common", None),
    ]
    assert all(r.message and r.message[0].isupper() for r in cnfpt)
    assert [(r.key, r.param) for r in policy.rules("cpf")] == [
        ("min_letters", 5),
        ("min_digits", 3),
        ("min_classes", 3),
        ("not_common", None),
    ]
    # Only the common-password rule is left to the server by the live checklist.
    assert [r.key for r in cnfpt if r.server_only] == ["not_common"]
    with pytest.raises(KeyError):
        policy.rules("nope")


def test_unicode_normalisation_does_not_change_the_count():
    """A decomposed "é" (e + combining accent) counts as one character, like a composed one."""
    decomposed = "Cafe\u0301#12"  # 8 code points, 7 characters once composed
    assert messages(decomposed, given_name="Ivan", family_name="Pierre") == [
        "Au moins 8 caractères"
    ]
