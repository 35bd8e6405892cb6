"""Typed errors of the accounts domain."""


class AccountError(Exception):
    """Base class; `str(error)` is a message fit for the person."""


class EmailTaken(AccountError):
    pass


class NirTaken(AccountError):
    pass


class PasswordRejected(AccountError):
    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = messages


class PasswordReused(AccountError):
    pass


class LinkExpired(AccountError):
    pass


class LinkInvalid(AccountError):
    pass


class LinkAlreadyUsed(AccountError):
    pass


class InvalidCredentials(AccountError):
    pass


class CaptchaRequired(AccountError):
    pass


class AccountLocked(AccountError):
    pass


class AccountNotConfirmed(AccountError):
    pass
