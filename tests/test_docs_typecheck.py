"""Every Python block of README.md and docs/*.md type-checks as user code: ``mypy --strict``
and pyright in strict mode, as they come, with the names a block takes from its prose.

A block's free names are declared in an HTML comment right above it, which the rendered page
hides: ``<!-- given: oneall: AsyncOneAll; config: CallbackConfig -->`` (each ``name: type``;
a ``from ... import ...`` there is added as is). A block with a top-level ``await`` runs inside
an ``async def``, as it would in a user's coroutine. A second check feeds both checkers typos
and misuses and requires each to be caught, so this test cannot pass by checking nothing.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(
    r"(?:<!--\s*given:(?P<given>(?:(?!-->).)*)-->\s*\n)?(?:<!--(?:(?!-->).)*-->\s*\n)*"
    r"^```python\n(?P<code>.*?)^```",
    re.S | re.M,
)
# Names every block may use without a comment: the credentials its prose tells you to fill in.
COMMON = "PUB: str; PRIV: str; USER_TOKEN: str; identity_token: str"

pytestmark = pytest.mark.skipif(
    shutil.which("pyright", path=str(Path(sys.executable).parent)) is None,
    reason="the dev dependency group (mypy, pyright) is not installed",
)


@attrs.frozen
class Block:
    source: str  # "README.md:42"
    code: str
    given: str


def blocks() -> list[Block]:
    found = []
    for document in DOCUMENTS:
        text = document.read_text()
        for match in _BLOCK.finditer(text):
            line = text.count("\n", 0, match.start("code")) + 1
            found.append(
                Block(
                    source=f"{document.relative_to(ROOT)}:{line}",
                    code=match.group("code"),
                    given=" ".join((match.group("given") or "").split()),
                )
            )
    return found


def _declarations(given: str) -> tuple[list[str], list[str]]:
    imports, names = [], []
    for part in filter(None, (p.strip() for p in f"{COMMON}; {given}".split(";"))):
        if part.startswith(("from ", "import ")):
            imports.append(part)
        else:
            name, _, kind = part.partition(":")
            names.append(f"{name.strip()}: {kind.strip()} = cast({kind.strip()!r}, None)")
    return imports, names


def _awaits_at_top_level(code: str) -> bool:
    tree = ast.parse(code)
    outer = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return any(
        isinstance(node, (ast.Await, ast.AsyncWith, ast.AsyncFor))
        for statement in outer
        for node in ast.walk(statement)
    )


def module_for(block: Block) -> str:
    imports, names = _declarations(block.given)
    header = [
        f"# {block.source}",
        "from __future__ import annotations",
        "",
        "from typing import cast",
        *imports,
        "",
        *names,
        "",
    ]
    code = block.code
    if _awaits_at_top_level(code):
        code = "async def example() -> None:\n" + textwrap.indent(code, "    ")
    return "\n".join(header) + "\n" + code


def _write(directory: Path, sources: dict[str, str]) -> list[Path]:
    paths = []
    for name, text in sources.items():
        path = directory / name
        path.write_text(text)
        paths.append(path)
    (directory / "pyrightconfig.json").write_text(
        json.dumps({"typeCheckingMode": "strict", "reportMissingModuleSource": "none"})
    )
    return paths


def run_mypy(paths: list[Path]) -> str:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "mypy", "--strict", "--no-error-summary"),
            *("--enable-error-code", "deprecated", *map(str, paths)),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return done.stdout + done.stderr


def run_pyright(directory: Path) -> str:
    pyright = str(Path(sys.executable).parent / "pyright")
    done = subprocess.run(
        [pyright, "--pythonpath", sys.executable, "-p", str(directory / "pyrightconfig.json")],
        capture_output=True,
        text=True,
        cwd=directory,
    )
    return done.stdout + done.stderr


# Error lines: "f.py:3: error: ..." from mypy, "  /dir/f.py:3:5 - error: ..." from pyright.
_ERROR = re.compile(r"(?P<file>[^\s:]+\.py):(?P<line>\d+)(?::\d+)?(?::| -) error")


def _errors(output: str) -> list[tuple[str, int, str]]:
    found = []
    for line in output.splitlines():
        match = _ERROR.search(line)
        if match:
            found.append((Path(match["file"]).name, int(match["line"]), line.strip()))
    return found


def test_the_documents_have_python_blocks() -> None:
    found = blocks()
    assert len(found) >= 10
    assert any(b.source.startswith("README.md") for b in found)


def test_every_block_passes_mypy_strict_and_pyright_strict(tmp_path: Path) -> None:
    sources = {f"block_{i:02d}.py": module_for(block) for i, block in enumerate(blocks())}
    paths = _write(tmp_path, sources)
    where = {path.name: sources[path.name].splitlines()[0] for path in paths}
    for checker, output in (("mypy", run_mypy(paths)), ("pyright", run_pyright(tmp_path))):
        errors = _errors(output)
        named = [f"{where.get(name, '?')}: {text}" for name, _, text in errors]
        assert not errors, f"{checker} finds errors in documented code:\n" + "\n".join(named)
        if checker == "pyright":
            assert "0 errors" in output, output  # it did check them


MISUSES = """\
from oneall_push import AsyncOneAll
from oneall_push.xmedia import AsyncXMedia


async def misuse(client: AsyncOneAll, x: AsyncXMedia) -> None:
    await client.youtube.create_playlist("t", title="x", privacy_status="publik")  # L6
    await client.twitter.publish_tweet("t", message="m", attachments="123")  # L7
    await client.facebook.publish_user_post("t", message="m")  # L8
    await x.upload("a.mp4", target="tweets")  # L9
    picture = await client.twitter.upload_picture("t", url="https://e.com/a.png")
    wrong: int = picture.picture_id  # L11
    print(wrong)
"""


def test_the_checkers_catch_typos_bare_strings_deprecations_and_id_types(
    tmp_path: Path,
) -> None:
    paths = _write(tmp_path, {"misuse.py": MISUSES})
    for checker, output in (("mypy", run_mypy(paths)), ("pyright", run_pyright(tmp_path))):
        lines = {line for name, line, _ in _errors(output) if name == "misuse.py"}
        assert lines == {6, 7, 8, 9, 11}, f"{checker}:\n{output}"
