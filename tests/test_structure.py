"""The package's shape, read from its source with `ast`: no import cycle, small modules, one
module that changes a run's status, one that reads the environment (mirrored by the README),
and the Train page's pure parts usable without Streamlit."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mnist_cnn import settings

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mnist_cnn"
MAX_LINES = 450


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path) -> set[str]:
    """Every module `path` imports anywhere: at the top, inside functions, and under
    `if TYPE_CHECKING`. `from package import name` counts as importing package.name when that
    is one of ours, else the package. (Importing a.b.c also runs a/__init__ and a.b/__init__:
    those implicit parent imports are no edges, as in every import-cycle checker.)"""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                inner = f"{node.module}.{alias.name}"
                found.add(inner if inner in MODULES else node.module)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or None."""
    state: dict[str, str] = {}  # "open" while on the path, "done" once every path from it is

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return path[path.index(target) :] + [target]
            if target not in state and (cycle := visit(target, path + [target])):
                return cycle
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module, [module])):
            return cycle
    return None


def test_the_cycle_finder_finds_cycles_through_any_length():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def test_no_import_cycle_anywhere_in_the_package():
    graph = {name: (imports(path) & set(MODULES)) - {name} for name, path in MODULES.items()}
    assert graph["mnist_cnn.jobs"] >= {"mnist_cnn.jobs.local", "mnist_cnn.jobs.cluster"}
    assert "mnist_cnn.jobs.trainer" in graph["mnist_cnn.jobs.local"]  # edges are really read
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_no_module_is_over_450_lines():
    long = {name: lines for name, path in MODULES.items()
            if (lines := len(path.read_text().splitlines())) > MAX_LINES}  # fmt: skip
    assert long == {}


def status_assignments(path: Path) -> list[int]:
    """Lines that set something's `.status` (as a target, alone or in a tuple)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            elements = target.elts if isinstance(target, ast.Tuple) else [target]
            if any(isinstance(e, ast.Attribute) and e.attr == "status" for e in elements):
                lines.append(node.lineno)
    return lines


def test_only_the_lifecycle_module_changes_a_runs_status():
    setters = {name: lines for name, path in MODULES.items() if (lines := status_assignments(path))}
    # storage's ModelRecord.__post_init__ turns the word it was given into a Status: no change
    storage = MODULES["mnist_cnn.storage"].read_text().splitlines()
    assert [storage[line - 1].strip() for line in setters.pop("mnist_cnn.storage")] == [
        "self.status = Status(self.status)  # a word that is no Status raises ValueError"
    ]
    assert list(setters) == ["mnist_cnn.lifecycle"]


def environment_reads(path: Path) -> list[int]:
    """Lines that read os.environ or os.getenv (os.environ.setdefault, a write, is not one)."""
    tree = ast.parse(path.read_text())
    writes = {id(node.value) for node in ast.walk(tree)
              if isinstance(node, ast.Attribute) and node.attr == "setdefault"}  # fmt: skip
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in ("environ", "getenv")
        and id(node) not in writes
    ]


def test_only_the_settings_module_reads_environment_variables():
    readers = {name for name, path in MODULES.items() if environment_reads(path)}
    assert readers == {"mnist_cnn.settings"}


def test_the_readme_lists_every_environment_variable_the_package_reads():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Environment variables", 1)[1].split("\n#", 1)[0]
    listed = re.findall(r"^\| `([A-Z_]+)` \|", section, flags=re.MULTILINE)
    assert listed == list(settings.VARIABLES)
    with pytest.raises(ValueError, match="Received: name='HOME'"):
        settings.read("HOME")


def test_the_train_pages_pure_parts_import_without_streamlit():
    code = (
        "import sys\n"
        "import mnist_cnn.ui.train_parts, mnist_cnn.lifecycle, mnist_cnn.jobs\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'streamlit'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=True)  # fmt: skip
    assert result.stdout.strip() == "[]"


def test_streamlit_is_imported_only_by_the_pages():
    users = {name for name, path in MODULES.items()
             if any(module.split(".")[0] == "streamlit" for module in imports(path))}  # fmt: skip
    assert "mnist_cnn.ui.train_live" in users
    assert {name for name in users if not name.startswith("mnist_cnn.ui.")} == set()
