"""A small OpenID Connect provider on loopback, for tests: discovery, JWKS, an authorization endpoint
that signs in one configured person at once, and a token endpoint that checks the client secret,
the redirect URI and the PKCE verifier (S256) before it answers with an RS256-signed ID token.

The protocol is real (HTTP, JSON, RFC 7636, RS256 with a fresh RSA key); only the login page is
skipped: ``/authorize`` redirects straight back with a code for ``person``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass
class Person:
    subject: str
    email: str
    email_verified: bool = True
    name: str = "Oidc Person"


@dataclass
class LoopbackOidcProvider:
    client_id: str = "a2n-test-client"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    person: Person = field(default_factory=lambda: Person("sub-1", "person@example.com"))
    # Tests flip these to see the client refuse what a broken or hostile provider sends.
    id_token_overrides: dict[str, Any] = field(default_factory=dict)
    _codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._kid = secrets.token_hex(8)
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider._get(self)

            def do_POST(self) -> None:
                provider._post(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def issuer(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LoopbackOidcProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- endpoints -------------------------------------------------------------------------
    def _get(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        if parts.path == "/.well-known/openid-configuration":
            return _json(request, 200, self.discovery())
        if parts.path == "/jwks":
            return _json(request, 200, {"keys": [self._jwk()]})
        if parts.path == "/authorize":
            return self._authorize(request, {k: v[0] for k, v in parse_qs(parts.query).items()})
        return _json(request, 404, {"error": "not_found"})

    def _post(self, request: BaseHTTPRequestHandler) -> None:
        if urlsplit(request.path).path != "/token":
            return _json(request, 404, {"error": "not_found"})
        length = int(request.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(request.rfile.read(length).decode()).items()}
        self.token_requests.append(form)
        return self._token(request, form)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def _authorize(self, request: BaseHTTPRequestHandler, query: dict[str, str]) -> None:
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return _json(request, 400, {"error": "invalid_request"})
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            refusal = {"error": "invalid_request", "error_description": "PKCE S256 required"}
            return _json(request, 400, refusal)
        code = secrets.token_urlsafe(16)
        self._codes[code] = {
            "redirect_uri": query["redirect_uri"],
            "challenge": query["code_challenge"],
            "nonce": query.get("nonce"),
        }
        target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
        request.send_response(302)
        request.send_header("Location", target)
        request.send_header("Content-Length", "0")
        request.end_headers()

    def _token(self, request: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        client_id, client_secret = _client_auth(request, form)
        if client_id != self.client_id or client_secret != self.client_secret:
            return _json(request, 401, {"error": "invalid_client"})
        grant = self._codes.pop(form.get("code", ""), None)  # a code works once
        if form.get("grant_type") != "authorization_code" or grant is None:
            return _json(request, 400, {"error": "invalid_grant"})
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return _json(request, 400, {"error": "invalid_grant", "error_description": "redirect_uri"})
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
            return _json(request, 400, {"error": "invalid_grant", "error_description": "PKCE verifier"})
        now = int(time.time())
        claims = {
            "iss": self.issuer, "sub": self.person.subject, "aud": self.client_id, "iat": now,
            "exp": now + 300, "nonce": grant["nonce"], "email": self.person.email,
            "email_verified": self.person.email_verified, "name": self.person.name,
        }  # fmt: skip
        claims.update(self.id_token_overrides)
        id_token = jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self._kid})
        return _json(request, 200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                                    "expires_in": 300, "id_token": id_token})  # fmt: skip

    def _jwk(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        return {**jwk, "kid": self._kid, "use": "sig", "alg": "RS256"}

    def sign_with_other_key(self, claims: dict[str, Any]) -> str:
        """An ID token signed by a key the JWKS does not publish (under the published kid)."""
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return jwt.encode(claims, other, algorithm="RS256", headers={"kid": self._kid})


def _client_auth(request: BaseHTTPRequestHandler, form: dict[str, str]) -> tuple[str, str]:
    from urllib.parse import unquote_plus

    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return unquote_plus(user), unquote_plus(password)  # RFC 6749 §2.3.1
    return form.get("client_id", ""), form.get("client_secret", "")


def _json(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)
