"""The package's folders import one way (STYLE.md: source → pose → kinematics → reps → faults
→ report, the analysis engine and pipeline above them, storage, web, live and the CLI as
edges): no stage imports a later one, and no two folders import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "psoas_coach"
#: The pipeline's stages in order, each allowed to import only the stages before it.
STAGES = ["source", "pose", "kinematics", "reps", "faults", "report", "engine", "pipeline"]
#: Modules every stage may use (no psoas_coach imports of their own beyond these).
BASE = {"config", "exceptions", "atomic", "__init__"}


def unit_of(module: str) -> str:
    """The folder (or top-level module) of ``psoas_coach.X.Y``: ``X``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports() -> dict[str, set[str]]:
    """For every folder or top-level module, the others it imports (at any depth)."""
    edges: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        unit = unit_of(".".join(rel.parts))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("psoas_coach.") and unit_of(name) != unit:
                    edges.setdefault(unit, set()).add(unit_of(name))
    return edges


def test_the_import_graph_is_read_from_the_code() -> None:
    graph = imports()
    assert {"kinematics", "reps", "faults", "engine"} <= graph.keys()
    assert "reps" in graph["faults"] and "kinematics" in graph["engine"]


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_only_the_stages_before_it(stage: str) -> None:
    allowed = set(STAGES[: STAGES.index(stage)]) | BASE
    assert imports().get(stage, set()) <= allowed


def test_no_two_folders_import_each_other() -> None:
    graph = imports()
    pairs = {
        tuple(sorted((a, b))) for a, deps in graph.items() for b in deps if a in graph.get(b, ())
    }
    assert pairs == set()
