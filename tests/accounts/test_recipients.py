"""Recipient routing of account messages (plain function, no app)."""

from idp.accounts.recipients import recipients_for, typed_address_left_out


def test_without_secondary_everything_goes_to_the_primary():
    """No confirmed secondary address: the primary receives every message."""
    for kind in ("password_reset", "password_changed", "registration_confirm", "anything"):
        assert recipients_for(kind, "a@x.org", None) == ["a@x.org"]


def test_confirmed_secondary_receives_every_account_message():
    """Once confirmed, the secondary address receives the ordinary account messages."""
    assert recipients_for("profile_notice", "a@x.org", "b@y.net") == ["b@y.net"]


def test_password_messages_go_to_both_addresses():
    """Password reset and change messages go to both addresses (seed 000)."""
    assert recipients_for("password_reset", "a@x.org", "b@y.net") == ["a@x.org", "b@y.net"]
    assert recipients_for("password_changed", "a@x.org", "b@y.net") == ["a@x.org", "b@y.net"]


def test_a_sign_in_from_a_new_browser_goes_to_both_addresses():
    """The new sign-in notice (a security notice) goes to both addresses."""
    assert recipients_for("new_sign_in", "a@x.org", "b@y.net") == ["a@x.org", "b@y.net"]


def test_security_mails_and_sign_in_codes_go_to_both_addresses():
    """A change of how the account signs in, and a sign-in code, go to both addresses."""
    for kind in ("security_changed", "sign_in_code"):
        assert recipients_for(kind, "a@x.org", "b@y.net") == ["a@x.org", "b@y.net"]


def test_empty_secondary_counts_as_none():
    """An empty string is no address."""
    assert recipients_for("password_reset", "a@x.org", "") == ["a@x.org"]


def test_the_account_existence_notice_goes_to_both_addresses():
    """Someone registered with the account's address: the page named that address, so the
    notice goes there and to the confirmed secondary address (issue 11, defect 1)."""
    assert recipients_for("account_exists", "a@x.org", "b@y.net") == ["a@x.org", "b@y.net"]


def test_the_address_typed_is_left_out_only_when_no_notice_reached_it():
    """The address typed gets a mail of its own only when the notice missed it."""
    assert typed_address_left_out(" New@X.org ", ["owner@x.org"])
    assert not typed_address_left_out("A@x.org", ["a@x.org", "b@y.net"])
