"""What FastAPI's own OpenAPI builder says of a generated FastAPI project, to hold app/openapi.py to it.

A generated FastAPI project over a database builds its /openapi.json itself, in one pass (FastAPI's
builder takes tens of seconds for 400 tables). Run with the project's Python in the project's folder,
this module prints the document FastAPI's `get_openapi` builds for the same app, every error answer
described as the app answers it (a Problem, application/problem+json; a 400 for a body that is not
UTF-8; the routes name their error statuses without FastAPI's `model`, which would cost a pydantic
field per status and route): the reference. `differences(served, reference)` lists where the two part, but for two things where the
project says what the Flask target says: a `default` of null, which FastAPI drops (a field that may be
left out is null then), and binary fields, which the apps write in URL-safe base64: pydantic's
`format: base64url` where FastAPI says `contentEncoding: base64`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

PROBLEM = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def reference() -> dict[str, Any]:
    """FastAPI's own document of the app in the current folder, errors as problem+json."""
    from fastapi.openapi.utils import get_openapi

    from app.errors import Problem  # type: ignore[import-not-found]
    from app.main import app  # type: ignore[import-not-found]

    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
    )
    schemas = document.get("components", {}).get("schemas", {})
    for path in document.get("paths", {}).values():
        for operation in path.values():
            if "requestBody" in operation:
                bad_body = {"description": "Bad Request", "content": {PROBLEM: {"schema": PROBLEM_REF}}}
                operation["responses"].setdefault("400", bad_body)
            for status, response in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400:
                    response.setdefault("content", {}).pop("application/json", None)
                    response["content"][PROBLEM] = {"schema": PROBLEM_REF}
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused not in json.dumps(document.get("paths", {})):
            schemas.pop(unused, None)
    schemas["Problem"] = Problem.model_json_schema(mode="serialization")
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    return document


FASTAPI_BYTES = {"contentEncoding": "base64", "contentMediaType": "application/octet-stream"}


def _normalized(value: Any) -> Any:
    """Without null defaults; FastAPI's description of binary fields as pydantic's."""
    if isinstance(value, dict):
        if value.get("type") == "string" and FASTAPI_BYTES.items() <= value.items():
            value = {key: item for key, item in value.items() if key not in FASTAPI_BYTES}
            value["format"] = "base64url"
        return {
            key: _normalized(item)
            for key, item in value.items()
            if not (key == "default" and item is None)
        }
    if isinstance(value, list):
        return [_normalized(item) for item in value]
    return value


def differences(served: Any, expected: Any, limit: int = 20) -> list[str]:
    """JSON pointers where the served document differs from the reference (see the module docstring)."""
    found: list[str] = []

    def walk(pointer: str, left: Any, right: Any) -> None:
        if len(found) >= limit:
            return
        if isinstance(left, dict) and isinstance(right, dict):
            for key in sorted(set(left) | set(right)):
                where = f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
                if key not in left:
                    found.append(f"{where}: missing, FastAPI has {json.dumps(right[key])[:200]}")
                elif key not in right:
                    found.append(f"{where}: FastAPI has none, served {json.dumps(left[key])[:200]}")
                else:
                    walk(where, left[key], right[key])
        elif left != right:
            found.append(f"{pointer}: served {json.dumps(left)[:200]}, FastAPI {json.dumps(right)[:200]}")

    walk("", _normalized(served), _normalized(expected))
    return found


if __name__ == "__main__":
    sys.path.insert(0, ".")
    json.dump(reference(), sys.stdout)
