"""The one exception type the project raises for bad input or bad data.

Every error a user can cause (an unknown name, a malformed architecture string, a corrupted table,
a pickle that would run code) is a :class:`NasbenchError` whose message reads as a sentence. The CLI
prints that sentence on one line of stderr and exits non-zero; it never shows a traceback for one.
"""

from __future__ import annotations


class NasbenchError(Exception):
    """Bad input or bad data, explained in one sentence."""


class CorruptTableError(NasbenchError):
    """A table file failed its structural or checksum verification."""


class MissingEntryError(NasbenchError):
    """A query asked for an (architecture, seed, fidelity) the table does not hold."""
