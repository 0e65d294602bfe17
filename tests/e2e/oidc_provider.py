"""A minimal but real OpenID Connect provider, run as its own process by the browser test.

    python tests/e2e/oidc_provider.py --port 8600 --client-id app --client-secret s \
        --redirect-uri http://127.0.0.1:8501/oauth2callback --user ann@example.com:password:Ann

It speaks the authorization-code flow the way Streamlit's ``st.login`` (Authlib's Starlette client)
uses it, over real HTTP on localhost:

* ``/.well-known/openid-configuration``: the discovery document;
* ``/authorize``: checks client, redirect URI, response type, scope ``openid``; shows a login form;
  on the right password, redirects back with a one-time code and the state;
* ``/token``: client authentication (HTTP Basic or form), the code once, the same redirect URI, PKCE
  (S256) when the client sent a challenge; answers an RS256-signed ``id_token`` (iss, aud, sub, exp,
  iat, nonce, email, name) and an access token;
* ``/jwks``: the public key (a fresh 2048-bit RSA key each run);
* ``/userinfo``: the claims, for the bearer of an access token.

Each request is logged to stdout as one line, so the test can show what the provider saw.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey

CODE_SECONDS = 60


class Provider:
    """The provider's state: its key, client, users, and the codes and tokens it handed out."""

    def __init__(self, issuer: str, client_id: str, client_secret: str, redirect_uri: str,
                 users: dict[str, tuple[str, str]]):
        self.issuer, self.client_id, self.client_secret = issuer, client_id, client_secret
        self.redirect_uri, self.users = redirect_uri, users
        self.key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8), "use": "sig", "alg": "RS256"})
        self.codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "email", "email_verified", "name", "nonce"],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}

    def claims(self, email: str) -> dict[str, Any]:
        return {"sub": hashlib.sha256(email.encode()).hexdigest()[:16], "email": email, "email_verified": True,
                "name": self.users[email][1]}

    def id_token(self, email: str, nonce: str | None) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 300, **self.claims(email)}
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)


class Handler(BaseHTTPRequestHandler):
    provider: Provider

    def log_message(self, format: str, *args: Any) -> None:  # one line per request, on stdout
        print(f"{self.command} {urlparse(self.path).path} -> {args[1] if len(args) > 1 else ''}", flush=True)

    # --- plumbing ---

    def _send(self, status: int, body: str | bytes, kind: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, value: dict[str, Any]) -> None:
        self._send(status, json.dumps(value))

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        return {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}

    # --- endpoints ---

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/.well-known/openid-configuration":
            self._json(200, self.provider.discovery())
        elif url.path == "/jwks":
            self._json(200, self.provider.jwks())
        elif url.path == "/authorize":
            problem = self._check_authorize(query)
            if problem:
                self._send(400, problem, "text/plain")
            else:
                self._send(200, self._login_form(query, ""), "text/html; charset=utf-8")
        elif url.path == "/userinfo":
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
            with self.provider.lock:
                grant = self.provider.tokens.get(token)
            if grant is None:
                self._json(401, {"error": "invalid_token"})
            else:
                self._json(200, self.provider.claims(grant["email"]))
        else:
            self._send(404, "not found", "text/plain")

    def do_POST(self) -> None:  # noqa: N802
        path = urlparse(self.path).path
        form = self._form()
        if path == "/authorize":
            self._authorize(form)
        elif path == "/token":
            self._token(form)
        else:
            self._send(404, "not found", "text/plain")

    def _check_authorize(self, query: dict[str, str]) -> str:
        provider = self.provider
        if query.get("client_id") != provider.client_id:
            return "unknown client_id"
        if query.get("redirect_uri") != provider.redirect_uri:
            return "redirect_uri is not registered for this client"
        if query.get("response_type") != "code":
            return "only response_type=code is supported"
        if "openid" not in (query.get("scope") or "").split():
            return "scope must include openid"
        if query.get("code_challenge") and query.get("code_challenge_method") != "S256":
            return "only S256 code challenges are supported"
        return ""

    def _login_form(self, query: dict[str, str], message: str) -> str:
        hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in query.items() if k not in ("username", "password"))
        note = f'<p id="message">{html.escape(message)}</p>' if message else ""
        return ("<!doctype html><html><head><title>Test provider login</title></head><body>"
                "<h1>Test OpenID provider</h1>" + note + '<form method="post" action="/authorize">' + hidden +
                '<label>E-mail <input id="username" name="username"></label>'
                '<label>Password <input id="password" name="password" type="password"></label>'
                '<button id="submit" type="submit">Sign in</button></form></body></html>')

    def _authorize(self, form: dict[str, str]) -> None:
        problem = self._check_authorize(form)
        if problem:
            self._send(400, problem, "text/plain")
            return
        email, password = form.get("username", ""), form.get("password", "")
        known = self.provider.users.get(email)
        if known is None or not secrets.compare_digest(known[0], password):
            self._send(200, self._login_form(form, "Wrong e-mail or password."), "text/html; charset=utf-8")
            return
        code = secrets.token_urlsafe(24)
        with self.provider.lock:
            self.provider.codes[code] = {"email": email, "nonce": form.get("nonce"),
                                         "redirect_uri": form["redirect_uri"],
                                         "challenge": form.get("code_challenge"), "expires": time.time() + CODE_SECONDS}
        back = {"code": code, **({"state": form["state"]} if form.get("state") else {})}
        self._send(302, "", "text/plain", {"Location": f"{form['redirect_uri']}?{urlencode(back)}"})

    def _client_ok(self, form: dict[str, str]) -> bool:
        header = self.headers.get("Authorization") or ""
        if header.startswith("Basic "):
            from urllib.parse import unquote

            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            client_id, secret = unquote(client_id), unquote(secret)
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        provider = self.provider
        return client_id == provider.client_id and secrets.compare_digest(secret, provider.client_secret)

    def _token(self, form: dict[str, str]) -> None:
        if not self._client_ok(form):
            self._json(401, {"error": "invalid_client"})
            return
        if form.get("grant_type") != "authorization_code":
            self._json(400, {"error": "unsupported_grant_type"})
            return
        with self.provider.lock:
            grant = self.provider.codes.pop(form.get("code", ""), None)  # a code is used once
        if grant is None or grant["expires"] < time.time() or grant["redirect_uri"] != form.get("redirect_uri"):
            self._json(400, {"error": "invalid_grant"})
            return
        if grant["challenge"]:
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if not secrets.compare_digest(digest, grant["challenge"]):
                self._json(400, {"error": "invalid_grant", "error_description": "PKCE verification failed"})
                return
        access = secrets.token_urlsafe(24)
        with self.provider.lock:
            self.provider.tokens[access] = {"email": grant["email"]}
        self._json(200, {"access_token": access, "token_type": "Bearer", "expires_in": 300, "scope": "openid email",
                         "id_token": self.provider.id_token(grant["email"], grant["nonce"])})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--redirect-uri", required=True)
    parser.add_argument("--user", action="append", default=[], help="EMAIL:PASSWORD:NAME (repeatable)")
    args = parser.parse_args()
    users = {}
    for entry in args.user:
        email, password, name = entry.split(":", 2)
        users[email] = (password, name)
    Handler.provider = Provider(f"http://127.0.0.1:{args.port}", args.client_id, args.client_secret,
                                args.redirect_uri, users)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"listening on {Handler.provider.issuer}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
