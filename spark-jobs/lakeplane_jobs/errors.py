"""The errors the jobs raise on purpose, each with a message meant for a person."""

from __future__ import annotations

from typing import Iterable, Tuple


class JobArgumentError(ValueError):
    """The command line of a job is wrong (missing, unknown or malformed argument)."""


class ContractError(ValueError):
    """A dataset contract does not have what the job needs."""

    def __init__(self, source: str, issues: Iterable[Tuple[str, str]]):
        self.source = source
        self.issues = tuple(issues)
        lines = "; ".join(f"{path}: {message}" if path else message for path, message in self.issues)
        super().__init__(f"contract {source} is invalid: {lines}")


class CastError(ValueError):
    """One field value does not cast to its declared type. The message names no field."""


class JobFailure(RuntimeError):
    """The job ran and must fail the EMR step (e.g. too many bad records)."""
