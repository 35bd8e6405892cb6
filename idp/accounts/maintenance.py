"""Periodic clean-up of the accounts area."""


def run() -> None:
    """Remove expired unconfirmed registrations and used links (filled in by the accounts area)."""
