"""The folders form layers: each imports only folders of its own layer or below, and no folder-level cycle.

Every import counts, at module level and inside functions (read with ``ast``, nothing is executed):

* ``core`` (and the ``schemas`` data package) is the ground: it imports no other folder of the project;
* ``parsers/bp_xml``, ``parsers/csv_forms``, ``warehouse``, ``tso``, ``reconcile`` and ``sample_data`` stand on
  it and may import one another as long as no cycle forms;
* ``flows`` stands on them; ``takuso`` (the CLI) is on top and nothing else imports it.

A folder is a node (``takuso/commands`` is its own node, inside the ``takuso`` layer). Tests and benchmarks
may import anything and are not walked; nothing of the product imports them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# folder (or its top) → layer; a folder not listed here fails the check, so a new one gets a place.
LAYERS: dict[str, int] = {
    "core": 0,
    "schemas": 0,
    "parsers": 1,
    "parsers/bp_xml": 1,
    "parsers/csv_forms": 1,
    "warehouse": 1,
    "tso": 1,
    "reconcile": 1,
    "sample_data": 1,
    "flows": 2,
    "takuso": 3,
}
CLI = "takuso"
OUTSIDE = ("tests", "bench")  # test and benchmark code: nothing of the product imports it
WALKED = ("core", "schemas", "parsers", "warehouse", "tso", "reconcile", "sample_data", "flows", "takuso")


def modules(root: Path) -> Iterator[Path]:
    """Every project source file under the walked top-level folders."""
    for top in WALKED:
        folder = root / top
        if folder.is_dir():
            yield from sorted(p for p in folder.rglob("*.py") if "small" not in p.relative_to(root).parts)


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(root: Path, path: Path) -> Iterator[tuple[int, str]]:
    """(line, dotted module) for every import in ``path``, relative ones resolved; ``from a import b`` gives
    ``a.b`` (a module or a name in ``a``: :func:`folder_of` sorts that out)."""
    tree = ast.parse(path.read_bytes(), filename=str(path))
    package = module_name(root, path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module.split(".") if node.module else []
            if node.level:
                base = package[: len(package) - node.level + 1] + base
            for alias in node.names:
                yield node.lineno, ".".join([*base, alias.name])


def folder_of(root: Path, dotted: str) -> str | None:
    """The project folder that holds module ``dotted`` (or the module that defines it), None if not ours."""
    parts = dotted.split(".")
    if parts[0] not in WALKED:
        return None
    while parts:
        target = root.joinpath(*parts)
        if (target / "__init__.py").is_file():
            return "/".join(parts)
        if target.with_suffix(".py").is_file():
            return "/".join(parts[:-1])
        parts = parts[:-1]
    return None


def layer_of(folder: str) -> int | None:
    """The layer of the longest declared prefix of ``folder``."""
    parts = folder.split("/")
    for n in range(len(parts), 0, -1):
        layer = LAYERS.get("/".join(parts[:n]))
        if layer is not None:
            return layer
    return None


def import_graph(root: Path) -> dict[tuple[str, str], list[str]]:
    """(importing folder, imported folder) → where (``file:line``), for imports that cross folders."""
    edges: dict[tuple[str, str], list[str]] = {}
    for path in modules(root):
        source = path.parent.relative_to(root).as_posix()
        for line, dotted in imported_names(root, path):
            target = folder_of(root, dotted)
            where = f"{path.relative_to(root).as_posix()}:{line}"
            if target is not None and target != source and where not in edges.get((source, target), []):
                edges.setdefault((source, target), []).append(where)
    return edges


def cycles(edges: dict[tuple[str, str], list[str]]) -> list[list[str]]:
    """The strongly connected components with more than one folder (Tarjan's algorithm)."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def outside_imports(root: Path) -> list[str]:
    """Imports of test or benchmark code from the product."""
    return [
        f"{path.relative_to(root).as_posix()}:{line} imports {dotted} (test or benchmark code)"
        for path in modules(root)
        for line, dotted in imported_names(root, path)
        if dotted.split(".")[0] in OUTSIDE
    ]


def violations(root: Path) -> list[str]:
    """Every broken rule, one line each, with the file and line of the import."""
    edges = import_graph(root)
    out = outside_imports(root)
    for (source, target), where in sorted(edges.items()):
        src_layer, dst_layer = layer_of(source), layer_of(target)
        if src_layer is None or dst_layer is None:
            unknown = source if src_layer is None else target
            out.append(f"folder {unknown} has no layer in LAYERS ({where[0]})")
        elif target.split("/")[0] == CLI and source.split("/")[0] != CLI:
            out.append(f"{source} imports the CLI {target} ({', '.join(where)})")
        elif dst_layer > src_layer:
            out.append(f"{source} (layer {src_layer}) imports {target} (layer {dst_layer}) ({', '.join(where)})")
    for component in cycles(edges):
        inside = [f"{a} → {b} ({w[0]})" for (a, b), w in sorted(edges.items()) if a in component and b in component]
        out.append("import cycle between folders: " + "; ".join(inside))
    return out


def test_no_folder_imports_a_folder_above_it_and_no_cycle() -> None:
    problems = violations(ROOT)
    assert not problems, "\n".join(problems)


def test_every_walked_folder_has_a_layer() -> None:
    folders = {p.parent.relative_to(ROOT).as_posix() for p in modules(ROOT)}
    assert {f for f in folders if layer_of(f) is None} == set()


def test_every_package_docstring_says_its_job_and_what_it_may_import() -> None:
    missing = []
    for init in (p for p in modules(ROOT) if p.name == "__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_bytes())) or ""
        if "may import" not in doc.lower():
            missing.append(init.relative_to(ROOT).as_posix())
    assert not missing, f"package docstrings that do not say what they may import: {missing}"


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


LOWER = {"core/__init__.py": "", "core/areas.py": "X = 1\n", "tso/__init__.py": "", "flows/__init__.py": ""}


def test_the_check_finds_an_import_of_the_cli_inside_a_function(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            **LOWER,
            "takuso/__init__.py": "",
            "takuso/cli.py": "import tso\n",
            "tso/client.py": "def run():\n    from takuso.cli import app\n    return app\n",
        },
    )
    assert violations(root) == [
        "tso imports the CLI takuso (tso/client.py:2)",
        "import cycle between folders: takuso → tso (takuso/cli.py:1); tso → takuso (tso/client.py:2)",
    ]


def test_the_check_finds_a_ground_module_importing_upwards_by_a_relative_import(tmp_path: Path) -> None:
    root = _tree(tmp_path, {**LOWER, "core/config.py": "from ..tso import client\n", "tso/client.py": ""})
    assert violations(root) == ["core (layer 0) imports tso (layer 1) (core/config.py:1)"]


def test_the_check_finds_a_cycle_inside_one_layer(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            **LOWER,
            "warehouse/__init__.py": "",
            "warehouse/catalog.py": "import reconcile.checks\n",
            "reconcile/__init__.py": "",
            "reconcile/checks.py": "from warehouse import catalog\n",
        },
    )
    [problem] = violations(root)
    assert problem.startswith("import cycle between folders: reconcile → warehouse")


def test_the_check_finds_the_product_importing_test_code(tmp_path: Path) -> None:
    root = _tree(tmp_path, {**LOWER, "tso/sim.py": "def make():\n    from tests.tso_fixtures import make_zip\n"})
    assert violations(root) == ["tso/sim.py:2 imports tests.tso_fixtures.make_zip (test or benchmark code)"]


def test_the_check_passes_a_tree_that_imports_downwards(tmp_path: Path) -> None:
    root = _tree(tmp_path, {**LOWER, "flows/run.py": "import tso\nfrom core.areas import X\n"})
    assert violations(root) == []


@pytest.mark.parametrize("folder", ["core", "takuso/commands", "parsers/bp_xml"])
def test_declared_folders_have_a_layer(folder: str) -> None:
    assert layer_of(folder) is not None
