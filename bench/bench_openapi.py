"""Benchmark: a synthetic description (300 schemas, 600 paths) through codegen, fastapi-code-generator and
datamodel-code-generator, on the same file in the same run; medians of three runs.

The other two live in virtual environments of their own under .cache/bench-peers/ (created on first use;
fastapi-code-generator pins an older datamodel-code-generator, so they cannot share one).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / ".cache" / "bench-peers"
PINS = ["fastapi-code-generator==0.8.1", "datamodel-code-generator==0.89.0"]
RUNS = 3


def synthetic(schemas: int = 300, paths: int = 600) -> dict:
    """300 object schemas that reference each other; 300 collection and 300 item paths over them."""
    components = {}
    for i in range(schemas):
        properties = {"id": {"type": "integer", "format": "int64"}, "name": {"type": "string", "maxLength": 80},
                      "created": {"type": "string", "format": "date-time"},
                      "status": {"type": "string", "enum": ["new", "used", "gone"]},
                      "score": {"type": "number", "nullable": True}}
        if i:
            properties["parent"] = {"$ref": f"#/components/schemas/Thing{i - 1}"}
        components[f"Thing{i}"] = {"type": "object", "required": ["id", "name"], "properties": properties}
    path_items = {}
    for i in range(paths // 2):
        ref = {"$ref": f"#/components/schemas/Thing{i % schemas}"}
        ok = lambda schema: {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}  # noqa: E731
        path_items[f"/things{i}"] = {
            "get": {"operationId": f"listThings{i}", "responses": ok({"type": "array", "items": ref})},
            "post": {"operationId": f"createThing{i}", "requestBody": {"content": {"application/json": {"schema": ref}}},
                     "responses": ok(ref)}}
        path_items[f"/things{i}/{{id}}"] = {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "get": {"operationId": f"getThing{i}", "responses": ok(ref)},
            "delete": {"operationId": f"deleteThing{i}", "responses": {"204": {"description": "gone"}}}}
    return {"openapi": "3.0.3", "info": {"title": "Synthetic", "version": "1"}, "paths": path_items,
            "components": {"schemas": components}}


def peer(pin: str) -> Path:
    """The bin folder of a virtual environment holding one other generator."""
    venv = PEERS / pin.split("==")[0]
    if not (venv / "COMPLETE").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", pin], check=True)
        (venv / "COMPLETE").write_text(pin + "\n", encoding="utf-8")
    return venv / "bin"


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def main() -> None:
    fastapi_bin, datamodel_bin = (peer(pin) for pin in PINS)
    with tempfile.TemporaryDirectory(prefix="bench_openapi_") as tmp:
        work = Path(tmp)
        source = work / "synthetic.yaml"
        source.write_text(yaml.safe_dump(synthetic(), sort_keys=False), encoding="utf-8")
        tools = {
            "codegen generate (FastAPI project)": lambda out: [str(Path(sys.executable).with_name("codegen")),
                                                              "generate", str(source), "-o", str(out)],
            "fastapi-code-generator 0.8.1": lambda out: [str(fastapi_bin / "fastapi-codegen"), "--input", str(source),
                                                         "--output", str(out), "--disable-timestamp"],
            "datamodel-code-generator 0.89.0": lambda out: [str(datamodel_bin / "datamodel-codegen"), "--input",
                                                            str(source), "--input-file-type", "openapi",
                                                            "--output", str(out / "models.py")],
        }
        results: dict[str, list[float]] = {name: [] for name in tools}
        for run in range(RUNS):
            for name, command in tools.items():
                out = work / f"out{run}_{len(results[name])}_{abs(hash(name))}"
                shutil.rmtree(out, ignore_errors=True)
                if "datamodel" in name:
                    out.mkdir(parents=True)
                results[name].append(timed(command(out)))
        print("| tool | median of 3 (s) | runs (s) |\n| --- | --- | --- |")
        for name, times in results.items():
            print(f"| {name} | {statistics.median(times):.2f} | {', '.join(f'{t:.2f}' for t in times)} |")


if __name__ == "__main__":
    main()
