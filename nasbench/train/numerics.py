"""What decides a trained network's numbers besides its schedule, and how nasbench pins it.

Training is deterministic for one process (generators, one thread, deterministic algorithms), but
the same torch build computes different bits on different CPUs: it dispatches its own kernels
(ATen) and oneDNN's convolutions to the widest instruction set the CPU offers. A rounding
difference of one unit in the last place at the first step grows, over a few hundred SGD steps, to
several points of accuracy: on 30 random ``nb201-mnist1d`` cells retrained with the table's own
schedule, AVX-512 kernels gave a different training curve for every cell (largest validation
difference 0.043), while AVX2 kernels (``ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2``)
reproduced all 30 bit for bit; ``mlp-mnist1d`` reproduces bit for bit under AVX2 too. Both shipped
tables were therefore built with AVX2 kernels, and every table records its :class:`Numerics`.

``cpu_kernels="avx2"`` (the default schedule) pins both to AVX2, which every x86-64 CPU since 2013
runs; ``"native"`` leaves the choice to the CPU (numbers then hold for that kind of CPU only). The
variables must be set before torch runs its first kernel, so :func:`pin` is called at the start of
nasbench's own training processes (``nasbench build``, the builder's workers); a process that ran
torch before (a notebook, a test session) trains in a pinned child process instead (see
:func:`nasbench.train.trainer.train`). Torch is imported only by the functions that need it.

Example:
    >>> KERNEL_ENV["avx2"]["ATEN_CPU_CAPABILITY"]
    'avx2'
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

from nasbench.errors import NasbenchError

#: environment variables that select the kernels, per ``cpu_kernels`` setting
KERNEL_ENV: dict[str, dict[str, str]] = {
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "native": {},
}
#: what torch reports (``torch.backends.cpu.get_cpu_capability()``) once pinned, per setting
_CAPABILITY = {"avx2": "AVX2"}
#: the train extra pins torch==2.13.0, the CPU build the shipped tables were trained with
INSTALL_HINT = 'pip install -e ".[train]"'


@dataclass(frozen=True)
class Numerics:
    """What a table's trained numbers depend on beyond the schedule, the architecture and the seed.

    ``torch`` is the torch version (numbers are compared on its release part, ``2.13.0`` of
    ``2.13.0+cpu``), ``cpu_capability`` the kernels ATen dispatched to (``AVX2``, ``AVX512``...; for
    CUDA the device name), ``threads`` the intra-op threads of a training process.
    """

    torch: str
    device: str
    cpu_kernels: str
    cpu_capability: str
    threads: int
    deterministic_algorithms: bool = True

    def as_attrs(self) -> dict[str, Any]:
        """The record as table attributes."""
        return asdict(self)

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any]) -> Numerics:
        """The record stored by :meth:`as_attrs`."""
        return cls(**attrs)

    def differences(self, other: Numerics) -> list[str]:
        """What differs between two records, in words (empty: the numbers are comparable)."""
        found = []
        if self.torch.split("+")[0] != other.torch.split("+")[0]:
            found.append(f"torch {self.torch} (here {other.torch})")
        for field in ("device", "cpu_capability", "threads", "deterministic_algorithms"):
            if getattr(self, field) != getattr(other, field):
                found.append(f"{field} {getattr(self, field)} (here {getattr(other, field)})")
        return found


def check_kernels(cpu_kernels: str) -> None:
    """Refuse a ``cpu_kernels`` setting other than ``avx2`` or ``native``."""
    if cpu_kernels not in KERNEL_ENV:
        raise NasbenchError(f"cpu_kernels must be one of {', '.join(KERNEL_ENV)}, not {cpu_kernels!r}")


def pin(cpu_kernels: str) -> None:
    """Select the kernels of ``cpu_kernels`` for this process; call it before torch runs a kernel."""
    check_kernels(cpu_kernels)
    os.environ.update(KERNEL_ENV[cpu_kernels])


def is_pinned(cpu_kernels: str) -> bool:
    """Whether this process trains with the kernels of ``cpu_kernels``."""
    check_kernels(cpu_kernels)
    if any(os.environ.get(key) != value for key, value in KERNEL_ENV[cpu_kernels].items()):
        return False
    return cpu_kernels not in _CAPABILITY or capability("cpu") == _CAPABILITY[cpu_kernels]


def require(cpu_kernels: str) -> None:
    """Raise :class:`NasbenchError` unless this process trains with the kernels of ``cpu_kernels``."""
    if not is_pinned(cpu_kernels):
        raise NasbenchError(f"this CPU cannot run the {cpu_kernels} kernels the schedule asks for (torch dispatches "
                            f"to {capability('cpu')}); numbers trained here would not match the table's, so build "
                            f"a table of your own with --cpu-kernels native")


def capability(device: str) -> str:
    """The kernels torch uses on ``device``: ATen's CPU capability, or the CUDA device's name."""
    import torch

    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    return str(torch.backends.cpu.get_cpu_capability())


def expected(cpu_kernels: str, device: str, threads: int) -> Numerics:
    """The record of a training process of this torch on ``device`` pinned to ``cpu_kernels``."""
    import torch

    kernels = _CAPABILITY.get(cpu_kernels) if device == "cpu" else None
    return Numerics(torch=str(torch.__version__), device=device.split(":")[0], cpu_kernels=cpu_kernels,
                    cpu_capability=kernels or capability(device), threads=threads)


def measured(cpu_kernels: str, device: str) -> Numerics:
    """The record of this process as it trains now (its torch, kernels, threads, determinism setting)."""
    import torch

    return Numerics(torch=str(torch.__version__), device=device.split(":")[0], cpu_kernels=cpu_kernels,
                    cpu_capability=capability(device), threads=torch.get_num_threads(),
                    deterministic_algorithms=torch.are_deterministic_algorithms_enabled())


def explain(recorded: Numerics, here: Numerics, what: str) -> None:
    """Raise :class:`NasbenchError` if numbers trained under ``here`` cannot join a table recorded as ``recorded``."""
    found = recorded.differences(here)
    if found:
        raise NasbenchError(f"{what} was trained under {', '.join(found)}, so entries trained here would not be "
                            f"comparable with its own (the pinned CPU build: {INSTALL_HINT})")
