"""The process :func:`nasbench.train.pinned.train_in_child` starts: one training job as JSON on stdin,
its curves as JSON on stdout. The kernels are pinned before torch is imported. A module apart from
:mod:`nasbench.train.pinned`, which the trainer imports, so that importing the trainer here closes no circle."""

from __future__ import annotations

import json
import sys

from nasbench.errors import NasbenchError
from nasbench.train import numerics
from nasbench.train.data import load_dataset
from nasbench.train.schedule import CURVES, Schedule


def main() -> int:
    """Run one job from stdin; exit 2 with one line on stderr for a :class:`NasbenchError`."""
    job = json.loads(sys.stdin.read())
    try:
        schedule = Schedule(**job["schedule"])
        numerics.pin(schedule.cpu_kernels)  # before torch is imported below
        numerics.require(schedule.cpu_kernels)
        from nasbench.spaces import get_space
        from nasbench.train.trainer import train

        space = get_space(job["space"])
        result = train(space, space.parse(job["arch"]), seed=job["seed"], schedule=schedule,
                       data=load_dataset(job.get("dataset", "mnist1d")))
    except NasbenchError as exc:
        print(exc, file=sys.stderr)
        return 2
    answer = {name: getattr(result, name).tolist() for name in CURVES}
    answer.update(params=result.params, flops=result.flops,
                  numerics=result.numerics.as_attrs() if result.numerics else None)
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
