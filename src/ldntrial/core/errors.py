"""Errors a user can cause and fix. Each message says what was wrong and how to fix it.

The CLI prints these as one line without a traceback and exits with ``exit_code``.
"""

from __future__ import annotations


class LdnTrialError(Exception):
    """A user error: bad input, a refused plan, an edit to a locked protocol."""

    exit_code = 2


class InvalidValue(LdnTrialError, ValueError):
    """A value that cannot exist (a negative dose, a score of 11, a day 0)."""


class FieldErrors(InvalidValue):
    """Several fields of one form are wrong; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors.items()))


class PlanRefused(LdnTrialError):
    """A titration or protocol beyond what has been studied, or impossible."""


class WarningsNotAccepted(LdnTrialError):
    """A plan outside usual practice whose warnings were not explicitly accepted.

    ``codes`` are the warnings' codes; each front end says how to accept them (the CLI's
    ``--allow CODE``, the trial form's checkboxes).
    """

    def __init__(self, codes: list[str], reasons: list[str]) -> None:
        self.codes = codes
        self.reasons = reasons
        super().__init__("; ".join(reasons) + ". If this is intended, accept it explicitly")


class ProtocolLocked(LdnTrialError):
    """An attempt to change a protocol after it was locked."""


class IntegrityFailure(LdnTrialError):
    """Stored content does not match its fingerprint or its audit trail: it was changed after
    locking or outside the application (exit 3). Not Django's database IntegrityError."""

    exit_code = 3


class DataFileError(LdnTrialError):
    """A sourced data file that fails validation (for example a row without a source)."""
