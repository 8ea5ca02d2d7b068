"""Find names in generated Python code that hide one another: the bugs a hostile column or parameter name
causes (a column `text` hiding `sqlalchemy.text` inside a model's class body, a path parameter `handlers`
hiding the imported handlers module, a table `settings` whose `get_settings` route hides the settings
helper).

`collisions(source)` reports, for one module:
- a module-level name bound by two statements (an import and a def, two defs...);
- in a class body, a name the body assigns and also reads where the read meant a module-level name
  (`server_default=text(...)` after a column `text`), or a builtin it annotates with or calls
  (`date: date`, `str: str`);
- in a function, a parameter or local of the same name as a module-level binding (pytest fixtures
  asked for by name excepted), or as a builtin the function calls.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from pathlib import Path

BUILTINS = frozenset(dir(builtins))


def _targets(node: ast.AST) -> Iterator[str]:
    """Names a statement binds in its own scope (not inside nested functions or classes)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            if alias.name != "*":
                yield (alias.asname or alias.name).split(".")[0]
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node.name
    elif isinstance(
        node,
        (
            ast.Assign,
            ast.AnnAssign,
            ast.AugAssign,
            ast.For,
            ast.AsyncFor,
            ast.With,
            ast.AsyncWith,
            ast.NamedExpr,
            ast.comprehension,
        ),
    ):
        targets: list[ast.AST]
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
        else:
            targets = [node.target]
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Store):
                    yield name.id
    elif isinstance(node, ast.ExceptHandler) and node.name:
        yield node.name


def _own_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node of a scope's body, without descending into nested functions, classes or lambdas."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # decorators, defaults and annotations are evaluated in the enclosing scope
            stack.extend(node.decorator_list)
            stack.extend(d for d in node.args.defaults + node.args.kw_defaults if d is not None)
            stack.extend(a.annotation for a in _arguments(node.args) if a.annotation is not None)
            if node.returns is not None:
                stack.append(node.returns)
            continue
        if isinstance(node, ast.ClassDef):
            stack.extend(node.decorator_list + node.bases + [k.value for k in node.keywords])
            continue
        if isinstance(node, ast.Lambda):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _arguments(args: ast.arguments) -> list[ast.arg]:
    found = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    found += [a for a in (args.vararg, args.kwarg) if a is not None]
    return found


def _bound(body: list[ast.stmt]) -> dict[str, int]:
    """Names bound in a scope, with how many statements bind each."""
    counts: dict[str, int] = {}
    for node in _own_nodes(body):
        for name in set(_targets(node)):
            counts[name] = counts.get(name, 0) + 1
    return counts


def _loaded(nodes: Iterator[ast.AST]) -> set[str]:
    return {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _typed_or_called(body: list[ast.stmt]) -> set[str]:
    """Names a scope calls (`text(...)`) or annotates with (`x: date`), where a builtin was meant."""
    found: set[str] = set()
    for node in _own_nodes(body):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            found.add(node.func.id)
        elif isinstance(node, ast.AnnAssign):
            found |= _loaded(ast.walk(node.annotation))
    return found


def _fixtures(tree: ast.Module) -> set[str]:
    """Module-level functions decorated as pytest fixtures: their names are asked for as parameters."""
    found = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Attribute) and target.attr == "fixture":
                    found.add(node.name)
    return found


def _rebinds_on_purpose(body: list[ast.stmt], name: str) -> bool:
    """`try: import x / except ImportError: x = None` and `if ...: def f` / `else: def f` bind twice on
    purpose: every binding of the name sits in a branch of its own."""
    top = [node for node in body if name in set(_targets(node))]
    return not top


def collisions(source: str, filename: str = "<generated>") -> list[str]:
    """Every hidden name of one module, as `file:line: message`."""
    tree = ast.parse(source, filename)
    module_names = _bound(tree.body)
    found = [
        f"{filename}: module-level {name!r} is bound {count} times"
        for name, count in sorted(module_names.items())
        if count > 1 and name not in ("__all__",) and not _rebinds_on_purpose(tree.body, name)
    ]
    fixtures = _fixtures(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            assigned = set(_bound(node.body))
            hidden = _loaded(_own_nodes(node.body)) & set(module_names)
            hidden |= _typed_or_called(node.body) & BUILTINS
            for name in sorted(assigned & hidden):
                found.append(
                    f"{filename}:{node.lineno}: class {node.name} assigns {name!r} and reads the "
                    f"{'module-level' if name in module_names else 'builtin'} {name!r} in its body"
                )
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            local = {a.arg for a in _arguments(node.args)} | set(_bound(node.body))
            called = _typed_or_called(node.body)
            for name in sorted(local - fixtures):
                if name in module_names or (name in BUILTINS and name in called):
                    what = "module-level name" if name in module_names else "builtin it calls"
                    found.append(
                        f"{filename}:{node.lineno}: {node.name}() has a local {name!r} hiding the "
                        f"{what} {name!r}"
                    )
    return found


def project_collisions(root: Path) -> list[str]:
    """`collisions` of every .py file of a generated project (its virtual environment left out)."""
    found: list[str] = []
    for path in sorted(Path(root).rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] in (".venv", ".codegen"):
            continue
        found += collisions(path.read_text(encoding="utf-8"), str(relative))
    return found


def files_collisions(files: dict[str, str]) -> list[str]:
    """`collisions` of every .py file of a project rendered in memory, each compiled first (a syntax
    error raises)."""
    found: list[str] = []
    for path, source in files.items():
        if path.endswith(".py"):
            compile(source, path, "exec")
            found += collisions(source, path)
    return found
