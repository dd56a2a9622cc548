"""The worker's own errors: what it refuses or cannot do, each with a message a user can act on.

    SmarketingError              anything the worker itself refuses or cannot do
     ├── SettingsError           a setting is missing or invalid; ``lines`` names each variable (exit 2)
     ├── MirrorError             the SQLite mirror cannot be used as it is
     │    ├── MirrorMissing      SMARKETING_DB does not exist yet
     │    ├── MirrorBusy         another process is writing it
     │    ├── MirrorTooNew       it was written by a newer worker
     │    ├── PortalMismatch     it mirrors another portal than the token's (or, for a write, none yet)
     │    ├── MirrorIncomplete   a write was asked of a mirror that has not completed a full read
     │    ├── DeletionsUnproven  a full read could not prove the deletions it would make; they were held back
     │    ├── BadMirrorPath      SMARKETING_DB cannot hold a mirror: no such directory, a directory, another
     │    │                      program's file (a setting to fix: exit 2; the file is left as it is)
     │    ├── MirrorUnwritable   the mirror or its directory may not be written (read-only, permissions)
     │    ├── MirrorDamaged      a mirror cut short or corrupt (left as it is)
     │    └── DiskFull           the disk holding the mirror is full
     ├── PropertyNotOwned        a write to a CRM property that is not the worker's own was refused
     ├── PortInUse               the address a server should listen on is taken or refused
     └── StopRequested           a stop was asked for; raised between two commits, not a failure

    connector.CRMError           the CRM failed or refused (its own tree, in connector/errors.py)

The CLI maps both trees to exit codes and one-line messages in one place (``sync.app.cli``). A message says
what is wrong; ``hint``, where the message does not already say it, the one thing to do about it.
"""

from __future__ import annotations


class SmarketingError(Exception):
    """The root of the worker's errors. ``hint`` says what to do about it."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class SettingsError(SmarketingError):
    """Invalid settings; ``lines`` holds one message per bad variable."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


class MirrorError(SmarketingError):
    """The SQLite mirror cannot be used as it is."""


class MirrorMissing(MirrorError):
    hint = "run smarketing sync first"


class MirrorBusy(MirrorError):
    hint = "wait for the other process to finish"


class MirrorTooNew(MirrorError):
    pass


class PortalMismatch(MirrorError):
    pass


class MirrorIncomplete(MirrorError):
    """Values derived from a partial mirror would be wrong in the CRM (zeros, stages of half the contacts)."""

    hint = "run smarketing sync first"


class PropertyNotOwned(SmarketingError):
    """The last guard before a batch leaves: every property in it must be proven the worker's own."""


class DeletionsUnproven(MirrorError):
    """A full read held deletions back: it saw fewer records than the CRM counts, or a reference list shrank too far.

    Raised at the end of the run, once every stream has synced; the guards stay in the mirror
    (``Mirror.deletion_guards``) until a full read proves the deletions or a person accepts them.
    """

    hint = "if the CRM really deleted them, accept with smarketing sync --full --accept-deletions"


class BadMirrorPath(MirrorError):
    """SMARKETING_DB points where no mirror can be; nothing there was created or changed."""


class MirrorUnwritable(MirrorError):
    pass


class MirrorDamaged(MirrorError):
    hint = "restore it from a backup, or move it away and run smarketing sync to build a new one"


class DiskFull(MirrorError):
    hint = "free some space and run again: what was committed is kept, and the next sync goes on from there"


class PortInUse(SmarketingError):
    hint = "choose another port, or stop what listens there"


class StopRequested(SmarketingError):
    """Raised between two committed pages or batches once a stop was asked for."""

    def __init__(self, message: str = "a stop was asked for") -> None:
        super().__init__(message)
