"""Customizing templates: export, one overridden partial, a forked set in git at a tag; CI recipes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from codegen.cli import app
from corpus import REPO

CHINOOK = f"sqlite:///{REPO / 'examples' / 'chinook.sqlite'}"
runner = CliRunner()


def _cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=folder, check=True,
                   capture_output=True)


@pytest.fixture
def forked(tmp_path: Path) -> Path:
    """The exported FastAPI templates in a git repository: v1 customizes the package docstring."""
    fork = tmp_path / "fork"
    code, output = _cli("templates", "export", "fastapi", str(fork))
    assert code == 0, output
    init = fork / "app" / "__init__.py.jinja"
    init.write_text('"""{{ project_name }}: our house style."""\n')
    _git(fork, "init", "-q")
    _git(fork, "add", "-A")
    _git(fork, "commit", "-qm", "v1")
    _git(fork, "tag", "v1")
    init.write_text('"""{{ project_name }}: after v1."""\n')
    _git(fork, "commit", "-qam", "v2")
    return fork


def test_forked_set_at_a_tag_renders_and_survives_regeneration(forked: Path, tmp_path: Path) -> None:
    out = tmp_path / "api"
    code, output = _cli("generate", CHINOOK, "--template", str(forked), "--template-ref", "v1", "-o", str(out))
    assert code == 0, output
    assert "our house style" in (out / "app" / "__init__.py").read_text()
    assert (out / "app" / "routes" / "album.py").is_file()
    (out / "README.md").write_text((out / "README.md").read_text() + "\nnotes\n")
    assert _cli("check", str(out)) == (0, "up to date\n")
    code, output = _cli("regenerate", str(out))
    assert code == 0, output
    assert "our house style" in (out / "app" / "__init__.py").read_text()
    assert "notes" in (out / "README.md").read_text()


def test_unknown_tag_is_one_clear_error(forked: Path, tmp_path: Path) -> None:
    code, output = _cli("generate", CHINOOK, "--template", str(forked), "--template-ref", "v9",
                        "-o", str(tmp_path / "api"))
    assert code == 2 and "v9" in output and "Traceback" not in output
    assert not (tmp_path / "api").exists()


def test_export_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep").write_text("")
    assert _cli("templates", "export", "fastapi", str(tmp_path / "x"))[0] == 2
    assert _cli("templates", "export", "django", str(tmp_path / "y"))[0] == 2


def test_context_file_for_copier(tmp_path: Path) -> None:
    target = tmp_path / "context.yml"
    assert _cli("templates", "context", CHINOOK, "-o", str(target))[0] == 0
    context = yaml.safe_load(target.read_text())
    assert context["resources"][0]["path"] == "/album"


def test_ci_recipes_on_request(tmp_path: Path) -> None:
    plain, with_ci = tmp_path / "plain", tmp_path / "ci"
    assert _cli("generate", CHINOOK, "-o", str(plain))[0] == 0
    assert _cli("generate", CHINOOK, "--ci", "-o", str(with_ci))[0] == 0
    assert not (plain / ".github").exists() and not (plain / ".pre-commit-config.yaml").exists()
    check = yaml.safe_load((with_ci / ".github" / "workflows" / "codegen-check.yml").read_text())
    steps = " ".join(str(step.get("run", "")) for step in check["jobs"]["check"]["steps"])
    assert "codegen check ." in steps
    nightly = yaml.safe_load((with_ci / ".github" / "workflows" / "codegen-regenerate.yml").read_text())
    assert "schedule" in nightly[True] or "schedule" in nightly.get("on", {})
    hook = yaml.safe_load((with_ci / ".pre-commit-config.yaml").read_text())
    assert hook["repos"][0]["hooks"][0]["entry"] == "codegen check ."
