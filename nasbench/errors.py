"""The one exception type the project raises for bad input or bad data.

Every error a user can cause (an unknown name, a malformed architecture string, a corrupted table,
a pickle that would run code) is a :class:`NasbenchError` whose message reads as a sentence. The CLI
prints that sentence on one line of stderr and exits non-zero; it never shows a traceback for one.
Messages quote user input through :func:`shorten`, so a huge or multi-line argument cannot flood
the terminal or break the one-line rule.
"""

from __future__ import annotations

from typing import Any


class NasbenchError(Exception):
    """Bad input or bad data, explained in one sentence."""


class CorruptTableError(NasbenchError):
    """A table file failed its structural or checksum verification."""


class MissingEntryError(NasbenchError):
    """A query asked for an (architecture, seed, fidelity) the table does not hold."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that one path stops the workers and keeps the finished runs."""

    #: the exit status of a process ended by SIGTERM (128 + 15)
    exit_code = 143


def exit_code_of(interrupt: KeyboardInterrupt) -> int:
    """130 for Ctrl-C, 143 for SIGTERM (the shells' 128 + signal number)."""
    return Terminated.exit_code if isinstance(interrupt, Terminated) else 130


def raise_terminated(number: int, frame: Any) -> None:
    """A SIGTERM handler: raise :class:`Terminated` in the main thread."""
    raise Terminated


def os_reason(exc: BaseException) -> str:
    """The operating system's words for a failed file operation (``strerror``), else the exception's message.

    Example:
        >>> os_reason(FileNotFoundError(2, "No such file or directory")), os_reason(OSError("disk on fire"))
        ('No such file or directory', 'disk on fire')
    """
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def install_hint(extra: str, *pins: str) -> str:
    """The command that installs an optional extra, for an error message; right from a wheel as from a checkout.

    Example:
        >>> install_hint("mo"), install_hint("train", "torch==2.13.0")
        ('pip install "nasbench[mo]"', 'pip install "nasbench[train]" torch==2.13.0')
    """
    return " ".join((f'pip install "nasbench[{extra}]"', *pins))


def shorten(value: Any, limit: int = 80) -> str:
    """``repr(value)`` for an error message: one line, at most ``limit`` characters (``limit`` >= 40).

    Strings are quoted as by ``repr`` (control characters and line breaks escaped); a longer text keeps
    its start and end around an ellipsis and says how long it was.

    Examples:
        >>> shorten("gcn,gin")
        "'gcn,gin'"
        >>> print(shorten("a\\nb"))
        'a\\nb'
        >>> text = shorten("x" * 100_000)
        >>> len(text), text[:4], text[-25:]
        (80, "'xxx", "xxxx' (100002 characters)")
    """
    text = repr(value)
    if len(text) <= limit:
        return text
    suffix = f" ({len(text)} characters)"
    keep = max(limit - len(suffix) - 3, 2)
    tail = keep // 2
    return text[:keep - tail] + "..." + text[len(text) - tail:] + suffix
