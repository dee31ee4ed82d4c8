"""Imports go one way: a module never imports a layer above its own.

Every module under ``bot/`` and ``adapters/`` is parsed with :mod:`ast`; every import counts,
including the ones inside functions and under ``TYPE_CHECKING``, because each of them is a
dependency someone has to follow. A new top-level module has no layer until it is added to
``LAYERS`` below, and the self-check fails until then.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parent.parent
PACKAGES: Final = ("bot", "adapters")

# Lowest first. A module may import its own layer and the ones before it.
LAYERS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    (
        "base",
        (
            "bot",
            "bot.config",
            "bot.config_reader",
            "bot.config_community",
            "bot.config_platforms",
            "bot.config_storage",
            "bot.log",
            "bot.proxy",
            "bot.metrics",
            "bot.egress",
            "bot.media",
            "bot.lenient",
            "bot.relay",
            "bot.store",
            "bot.sim",
        ),
    ),
    ("core", ("bot.core",)),
    ("jobs", ("bot.jobs",)),
    ("commands", ("bot.commands",)),
    ("adapters", ("adapters",)),
    (
        "app",
        (
            "bot.app", "bot.runtime", "bot.console", "bot.cli", "bot.__main__", "bot.check",
            "bot.backup",
        ),
    ),
)
_RANK: Final = {prefix: rank for rank, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes}
_NAMES: Final = [name for name, _ in LAYERS]


def layer_of(module: str) -> int | None:
    """Rank of ``module``'s layer: the longest listed prefix, where ``bot`` itself matches only
    ``bot`` (so a new ``bot.something`` is unclassified instead of silently base)."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in _RANK and (prefix != "bot" or end == len(parts)):
            return _RANK[prefix]
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def _is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imported_modules(tree: ast.AST, importer: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, module) for every import of our own packages anywhere in ``tree``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = importer.split(".")
                if not is_package:
                    anchor.pop()
                anchor = anchor[: len(anchor) - (node.level - 1)]
                source = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                source = node.module or ""
            for alias in node.names:
                # ``from bot import sim`` imports the module bot.sim, not the package bot.
                candidate = f"{source}.{alias.name}"
                found.append((node.lineno, candidate if _is_module(candidate) else source))
    return sorted({(line, name) for line, name in found if name.split(".")[0] in PACKAGES})


def violations(source: str, importer: str, where: str, is_package: bool = False) -> list[str]:
    own = layer_of(importer)
    if own is None:
        return [f"{where}: module {importer} has no layer in tests/test_layers.py"]
    problems = []
    for line, target in imported_modules(ast.parse(source), importer, is_package):
        rank = layer_of(target)
        if rank is None:
            problems.append(f"{where}:{line}: imports {target}, which has no layer")
        elif rank > own:
            problems.append(
                f"{where}:{line}: {importer} ({_NAMES[own]}) imports {target} ({_NAMES[rank]})"
            )
    return problems


def test_no_module_imports_a_higher_layer() -> None:
    problems = []
    for path in all_modules():
        where = str(path.relative_to(ROOT))
        problems += violations(
            path.read_text(encoding="utf-8"),
            module_name(path),
            where,
            is_package=path.name == "__init__.py",
        )
    assert not problems, "imports against the layers:\n" + "\n".join(problems)


def test_every_module_has_a_layer() -> None:
    modules = [module_name(p) for p in all_modules()]
    assert len(modules) > 100  # the walk really found the code
    assert [m for m in modules if layer_of(m) is None] == []
    assert layer_of("bot.brand_new") is None  # a new top-level module fails loudly


def test_sim_stays_in_the_base_layer() -> None:
    # The simulator ships with the package and stands in for the relay: it must not need the bot.
    assert layer_of("bot.sim.server") == layer_of("bot.relay") == 0


def test_the_check_catches_upward_imports_wherever_they_hide() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from bot.core.models import Reply\n"
        "if TYPE_CHECKING:\n"
        "    from bot.jobs.tracker import JobTracker\n"
        "def late() -> None:\n"
        "    import adapters.console.adapter\n"
        "from .. import commands\n"
        "from bot import app\n"
    )
    found = violations(source, "bot.core.fresh", "bot/core/fresh.py")
    assert found == [
        "bot/core/fresh.py:4: bot.core.fresh (core) imports bot.jobs.tracker (jobs)",
        "bot/core/fresh.py:6: bot.core.fresh (core) imports adapters.console.adapter (adapters)",
        "bot/core/fresh.py:7: bot.core.fresh (core) imports bot.commands (commands)",
        "bot/core/fresh.py:8: bot.core.fresh (core) imports bot.app (app)",
    ]
    assert violations("import bot.brand_new\n", "bot.jobs.x", "bot/jobs/x.py") == [
        "bot/jobs/x.py:1: imports bot.brand_new, which has no layer"
    ]
