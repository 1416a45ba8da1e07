"""Install hints name the extra (``pip install "nasbench[mo]"``), which works from a wheel as from a
checkout; ``pip install -e ".[mo]"`` works only in a checkout."""

from __future__ import annotations

import re

from conftest import REPO

from nasbench.errors import install_hint
from nasbench.train import numerics


def test_no_message_or_docstring_asks_for_an_editable_install() -> None:
    sources = [*(REPO / "nasbench").rglob("*.py"), *(REPO / "strategies").rglob("*.py")]
    editable = [f"{path.relative_to(REPO)}:{number}" for path in sources
                for number, line in enumerate(path.read_text().splitlines(), 1) if "pip install -e" in line]
    assert editable == []


def test_every_hinted_extra_exists_and_the_torch_pin_is_the_train_extras() -> None:
    table = (REPO / "pyproject.toml").read_text().split("[project.optional-dependencies]")[1].split("\n[")[0]
    extras = dict(re.findall(r"^(\w+) = (\[.*\])$", table, flags=re.M))  # tomllib is Python >= 3.11
    hinted = {name for path in [*(REPO / "nasbench").rglob("*.py"), *(REPO / "strategies").rglob("*.py")]
              for name in re.findall(r"install_hint\('(\w+)'", path.read_text())}
    assert hinted and hinted <= set(extras), hinted - set(extras)
    assert '"torch==2.13.0"' in extras["train"]
    assert numerics.INSTALL_HINT == install_hint("train", "torch==2.13.0")
