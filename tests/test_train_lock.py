"""The table lock: no .lock file is left after a build, and removing it never lets two holders in at once."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from nasbench.train import store


def _count(path: str, times: int) -> None:
    counter = Path(path)
    for _ in range(times):
        with store.locked(counter):
            value = int(counter.read_text())
            time.sleep(0.0005)  # a read-modify-write that a second holder would interleave with
            counter.write_text(str(value + 1))


def test_the_lock_file_is_removed_after_each_hold(tmp_path: Path) -> None:
    table = tmp_path / "t.h5"
    with store.locked(table):
        assert (tmp_path / "t.h5.lock").exists()
    assert not (tmp_path / "t.h5.lock").exists()
    (tmp_path / "t.h5.lock").write_text("")  # left by a holder killed with kill -9: reused, then removed
    with store.locked(table):
        pass
    assert list(tmp_path.iterdir()) == []


def test_holders_exclude_each_other_while_the_file_comes_and_goes(tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    counter.write_text("0")
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_count, args=(str(counter), 60)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0] * 4
    assert int(counter.read_text()) == 240  # no increment lost: never two holders at once
    assert not (tmp_path / "counter.lock").exists()
