"""`--auth jwt` for real, in both targets: the project's own tests (HS256 tokens, every refusal),
then the served app against RS256 tokens whose key comes from a JWKS URL served over HTTP.

The RSA key, the JWKS and the tokens are made by the generated project's own interpreter (it has
PyJWT and cryptography; this repository's test environment does not need them).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import harness
import httpx
import pytest

from codegen.api import generate

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
AUDIENCE = "chinook-api"
ISSUER = "https://issuer.test"
MINT = r"""
import base64, hashlib, hmac, json, sys, time
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

audience, issuer = sys.argv[1], sys.argv[2]
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
public.update(kid="k1", use="sig", alg="RS256")


def token(signer=key, kid="k1", **claims):
    payload = {"sub": "t", "aud": audience, "iss": issuer, "exp": int(time.time()) + 600,
               "scope": "write", **claims}
    return jwt.encode(payload, signer, algorithm="RS256", headers={"kid": kid})


def confused():
    # HS256 "signed" with the public key's PEM: the algorithm-confusion attack.
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    part = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")
    head = part({"alg": "HS256", "typ": "JWT", "kid": "k1"}) + b"." + part(
        {"aud": audience, "iss": issuer, "exp": int(time.time()) + 600, "scope": "write"})
    mac = base64.urlsafe_b64encode(hmac.new(pem, head, hashlib.sha256).digest()).rstrip(b"=")
    return (head + b"." + mac).decode()


json.dump({
    "jwks": {"keys": [public]},
    "write": token(),
    "scoped": token(scope="read write:genre"),
    "other_resource": token(scope="write:album"),
    "read": token(scope="read"),
    "wrong_audience": token(aud="another-api"),
    "wrong_issuer": token(iss="https://elsewhere.test"),
    "expired": token(exp=int(time.time()) - 3600),
    "stranger": token(signer=stranger),
    "unknown_key": token(kid="k2"),
    "confused": confused(),
}, sys.stdout)
"""


class _Keys(BaseHTTPRequestHandler):
    body = b"{}"
    hits = 0

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        type(self).hits += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_args: object) -> None:
        """Quiet."""


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, type[_Keys]]]:
    handler = type("Keys", (_Keys,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("target", ["fastapi", "flask"])
def test_jwt_project_passes_its_tests_and_trusts_only_the_issuers_keys(
    target: str, tmp_path: Path, jwks_server: tuple[str, type[_Keys]]
) -> None:
    database = tmp_path / "chinook.sqlite"
    shutil.copy(ROOT / "examples" / "chinook.sqlite", database)
    url = f"sqlite:///{database}"
    project = tmp_path / "project"
    generate(url, project, target=target, auth="jwt")
    python = harness.install_project(project, label=f"jwt/{target}")
    own = harness.run_project_tests(python, project, label=f"jwt/{target}")
    assert own.returncode == 0 and harness.passed_count(own) > 0, own.stdout[-4000:]
    assert "test_a_token_that_may_not_be_trusted_is_401" in (project / "tests" / "test_policy.py").read_text()

    minted = subprocess.run(
        [str(python), "-c", MINT, AUDIENCE, ISSUER], capture_output=True, text=True, timeout=60, check=True
    )
    tokens = json.loads(minted.stdout)
    jwks_url, keys = jwks_server
    keys.body = json.dumps(tokens["jwks"]).encode()
    env = {"DATABASE_URL": url, "JWT_JWKS_URL": jwks_url, "JWT_AUDIENCE": AUDIENCE, "JWT_ISSUER": ISSUER}
    with harness.serve(python, project, env, label=f"jwt/{target}") as base, httpx.Client(base_url=base) as http:

        def post(name: str | None) -> httpx.Response:
            headers = {"Authorization": f"Bearer {tokens[name]}"} if name else {}
            return http.post("/genre", json={"name": f"jwt {name}"}, headers=headers)

        assert http.get("/genre?limit=1").status_code == 200  # reads stay open
        refused = {name: post(name) for name in (None, "wrong_audience", "wrong_issuer", "expired", "stranger",
                                                 "unknown_key", "confused", "read", "other_resource")}
        statuses = {name: response.status_code for name, response in refused.items()}
        assert statuses == {None: 401, "wrong_audience": 401, "wrong_issuer": 401, "expired": 401,
                            "stranger": 401, "unknown_key": 401, "confused": 401, "read": 403,
                            "other_resource": 403}, statuses
        for name, response in refused.items():
            assert response.headers["content-type"].startswith("application/problem+json"), name
            assert response.headers["www-authenticate"].startswith("Bearer"), name
            assert tokens.get(name or "", "-") not in response.text
        assert 'error="invalid_token"' in refused["expired"].headers["www-authenticate"]
        assert 'error="insufficient_scope"' in refused["read"].headers["www-authenticate"]

        for name in ("write", "scoped"):
            created = post(name)
            assert created.status_code == 201, (name, created.text)
            gone = http.delete(created.headers["location"], headers={"Authorization": f"Bearer {tokens[name]}"})
            assert gone.status_code == 204, (name, gone.text)
        # The JWKS is fetched once, then served from the app's key cache (an unknown kid refetches).
        assert 1 <= keys.hits <= 3, keys.hits
        log = base.log()
    for token in tokens.values():
        if isinstance(token, str):
            assert token not in log, "a token was written to the server's log"
