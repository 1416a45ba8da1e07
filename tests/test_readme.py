"""README's promises run as tests.

Rules, read from README.md's fenced blocks each time (the file's structure may change freely). The
runnable blocks run in the order they appear, in one scratch working directory whose ``data/`` is
the repository's, so that a block may use a file an earlier one wrote:

* every ```python block runs, in one shared namespace (a block may use names an earlier block defined);
* in ```console blocks, each line starting with ``$ nasbench `` is a command that must exit 0; it runs as
  ``python -m nasbench.cli ...``. The lines after a command, up to the next ``$`` line, are its expected
  output: each must appear among the command's output lines, in order (surrounding whitespace
  ignored); a line ``...`` stands for any output. ``$ printf ... > FILE`` lines run too (they write an
  input file); other ``$`` lines (``pip install``...) are shown, not run.
* ```bash blocks and bare ``` blocks are not run: they hold installs, long jobs and usage synopses
  with placeholders (``nasbench query NAME ARCH``). Put a command in a ```console block to have it run.
* a block whose fence names extras after its language (```` ```python extra=mo ````; GitHub shows only the
  language) runs where those extras are installed and is skipped elsewhere; a block that trains
  (``nasbench build`` or ``on_miss="train"``) must name ``extra=train``. Every other block must run on
  the base install alone: ``test_readme_runs_on_the_base_install`` runs them with every product extra
  hidden.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from conftest import REPO

README = REPO / "README.md"
_FENCE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)(.*)")
PYPROJECT = REPO / "pyproject.toml"
# the extras a user may lack; test and dev run the suite itself, peer is a side-by-side check
PRODUCT_EXTRAS = ("train", "import", "optuna", "configspace", "mo", "ray")


class Block(NamedTuple):
    language: str
    line: int  # 1-based line of the opening fence
    text: str
    extras: tuple[str, ...] = ()  # named on the fence: ```python extra=mo


class Command(NamedTuple):
    line: int
    argv: list[str]
    expected: list[str]
    shell: str = ""  # a file-writing ``printf ... > FILE`` line, run by the shell


def fenced_blocks(text: str) -> list[Block]:
    """The fenced code blocks of a Markdown text, in order."""
    blocks, lines = [], text.splitlines()
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index].lstrip())
        if match is None:
            index += 1
            continue
        fence, language, start = match.group(1), match.group(2).lower(), index
        extras = tuple(word.removeprefix("extra=") for word in match.group(3).split() if word.startswith("extra="))
        index += 1
        body = []
        while index < len(lines) and not lines[index].lstrip().startswith(fence):
            body.append(lines[index])
            index += 1
        blocks.append(Block(language, start + 1, "\n".join(body) + "\n", extras))
        index += 1
    return blocks


def console_commands(blocks: list[Block]) -> list[Command]:
    """The ``$ nasbench ...`` lines of the console blocks with the output lines shown after each."""
    commands: list[Command] = []
    for block in (b for b in blocks if b.language == "console"):
        current: Command | None = None
        for offset, line in enumerate(block.text.splitlines(), start=1):
            if line.startswith("$ "):
                argv = shlex.split(line[2:])
                current = None
                if argv[:1] == ["nasbench"]:
                    current = Command(block.line + offset, argv, [])
                elif argv[:1] == ["printf"] and ">" in argv:
                    current = Command(block.line + offset, argv, [], shell=line[2:])
                if current is not None:
                    commands.append(current)
            elif current is not None and line.strip():
                current.expected.append(line.strip())
    return commands


def _shown_in(expected: list[str], output: list[str]) -> bool:
    position = 0
    for line in expected:
        if line == "...":
            continue
        while position < len(output) and output[position].strip() != line:
            position += 1
        if position == len(output):
            return False
        position += 1
    return True


BLOCKS = fenced_blocks(README.read_text(encoding="utf-8"))
COMMANDS = console_commands(BLOCKS)


def _trains(block: Block) -> bool:
    return "nasbench build" in block.text or 'on_miss="train"' in block.text


def _run_command(command: Command, cwd: Path) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    if command.shell:
        done = subprocess.run(["bash", "-c", command.shell], capture_output=True, text=True, cwd=cwd, timeout=60)
    else:
        done = subprocess.run([sys.executable, "-m", "nasbench.cli", *command.argv[1:]], capture_output=True,
                              text=True, cwd=cwd, env=env, timeout=600)
    assert done.returncode == 0, f"README line {command.line}: {shlex.join(command.argv)}\n{done.stderr}"
    assert _shown_in(command.expected, done.stdout.splitlines()), \
        f"README line {command.line}: output differs from what README shows\n{done.stdout}"


def _requirements(extra: str) -> list[str]:
    try:
        import tomllib
    except ImportError:  # Python 3.10: the installed metadata says the same
        from importlib.metadata import requires

        marker = f'extra == "{extra}"'
        return [r.split(";")[0] for r in requires("nasbench") or [] if marker in r]
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["optional-dependencies"][extra]


@functools.cache
def extra_modules(extra: str) -> list[str]:
    """The top-level modules of an extra's distributions, read from pyproject.toml and what is installed."""
    from importlib.metadata import packages_distributions

    wanted = {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in _requirements(extra)}
    return sorted(module for module, dists in packages_distributions().items()
                  if any(d.lower().replace("_", "-") in wanted for d in dists) and not module.startswith("_"))


def _has_extra(extra: str) -> bool:
    modules = extra_modules(extra)
    return bool(modules) and all(importlib.util.find_spec(m) is not None for m in modules)


def run_blocks(blocks: list[Block], cwd: Path) -> list[int]:
    """Run the runnable blocks in order in ``cwd`` (the rules of this module's docstring); the lines of
    the blocks skipped for a missing extra."""
    namespace: dict = {"__name__": "readme"}
    skipped: list[int] = []
    for block in blocks:
        assert block.language not in ("python", "console") or not _trains(block) or "train" in block.extras, \
            f"README line {block.line}: a block that trains must name its extra (```{block.language} extra=train)"
        if not all(_has_extra(extra) for extra in block.extras):
            skipped.append(block.line)
            continue
        if block.language == "python":
            exec(compile(block.text, f"README.md (block at line {block.line})", "exec"), namespace)
        elif block.language == "console":
            for command in console_commands([block]):
                _run_command(command, cwd)
    return skipped


def test_readme_blocks_run_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert any(b.language == "python" for b in BLOCKS), "README.md has no ```python block"
    assert COMMANDS, "README.md has no ```console command"
    (tmp_path / "data").symlink_to(REPO / "data")
    monkeypatch.chdir(tmp_path)
    from nasbench.report.sections import SECTIONS
    from nasbench.strategies.base import REGISTRY

    # the "Extending" examples register a strategy and a report section: later tests must not see them
    before = {id(registry): set(registry) for registry in (REGISTRY, SECTIONS)}
    try:
        skipped = run_blocks(BLOCKS, tmp_path)
    finally:
        for registry in (REGISTRY, SECTIONS):
            for name in set(registry) - before[id(registry)]:
                del registry[name]
    if skipped:
        pytest.skip(f"README blocks at lines {skipped} need extras that are not installed")


_HIDE = """
import sys
for name in {modules!r}:
    sys.modules[name] = None  # import raises ModuleNotFoundError; importlib.util.find_spec gives None
"""


def test_readme_runs_on_the_base_install(tmp_path: Path) -> None:
    """The unmarked blocks run with every product extra hidden (as on ``pip install nasbench``); only the
    blocks marked with an extra, and the training tail, are skipped."""
    hidden = sorted({m for extra in PRODUCT_EXTRAS for m in extra_modules(extra)})
    assert "torch" in hidden or importlib.util.find_spec("torch") is None
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_HIDE.format(modules=hidden), encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    (work / "data").symlink_to(REPO / "data")
    script = ("import json, sys; sys.path.insert(0, sys.argv[1]); import test_readme as t; "
              "print(json.dumps(t.run_blocks(t.BLOCKS, t.Path.cwd())))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(REPO)]))
    done = subprocess.run([sys.executable, "-c", script, str(REPO / "tests")], capture_output=True, text=True,
                          cwd=work, env=env, timeout=900)
    assert done.returncode == 0, f"README on the base install:\n{done.stderr[-3000:]}"
    import json

    skipped = json.loads(done.stdout.splitlines()[-1])
    assert skipped == [b.line for b in BLOCKS if b.extras]


SAMPLE = """
Intro.

```python
x = 1
```

```console
$ pip install -e .
$ printf 'x\\n' > archs.txt
$ nasbench list
nbgraph-cora
...
$ nasbench query nbgraph-cora 3 --metric latency
```

```
nasbench query NAME ARCH
```

~~~bash
nasbench compare
~~~
"""


def test_the_rules_select_python_and_console_commands_only() -> None:
    blocks = fenced_blocks(SAMPLE)
    assert [(b.language, b.line) for b in blocks] == [("python", 4), ("console", 8), ("", 17), ("bash", 21)]
    assert fenced_blocks("```python extra=mo extra=train\nx\n```\n")[0].extras == ("mo", "train")
    commands = console_commands(blocks)
    assert [(c.line, c.argv, c.expected, c.shell) for c in commands] == [
        (10, ["printf", "x\\n", ">", "archs.txt"], [], "printf 'x\\n' > archs.txt"),
        (11, ["nasbench", "list"], ["nbgraph-cora", "..."], ""),
        (14, ["nasbench", "query", "nbgraph-cora", "3", "--metric", "latency"], [], ""),
    ]
    assert _shown_in(["b", "...", "d"], ["a", " b", "c", "d "]) and not _shown_in(["d", "b"], ["b", "d"])


def test_the_strategy_table_names_every_registered_strategy_once() -> None:
    from nasbench.strategies.base import REGISTRY

    text = README.read_text(encoding="utf-8")
    table = text[text.index("| name | strategy |"):].split("\n\n")[0]
    rows = [row for row in table.splitlines()[2:] if row.startswith("|")]
    names = [name for row in rows for name in re.findall(r"`([a-z0-9-]+)`", row.split("|")[1])]
    assert sorted(names) == sorted(REGISTRY), "README's strategy table differs from the registry"
