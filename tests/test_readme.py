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
* from the first block that trains (``nasbench build`` or ``on_miss="train"``) on, the blocks need the
  ``train`` extra; without torch the rest is skipped.
"""

from __future__ import annotations

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
_FENCE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)")


class Block(NamedTuple):
    language: str
    line: int  # 1-based line of the opening fence
    text: str


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
        index += 1
        body = []
        while index < len(lines) and not lines[index].lstrip().startswith(fence):
            body.append(lines[index])
            index += 1
        blocks.append(Block(language, start + 1, "\n".join(body) + "\n"))
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


def run_blocks(blocks: list[Block], cwd: Path) -> None:
    """Run the runnable blocks in order in ``cwd`` (the rules of this module's docstring)."""
    namespace: dict = {"__name__": "readme"}
    for block in blocks:
        if _trains(block) and importlib.util.find_spec("torch") is None:
            pytest.skip(f"README's blocks from line {block.line} on train models: they need the train extra")
        if block.language == "python":
            exec(compile(block.text, f"README.md (block at line {block.line})", "exec"), namespace)
        elif block.language == "console":
            for command in console_commands([block]):
                _run_command(command, cwd)


def test_readme_blocks_run_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert any(b.language == "python" for b in BLOCKS), "README.md has no ```python block"
    assert COMMANDS, "README.md has no ```console command"
    (tmp_path / "data").symlink_to(REPO / "data")
    monkeypatch.chdir(tmp_path)
    from nasbench.report.sections import SECTIONS
    from strategies.base import REGISTRY

    # the "Extending" examples register a strategy and a report section: later tests must not see them
    before = {id(registry): set(registry) for registry in (REGISTRY, SECTIONS)}
    try:
        run_blocks(BLOCKS, tmp_path)
    finally:
        for registry in (REGISTRY, SECTIONS):
            for name in set(registry) - before[id(registry)]:
                del registry[name]


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
    commands = console_commands(blocks)
    assert [(c.line, c.argv, c.expected, c.shell) for c in commands] == [
        (10, ["printf", "x\\n", ">", "archs.txt"], [], "printf 'x\\n' > archs.txt"),
        (11, ["nasbench", "list"], ["nbgraph-cora", "..."], ""),
        (14, ["nasbench", "query", "nbgraph-cora", "3", "--metric", "latency"], [], ""),
    ]
    assert _shown_in(["b", "...", "d"], ["a", " b", "c", "d "]) and not _shown_in(["d", "b"], ["b", "d"])
