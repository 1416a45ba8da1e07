"""The study file: an append-only JSON Lines file of finished runs, read in one streaming pass.

Layout (format 2; format 1 files, written before, still load and resume in their own format):

* line 1: ``nasbench-study 2 {header JSON}``: package version, budget, simulated workers, and the
  ``libraries`` that made it (numpy, scipy, torch, pandas, h5py, Python, platform);
* then one line per finished run: ``{sha256 of the body} {summary JSON}<TAB>{record JSON}``. The
  *record* holds everything that reproduces the run (spec, :class:`~nasbench.trace.TraceMeta`, every
  trace column, the visited architectures, the incumbent's validation regret per evaluation). The
  *summary* holds what a report reads: spec, metadata, and the incumbent's *steps*, the evaluations
  at which its test or validation regret changed, plus the last one. The anytime curve is a step
  function, so the steps give it exactly on any grid, and the last step is the run's final result.
  Compact JSON never holds a raw tab, so the tab splits the body unambiguously; a format 1 body is
  the record alone.

A :class:`StudyFile` keeps only the summaries in memory (a few hundred bytes per run): the
coordinating process appends each finished run and drops its trace, and a report reads the
summaries gathered by the one pass that opened the file. Full traces are read back from disk on
request (:meth:`StudyFile.runs`), one line at a time.

Each line is written with one ``write`` and flushed to disk before the next run is counted, so an
interrupt loses at most the line being written; a torn last line is dropped on the next open and the
run redone. A digest that does not match, or a file that is not a study, raises
:class:`~nasbench.errors.NasbenchError`. A run stored twice (by a writer that predates the lock
below) is read once, as its first line.

One process at a time writes a study: :func:`study_lock` holds an exclusive ``fcntl.flock`` on
``study.lock`` beside the file, and a second process is refused with the holder's pid, host and start.
:func:`verify_study` reports damaged lines; :func:`repair_study` moves them aside, keeping every
intact run, so that a study damaged in the middle resumes.

Example:
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "study.jsonl"
    >>> study = StudyFile.open_or_create(path, max_evals=10, max_time=None, workers=1)
    >>> study.header["format"], sorted(study.header["libraries"])[:3]
    (2, ['h5py', 'numpy', 'pandas'])
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from nasbench.errors import NasbenchError
from nasbench.study.planning import RunSpec
from nasbench.trace import Trace, TraceMeta, regret

#: the study file's name in a report directory (``nasbench compare --out DIR`` writes ``DIR/study.jsonl``)
STUDY_NAME = "study.jsonl"
STUDY_MAGIC = "nasbench-study"
STUDY_FORMAT = 2
READABLE_FORMATS = (1, 2)
#: the libraries whose versions a study records (their numerics can move model-based strategies' results)
LIBRARIES = ("numpy", "scipy", "torch", "pandas", "h5py")
STEP_COLUMNS = ("evaluation", "time", "regret", "valid_regret")
_RECORD_KEYS = {"spec", "meta", "columns", "archs", "valid_regret"}


def library_versions() -> dict[str, str]:
    """The installed versions of :data:`LIBRARIES` ("absent" where one is not installed), Python and the platform.

    Read from the package metadata, so nothing (torch least of all) is imported.

    Example:
        >>> versions = library_versions()
        >>> sorted(versions) == sorted([*LIBRARIES, "python", "platform"])
        True
    """
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return {**versions, "python": platform.python_version(), "platform": platform.platform()}


def version_differences(recorded: dict[str, Any], current: dict[str, str] | None = None) -> list[str]:
    """One phrase per library whose version in a study header (``recorded``) differs from ``current``.

    Example:
        >>> version_differences({"libraries": {"numpy": "1.0"}}, {"numpy": "2.0"})
        ['numpy 1.0 (now 2.0)']
        >>> version_differences({}, {"numpy": "2.0"})
        ['no library versions recorded (a format 1 study)']
    """
    libraries = recorded.get("libraries")
    if not isinstance(libraries, dict):
        return ["no library versions recorded (a format 1 study)"]
    current = library_versions() if current is None else current
    return [f"{name} {libraries.get(name, 'unrecorded')} (now {version})"
            for name, version in current.items() if libraries.get(name) != version]


@dataclass(frozen=True)
class RunSummary:
    """What a report reads of a finished run: its spec, its metadata, and the incumbent's steps
    (``evaluation`` 1-based, simulated ``time``, test ``regret``, ``valid_regret``; see the module docstring)."""

    spec: RunSpec
    meta: TraceMeta
    steps: dict[str, np.ndarray]

    def to_json(self) -> dict[str, Any]:
        return {"spec": asdict(self.spec), "meta": self.meta.to_dict(),
                "steps": {name: values.tolist() for name, values in self.steps.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunSummary:
        steps = {name: np.asarray(data["steps"][name], dtype=np.int64 if name == "evaluation" else np.float64)
                 for name in STEP_COLUMNS}
        return cls(RunSpec(**data["spec"]), TraceMeta.from_dict(data["meta"]), steps)


def summarise(record: dict[str, Any]) -> RunSummary:
    """The summary of a study record: the evaluations where the incumbent's regret changed, and the last.

    Example:
        >>> from nasbench.study import execute, plan
        >>> summary = summarise(execute(plan(["nbgraph-cora"], ["rs"], seeds=1, max_evals=30)[0]))
        >>> int(summary.steps["evaluation"][0]), int(summary.steps["evaluation"][-1])
        (1, 30)
    """
    meta = TraceMeta.from_dict(record["meta"])
    test = regret(np.asarray(record["columns"]["incumbent_test"], dtype=np.float64), meta.test_optimum,
                  meta.higher_is_better)
    valid = np.asarray(record["valid_regret"], dtype=np.float64)
    end = np.asarray(record["columns"]["end"], dtype=np.float64)
    keep = np.ones(len(test), dtype=bool)
    if len(test) > 1:  # a step where either regret changes (NaN == NaN counts as unchanged), and the last row
        same = ((test[1:] == test[:-1]) | (np.isnan(test[1:]) & np.isnan(test[:-1]))) & \
               ((valid[1:] == valid[:-1]) | (np.isnan(valid[1:]) & np.isnan(valid[:-1])))
        keep[1:-1] = ~same[:-1]
    index = np.flatnonzero(keep)
    steps = {"evaluation": index + 1, "time": end[index], "regret": test[index], "valid_regret": valid[index]}
    return RunSummary(RunSpec(**record["spec"]), meta, steps)


@dataclass
class StudyRun:
    """A finished run: its spec, its trace, and the incumbent's validation regret per evaluation."""

    spec: RunSpec
    trace: Trace
    valid_regret: np.ndarray


def record_to_run(record: dict[str, Any]) -> StudyRun:
    """The :class:`StudyRun` of a study record."""
    spec = RunSpec(**record["spec"])
    return StudyRun(spec, Trace.from_record(record), np.asarray(record["valid_regret"], dtype=np.float64))


class StudyFile:
    """An append-only JSON Lines file of finished runs holding only their summaries in memory."""

    def __init__(self, path: Path, header: dict[str, Any], summaries: dict[str, RunSummary], torn: int = 0) -> None:
        self.path = path
        self.header = header
        self.summaries = summaries  # by RunSpec.key(), in file order
        self.torn = torn  # bytes of an interrupted last line, dropped before the next append

    @property
    def format(self) -> int:
        return int(self.header.get("format", 1))

    @classmethod
    def read(cls, path: str | os.PathLike) -> StudyFile:
        """Read and verify a study file in one streaming pass; a torn last line (an interrupted write) is dropped."""
        path = Path(path)
        summaries: dict[str, RunSummary] = {}
        scan = _Scan(path)
        for number, summary_text, record_text in scan:
            if summary_text is None:  # format 1: the summary is made from the record
                summary = summarise(_parse_record(path, number, record_text))
            else:
                summary = _parse_summary(path, number, summary_text)
            summaries.setdefault(summary.spec.key(), summary)  # a run stored twice counts once, as first stored
        return cls(path, scan.header, summaries, scan.torn)

    @classmethod
    def open_or_create(cls, path: str | os.PathLike, *, max_evals: int | None, max_time: float | None,
                       workers: int, time_units: float | None = None) -> StudyFile:
        """Open an existing study with the same budget, or start a new file. A budget in trainings
        (``time_units``) is held as such, ``max_time`` (seconds, which differ per table) as None."""
        from nasbench.version import __version__

        path = Path(path)
        budget = {"max_evals": max_evals, "max_time": max_time, "workers": workers}
        if time_units is not None:
            budget.update(max_time=None, time_units=time_units)
        if path.is_dir():
            raise NasbenchError(f"study file {path} is a directory")
        if path.exists():
            study = cls.read(path)
            held = {key: study.header.get(key) for key in budget}
            if held != budget:
                raise NasbenchError(f"study file {path} was made with budget {_budget_text(held)}, not "
                                    f"{_budget_text(budget)}; rerun with that budget or choose another --out")
            if study.torn:
                with open(path, "r+b") as f:  # drop the torn line so appends start on a fresh line
                    f.truncate(path.stat().st_size - study.torn)
            return study
        header = {"format": STUDY_FORMAT, "version": __version__, "libraries": library_versions(), **budget}
        temporary = path.with_name(path.name + ".tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(temporary, "w") as f:
                f.write(f"{STUDY_MAGIC} {STUDY_FORMAT} {json.dumps(header, sort_keys=True)}\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, path)
        except OSError as exc:
            raise NasbenchError(f"cannot create study file {path}: {exc.strerror or exc}") from None
        return cls(path, header, {})

    def append(self, record: dict[str, Any]) -> None:
        """Add a finished run: one line, one write, flushed to disk before returning; only its summary is kept."""
        summary = summarise(record)
        body = _dumps(record)
        if self.format >= 2:
            body = _dumps(summary.to_json()) + "\t" + body
        line = f"{hashlib.sha256(body.encode()).hexdigest()} {body}\n".encode()
        with open(self.path, "ab") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        self.summaries[summary.spec.key()] = summary

    def summaries_of(self, specs: Iterable[RunSpec] | None = None) -> list[RunSummary]:
        """The summaries of the finished runs of ``specs`` (all runs when ``None``), in the order given."""
        if specs is None:
            return list(self.summaries.values())
        return [self.summaries[spec.key()] for spec in specs if spec.key() in self.summaries]

    def runs(self, specs: Iterable[RunSpec] | None = None) -> list[StudyRun]:
        """The finished runs of ``specs`` (all runs when ``None``) with their traces, in the order given;
        read from disk (every trace of them is held in memory at once)."""
        records = self.records
        if specs is None:
            return [record_to_run(record) for record in records.values()]
        return [record_to_run(records[spec.key()]) for spec in specs if spec.key() in records]

    @property
    def records(self) -> dict[str, dict[str, Any]]:
        """Every stored record by run key, read from disk (for small studies and checks)."""
        return {RunSpec(**record["spec"]).key(): record for record in self.iter_records()}

    def iter_records(self) -> Iterator[dict[str, Any]]:
        """The stored records one at a time, in file order, read from disk (a torn last line skipped,
        a run stored twice given once, as first stored)."""
        seen: set[str] = set()
        for number, _, record_text in _Scan(self.path):
            record = _parse_record(self.path, number, record_text)
            key = RunSpec(**record["spec"]).key()
            if key not in seen:
                seen.add(key)
                yield record

    def specs(self) -> list[RunSpec]:
        """The specs of every finished run (a baseline's grid)."""
        return [summary.spec for summary in self.summaries.values()]

    def check(self, specs: Sequence[RunSpec]) -> None:
        """Refuse to mix tables: a stored run of a planned cell must have the planned checksum."""
        for spec in specs:
            summary = self.summaries.get(spec.key())
            if summary is not None and summary.spec.checksum != spec.checksum:
                raise NasbenchError(f"study file {self.path} holds runs of {spec.benchmark} on a table with checksum "
                                    f"{summary.spec.checksum[:12]}…, but the installed table has "
                                    f"{spec.checksum[:12]}…; start a new study with another --out")


_HELD: set[Path] = set()  # the study locks this process holds (a nested hold of the same study is a no-op)
_LOCK_READS = 20  # tries at reading a holder's note, which it writes just after taking the lock


def study_path(path: str | os.PathLike) -> Path:
    """The study file ``path`` names: itself, or :data:`STUDY_NAME` inside it for a directory.

    Example:
        >>> import tempfile
        >>> study_path(tempfile.mkdtemp()).name
        'study.jsonl'
    """
    path = Path(path)
    return path / STUDY_NAME if path.is_dir() else path


def lock_path(path: str | os.PathLike) -> Path:
    """The lock file of the study file ``path``: ``study.lock`` beside ``study.jsonl``.

    Example:
        >>> lock_path("reports/compare/study.jsonl").as_posix()
        'reports/compare/study.lock'
    """
    return Path(path).with_suffix(".lock")


@contextlib.contextmanager
def study_lock(path: str | os.PathLike) -> Iterator[None]:
    """Hold the study file ``path`` for this process, or raise a :class:`NasbenchError` naming the
    process (pid, host, start) that holds it.

    The lock is an exclusive, non-blocking ``fcntl.flock`` on :func:`lock_path`, which the operating
    system releases when the holder exits in any way (``kill -9`` included). The holder writes its note
    into the file and empties it when done; the file itself stays, since removing it would let a late
    process lock the removed file while another locks a new one. A nested hold in one process is a no-op.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "study.jsonl"
        >>> with study_lock(path), study_lock(path):
        ...     "pid" in lock_path(path).read_text()
        True
    """
    lock = lock_path(path)
    if lock.parent.resolve() / lock.name in _HELD:
        yield
        return
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        lock = lock.parent.resolve() / lock.name
        handle = open(lock, "a+")  # noqa: SIM115  (closed when the hold ends)
    except OSError as exc:
        raise NasbenchError(f"cannot create the study lock {lock}: {exc.strerror or exc}") from None
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise NasbenchError(f"study {path} is in use by {_holder(lock)}; wait for it to finish or choose "
                                "another --out") from None
        handle.truncate(0)
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "since": datetime.now().astimezone().isoformat(sep=" ", timespec="seconds")}))
        handle.flush()
        _HELD.add(lock)
        try:
            yield
        finally:
            _HELD.discard(lock)
            handle.truncate(0)  # no stale note; the lock itself goes with the closed file


def _holder(lock: Path) -> str:
    """The holder of ``lock`` in words, from the note it wrote (read again briefly while it is not there yet)."""
    for _ in range(_LOCK_READS):
        try:
            note = json.loads(lock.read_text())
            return f"process {note['pid']} on {note['host']} since {note['since']}"
        except (OSError, ValueError, TypeError, KeyError):
            time.sleep(0.01)
    return "another process"


@dataclass(frozen=True)
class StudyCheck:
    """What :func:`verify_study` found: the intact ``runs`` (each counted once) and the numbers of the lines
    (the header is line 1) that are ``damaged`` (no match with their checksum, or unreadable), that
    ``repeat`` a run stored before (ignored on reading), and an ``unfinished`` last line (an interrupt)."""

    path: Path
    runs: int
    damaged: tuple[int, ...] = ()
    repeat: tuple[int, ...] = ()
    unfinished: int | None = None

    @property
    def aside(self) -> int:
        """How many lines :func:`repair_study` moves aside."""
        return len(self.damaged) + len(self.repeat) + (self.unfinished is not None)

    def describe(self) -> str:
        """The lines found, in words (empty for a clean study).

        Example:
            >>> StudyCheck(Path("s.jsonl"), 4, damaged=(3, 5), unfinished=7).describe()
            'damaged: lines 3 and 5; unfinished: line 7'
        """
        found = [("damaged", self.damaged), ("repeating a stored run", self.repeat),
                 ("unfinished", () if self.unfinished is None else (self.unfinished,))]
        return "; ".join(f"{what}: {_lines_text(numbers)}" for what, numbers in found if numbers)


def verify_study(path: str | os.PathLike) -> StudyCheck:
    """Check every line of a study file, and the whole record on each, without stopping at damage.

    A damaged header, or a file that is not a study, raises a :class:`NasbenchError`.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "study.jsonl"
        >>> _ = StudyFile.open_or_create(path, max_evals=10, max_time=None, workers=1)
        >>> verify_study(path).runs, verify_study(path).describe()
        (0, '')
    """
    return _sort(Path(path), lambda line: None, lambda line: None)


def repair_study(path: str | os.PathLike) -> tuple[StudyCheck, Path | None]:
    """Move a study file's damaged, repeated and unfinished lines aside, keeping every intact run, so that
    the study resumes (the runs moved aside are run again).

    Under the study's lock, the lines moved aside are written (and flushed to disk) into
    ``study.damaged-<time>.jsonl`` beside the file before the file is replaced, atomically, by its header
    and its intact lines. Returns what was found and the file of the lines moved aside (None when the
    study was clean and left untouched).

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "study.jsonl"
        >>> _ = StudyFile.open_or_create(path, max_evals=10, max_time=None, workers=1)
        >>> with open(path, "ab") as f:
        ...     _ = f.write(b"0000 {}\\n")
        >>> check, aside = repair_study(path)
        >>> check.damaged, aside.read_bytes(), verify_study(path).damaged
        ((2,), b'0000 {}\\n', ())
    """
    path = Path(path)
    if not verify_study(path).aside:  # checked before taking the lock, so that a bad path creates nothing
        return verify_study(path), None
    with study_lock(path):
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = path.with_name(f"{path.stem}.damaged-{stamp}.jsonl")
        number = 1
        while aside.exists():
            number += 1
            aside = path.with_name(f"{path.stem}.damaged-{stamp}-{number}.jsonl")
        temporary = path.with_name(path.name + ".tmp")
        try:
            with open(aside, "xb") as moved, open(temporary, "wb") as kept:
                check = _sort(path, kept.write, moved.write)
                for handle in (moved, kept):
                    handle.flush()
                    os.fsync(handle.fileno())
            os.replace(temporary, path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise NasbenchError(f"cannot repair study file {path}: {exc.strerror or exc}") from None
    return check, aside


def _sort(path: Path, keep: Callable[[bytes], object], aside: Callable[[bytes], object]) -> StudyCheck:
    """One pass over a study file: the header and each intact run's line to ``keep``, every other line
    to ``aside``."""
    damaged: list[int] = []
    repeat: list[int] = []
    unfinished = None
    seen: set[str] = set()
    try:
        file = open(path, "rb")  # noqa: SIM115  (closed by the with below)
    except OSError as exc:
        raise NasbenchError(f"cannot read study file {path}: {exc.strerror or exc}") from None
    with file:
        first = file.readline()
        _parse_header(path, first.rstrip(b"\n"))
        keep(first)
        for number, line in enumerate(file, start=2):
            if not line.endswith(b"\n"):
                unfinished = number
            else:
                key = _key(path, number, line)
                if key is None:
                    damaged.append(number)
                elif key in seen:
                    repeat.append(number)
                else:
                    seen.add(key)
                    keep(line)
                    continue
            aside(line)
    return StudyCheck(path, len(seen), tuple(damaged), tuple(repeat), unfinished)


def _key(path: Path, number: int, line: bytes) -> str | None:
    """The run key of an intact line (its checksum matches, its summary and record read); None otherwise."""
    parts = _split(line)
    if parts is None:
        return None
    summary_text, record_text = parts
    try:
        record = _parse_record(path, number, record_text)
        summary = summarise(record) if summary_text is None else _parse_summary(path, number, summary_text)
    except (NasbenchError, ValueError, TypeError, KeyError):
        return None
    return summary.spec.key()


def _lines_text(numbers: Sequence[int], shown: int = 8) -> str:
    """``line 3``, ``lines 3 and 5``, ``lines 1, 2, 3, ... and 4 more``.

    Example:
        >>> _lines_text([3]), _lines_text([3, 5, 9]), _lines_text(range(1, 13), shown=3)
        ('line 3', 'lines 3, 5 and 9', 'lines 1, 2, 3 and 9 more')
    """
    texts = [str(number) for number in numbers]
    if len(texts) == 1:
        return f"line {texts[0]}"
    if len(texts) > shown:
        return f"lines {', '.join(texts[:shown])} and {len(texts) - shown} more"
    return f"lines {', '.join(texts[:-1])} and {texts[-1]}"


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class _Scan:
    """Iterate a study file's verified run lines as ``(line number, summary bytes or None, record bytes)``;
    ``header`` is read on creation, ``torn`` (bytes of an unfinished last line) is known after the loop."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.torn = 0
        try:
            self.file = open(path, "rb")  # noqa: SIM115  (closed at the end of the iteration)
        except OSError as exc:
            raise NasbenchError(f"cannot read study file {path}: {exc.strerror or exc}") from None
        first = self.file.readline()
        if not first.endswith(b"\n"):  # no complete header line: parsed for its error, or an empty study
            self.file.close()
        self.header = _parse_header(path, first.rstrip(b"\n"))

    def __iter__(self) -> Iterator[tuple[int, bytes | None, bytes]]:
        if self.file.closed:
            return
        with self.file:
            for number, line in enumerate(self.file, start=2):
                if not line.endswith(b"\n"):  # cut by an interrupt
                    self.torn = len(line)
                    return
                parts = _split(line)
                if parts is None:
                    raise NasbenchError(f"study file {self.path} is corrupted: line {number} does not match its "
                                        f"checksum; nasbench verify {self.path} --repair moves damaged lines aside")
                yield number, *parts


def _split(line: bytes) -> tuple[bytes | None, bytes] | None:
    """A complete run line's ``(summary bytes or None for format 1, record bytes)``; None when it does not
    match its checksum."""
    digest, _, body = line[:-1].partition(b" ")
    if hashlib.sha256(body).hexdigest().encode() != digest:
        return None
    summary, tab, record = body.partition(b"\t")
    return (summary, record) if tab else (None, body)


def _budget_text(budget: dict[str, Any]) -> str:
    parts = [f"--evals {budget['max_evals']}" if budget.get("max_evals") is not None else "",
             f"--time {budget['max_time']}" if budget.get("max_time") is not None else "",
             f"--time-units {budget['time_units']}" if budget.get("time_units") is not None else "",
             f"--workers {budget.get('workers')}"]
    return " ".join(p for p in parts if p)


def _parse_header(path: Path, line: bytes) -> dict[str, Any]:
    prefix = f"{STUDY_MAGIC} ".encode()
    if not line.startswith(prefix):
        raise NasbenchError(f"{path} is not a nasbench study file (its first line does not start with {STUDY_MAGIC!r})")
    try:
        version_text, _, body = line[len(prefix):].decode().partition(" ")
        header = json.loads(body)
        version = int(version_text)
    except (UnicodeDecodeError, ValueError):
        raise NasbenchError(f"study file {path} has a damaged header line, which nothing can rebuild (it records the "
                            "budget and library versions of the runs); start the study again with another --out") \
            from None
    if version not in READABLE_FORMATS or not isinstance(header, dict):
        raise NasbenchError(f"study file {path} has format {version_text}; this nasbench reads formats "
                            f"{', '.join(map(str, READABLE_FORMATS))}")
    header.setdefault("format", version)
    return header


def _parse_record(path: Path, number: int, body: bytes) -> dict[str, Any]:
    try:
        record = json.loads(body)
        ok = isinstance(record, dict) and set(record) == _RECORD_KEYS
        if ok:
            RunSpec(**record["spec"])
    except (ValueError, TypeError):
        ok = False
    if not ok:
        raise NasbenchError(f"study file {path} has a malformed run on line {number}")
    return record


def _parse_summary(path: Path, number: int, body: bytes) -> RunSummary:
    try:
        return RunSummary.from_json(json.loads(body))
    except (ValueError, TypeError, KeyError, NasbenchError):
        raise NasbenchError(f"study file {path} has a malformed run summary on line {number}") from None
