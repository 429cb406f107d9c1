"""The layers import only downward: app.py → pages/ → ui/, lab/, figures/ → batchlab/, optimizers/ → surfaces/.
lab/ holds the model types and does not import figures/ (figures/ may read lab's types); nothing below ui/ imports
Streamlit."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {  # package: what none of its modules may import
    "surfaces": {"optimizers", "batchlab", "lab", "figures", "ui", "pages", "classroom", "streamlit"},
    "optimizers": {"batchlab", "lab", "figures", "ui", "pages", "classroom", "streamlit"},
    "batchlab": {"lab", "figures", "ui", "pages", "classroom", "streamlit"},
    "classroom": {"lab", "figures", "ui", "pages", "streamlit"},
    "lab": {"figures", "ui", "pages", "streamlit"},
    "figures": {"ui", "pages", "streamlit"},
    "ui": {"pages"},
}


def imported_roots(path: Path) -> set[str]:
    """The top-level names a module imports, wherever the import statement stands (also inside functions)."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_layer_imports_only_downward(package):
    offences = {str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN[package])
                for path in sorted((ROOT / package).rglob("*.py"))}
    assert {name: found for name, found in offences.items() if found} == {}


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from figures.map import x\n    import streamlit as st\n")
    assert imported_roots(module) == {"figures", "streamlit"}
