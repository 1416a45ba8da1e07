"""NAS-Bench-201 importer: the v1.0 / v1.1 ``.pth`` files, read without torch.

Source: Dong & Yang, "NAS-Bench-201: Extending the Scope of Reproducible Neural Architecture Search",
ICLR 2020 (MIT). The file is a torch container around a dict ``{'meta_archs', 'arch2infos',
'evaluated_indexes'}`` with ``arch2infos[index] = {'less': ArchResults state, 'full': ...}``: the same
records as NATS-Bench tss, with 'less' the hp-12 schedule and 'full' the hp-200 one. Both torch
containers are read here by hand and unpickled with :data:`NB201_GLOBALS` only:

- zip (torch >= 1.6): a zip archive whose ``<name>/data.pkl`` holds the object and ``<name>/version``
  the container version;
- legacy: consecutive pickles (magic number, protocol version 1001, system info, the object, storage keys).

A tensor inside the file (a persistent id) is refused, as is any global outside the allow-list.
The whole object is unpickled at once (the format is one pickle), so memory grows with the file; the
NATS-tss fast-mode directory holds the same records and converts in bounded memory. Tables are those of
:mod:`nasbench.importers.nats` with prefix ``nb201`` (``nb201-cifar10-valid-hp200``, ``nb201-cifar10-paper``).

Example:
    >>> convert("NAS-Bench-201-v1_1-096897.pth", "data")  # doctest: +SKIP
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import IO, Any

from nasbench.errors import NasbenchError
from nasbench.importers import nats
from nasbench.importers.registry import Importer, ImportOptions, register_importer
from nasbench.importers.unpickle import PROTOCOL2_BYTES, SETS, restricted_load

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001
ZIP_VERSIONS = ("1", "2", "3")
VERSIONS = ("v1_0-e61699", "v1_1-096897")
_VERSIONED = re.compile(r"NAS-Bench-201-(v\d+_\d+-[0-9a-f]{6})")
#: the NATS records' globals, plus what torch's default pickle protocol 2 needs for bytes and the
#: ``evaluated_indexes`` set
NB201_GLOBALS = nats.NATS_GLOBALS | PROTOCOL2_BYTES | SETS

FLAVOUR = nats.Flavour("nb201", "nb201", "NAS-Bench-201 (Dong & Yang, ICLR 2020)", "nb201", 15625, ("12", "200"),
                       VERSIONS, nats.FLAVOURS["nats-tss"].make_space, hp_names={"less": "12", "full": "200"})


def load_torch_file(path: str | Path, *, what: str) -> Any:
    """The object in a torch file (zip or legacy container), unpickled with :data:`NB201_GLOBALS`."""
    path = Path(path)
    if path.is_dir():
        raise NasbenchError(f"{path} is a directory; expected a NAS-Bench-201 .pth file")
    if not path.is_file():
        raise NasbenchError(f"no NAS-Bench-201 file at {path}")
    if zipfile.is_zipfile(path):
        return _load_zip(path, what)
    with open(path, "rb") as stream:
        return _load_legacy(stream, path, what)


def _load_zip(path: Path, what: str) -> Any:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            data = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
            if len(data) != 1:
                raise NasbenchError(f"{path} is a zip archive but not a torch file (no single <name>/data.pkl)")
            version_name = data[0].rsplit("/", 1)[0] + "/version"
            if version_name in names:
                version = archive.read(version_name).decode("ascii", "replace").strip()
                if version not in ZIP_VERSIONS:
                    raise NasbenchError(f"{path} is a torch zip container of version {version!r}, which this reader "
                                        f"does not know (it reads {', '.join(ZIP_VERSIONS)})")
            with archive.open(data[0]) as stream:
                return restricted_load(stream, NB201_GLOBALS, what=what)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise NasbenchError(f"cannot read {path}: the zip container is damaged or truncated ({exc})") from None


def _load_legacy(stream: IO[bytes], path: Path, what: str) -> Any:
    header = stream.read(2)
    stream.seek(0)
    if header[:1] != b"\x80":
        raise NasbenchError(f"{path} is not a torch file (neither a zip archive nor a legacy torch pickle stream)")
    magic = restricted_load(stream, (), what=f"{what} (magic number)")
    if magic != MAGIC_NUMBER:
        raise NasbenchError(f"{path} is a pickle but not a legacy torch file "
                            "(its first value is not torch's magic number)")
    protocol = restricted_load(stream, (), what=f"{what} (protocol version)")
    if protocol != LEGACY_PROTOCOL:
        raise NasbenchError(f"{path} uses legacy torch protocol version {protocol!r}; "
                            f"this reader knows {LEGACY_PROTOCOL}")
    restricted_load(stream, (), what=f"{what} (system information)")
    return restricted_load(stream, NB201_GLOBALS, what=what)


def check_version(path: Path) -> str:
    match = _VERSIONED.search(path.name)
    if match is None:
        return "unversioned (renamed file)"
    if match.group(1) not in VERSIONS:
        raise NasbenchError(f"{path.name} is NAS-Bench-201 version {match.group(1)}, which this importer does not know "
                            f"(it reads {', '.join(VERSIONS)})")
    return f"NAS-Bench-201-{match.group(1)}"


def convert(path: str | Path, out_dir: str | Path, *, progress: bool = False) -> list[Path]:
    """Convert a NAS-Bench-201 ``.pth`` file into tables in ``out_dir``; returns their paths."""
    path = Path(path)
    version = check_version(path)
    data = load_torch_file(path, what=f"NAS-Bench-201 file {path}")
    if not isinstance(data, dict) or "meta_archs" not in data or "arch2infos" not in data:
        raise NasbenchError(f"{path} is a torch file but not NAS-Bench-201 (no meta_archs/arch2infos)")
    archs = list(data["meta_archs"])
    if len(archs) != FLAVOUR.n_archs:
        raise NasbenchError(f"{path} lists {len(archs)} architectures; NAS-Bench-201 has {FLAVOUR.n_archs}")
    infos = data["arch2infos"]
    if not isinstance(infos, dict) or not infos:
        raise NasbenchError(f"{path} holds no records (arch2infos is empty)")
    indexes = sorted(int(i) for i in infos)
    return nats.convert_records(((i, infos[i]) for i in indexes), archs=archs, indexes=indexes, flavour=FLAVOUR,
                                out_dir=out_dir, version=version, source=path.name, progress=progress)


@register_importer
class Nb201Importer(Importer):
    name = "nb201"
    help = "NAS-Bench-201: the NAS-Bench-201-v1_0-e61699.pth or v1_1-096897.pth file"

    def convert(self, path: Path, out: Path, options: ImportOptions) -> list[Path]:
        return convert(path, out, progress=options.progress)
