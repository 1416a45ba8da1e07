"""What decides a trained network's numbers besides its schedule, and how nasbench makes them portable.

Training is deterministic for one process (generators, one thread, deterministic algorithms), but
the same torch build computes different bits on different CPUs, because four libraries inside it
choose their code by the CPU they find: ATen's own kernels (``ATEN_CPU_CAPABILITY``: default, AVX2,
AVX-512), oneDNN's convolutions (``ONEDNN_MAX_CPU_ISA``), NNPACK's convolutions (AVX2 or none) and
MKL's matrix products. A rounding difference of one unit in the last place at the first step grows,
over a few hundred SGD steps, to points of accuracy (0.024 train accuracy on an ``nb201-mnist1d``
cell between two AVX-512 CPUs, both with ATen and oneDNN pinned to AVX2: MKL still chose its own
kernels).

``cpu_kernels="portable"`` (the default schedule) takes the one path every x86-64 CPU runs: ATen's
``default`` kernels (SSE2, no runtime dispatch), MKL's conditional-numerical-reproducibility branch
``MKL_CBWR=COMPATIBLE`` (the SSE2 code Intel documents as giving the same results on every Intel or
compatible CPU), oneDNN and NNPACK switched off (convolutions then run as im2col plus MKL's product),
one thread and deterministic algorithms. Measured on one AVX-512 machine with every other CPU
emulated by capping the instruction sets (``ONEDNN_MAX_CPU_ISA`` SSE41/AVX2/AVX512_CORE/unset x
``ATEN_CPU_CAPABILITY`` default/avx2/avx512, ``MKL_ENABLE_INSTRUCTIONS``, glibc's ``hwcaps`` without
FMA or AVX): the portable mode gives the same bits in every cell, the AVX2 pin does not
(``tests/test_portable_numerics.py``). It costs about 1.7x the training time of the AVX2 kernels.

``"avx2"`` is the earlier pin (ATen and oneDNN at AVX2, MKL and NNPACK left to the CPU): its numbers
hold only on CPUs whose MKL picks the same kernels. ``"native"`` leaves every choice to the CPU.
The variables must be set before torch runs its first kernel, so :func:`pin` is called at the start
of nasbench's own training processes (``nasbench build``, the builder's workers); a process that ran
torch before (a notebook, a test session) trains in a pinned child process instead (see
:func:`nasbench.train.trainer.train`). The two switches that are torch flags, not variables, are set
around each training run by :func:`backends`. Torch is imported only by the functions that need it.

Example:
    >>> KERNEL_ENV["portable"]["ATEN_CPU_CAPABILITY"], KERNEL_ENV["portable"]["MKL_CBWR"]
    ('default', 'COMPATIBLE')
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from nasbench.errors import NasbenchError

#: environment variables that select the kernels, per ``cpu_kernels`` setting
KERNEL_ENV: dict[str, dict[str, str]] = {
    "portable": {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "native": {},
}
#: the setting a schedule gets unless it names another
DEFAULT_KERNELS = "portable"
#: what torch reports (``torch.backends.cpu.get_cpu_capability()``) once pinned, per setting
_CAPABILITY = {"portable": "DEFAULT", "avx2": "AVX2"}
#: settings that train with oneDNN and NNPACK switched off (both dispatch by the CPU they find)
_NO_DISPATCHING_BACKENDS = {"portable"}
#: the train extra pins torch==2.13.0, the CPU build the shipped tables were trained with
INSTALL_HINT = 'pip install "nasbench[train]" torch==2.13.0'


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
    """Refuse a ``cpu_kernels`` setting other than ``portable``, ``avx2`` or ``native``."""
    if cpu_kernels not in KERNEL_ENV:
        raise NasbenchError(f"cpu_kernels must be one of {', '.join(KERNEL_ENV)}, not {cpu_kernels!r}")


def pin(cpu_kernels: str) -> None:
    """Select the kernels of ``cpu_kernels`` for this process; call it before torch runs a kernel."""
    check_kernels(cpu_kernels)
    os.environ.update(KERNEL_ENV[cpu_kernels])


@contextmanager
def backends(cpu_kernels: str) -> Iterator[None]:
    """Within the block, oneDNN and NNPACK are off where ``cpu_kernels`` asks so (restored after)."""
    import torch

    if cpu_kernels not in _NO_DISPATCHING_BACKENDS:
        yield
        return
    mkldnn, nnpack = torch._C._get_mkldnn_enabled(), torch._C._get_nnpack_enabled()
    torch._C._set_mkldnn_enabled(False)
    torch._C._set_nnpack_enabled(False)
    try:
        yield
    finally:
        torch._C._set_mkldnn_enabled(mkldnn)
        torch._C._set_nnpack_enabled(nnpack)


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
