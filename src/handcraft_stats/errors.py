"""Exceptions of hcs. Each carries the exit code of CLI.md and a one-line message."""

from __future__ import annotations


class HcsError(Exception):
    """Base class: a failure the user can act on, with a CLI exit code."""

    exit_code = 4

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(HcsError):
    """Bad option, missing argument, no input files (exit code 2)."""

    exit_code = 2


class EnvironmentProblem(HcsError):
    """Database locked or unreadable, disk full, no permission (exit code 3)."""

    exit_code = 3


class RefusedFile(HcsError):
    """A roster file that cannot be ingested; the reason is one line (exit code 1)."""

    exit_code = 1


class NotARosterFile(RefusedFile):
    """A file named as no roster (填表说明.txt, 丰县2017年汇总表.xlsx) that holds none: listed
    as not read, with the reason, and no data problem (the run is not failed for it)."""
