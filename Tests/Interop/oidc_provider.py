"""A real OpenID provider for the federation tests, built on Authlib's authorization server
(Flask): discovery, JWKS, the authorization code flow with PKCE and RS256 ID tokens, and a
userinfo endpoint, at paths that are not Cognito's. Test-side only: it stands in for Okta,
Entra ID or Google. `user` is who is signed in there (None: the person refuses); `misbehave`
makes its answers wrong in one way, to test that Cognate refuses them."""
import secrets
import threading
import time

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Flask, jsonify, request
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server


class Client(ClientMixin):
    def __init__(self, client_id, secret, redirect_uris):
        self.client_id, self.secret, self.redirect_uris = client_id, secret, redirect_uris

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in ("openid", "email", "profile"))

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, self.secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method == "client_secret_post"  # as Cognito sends it

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


class Code(AuthorizationCodeMixin):
    def __init__(self, **fields):
        self.__dict__.update(fields)

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


class OIDCProvider:
    def __init__(self, client_id="cognate", client_secret="provider-secret-0123456789", redirect_uris=()):
        self.client = Client(client_id, client_secret, list(redirect_uris))
        self.user = {"sub": "u-1001", "email": "ana@corp.example", "email_verified": True, "name": "Ana Lima"}
        self.misbehave = None  # "audience", "expired", "foreign key", "nonce", "issuer"
        self.key = RSAKey.generate_key(2048, parameters={"kid": "corp-1", "use": "sig", "alg": "RS256"})
        self.foreign = RSAKey.generate_key(2048, parameters={"kid": "corp-1", "use": "sig", "alg": "RS256"})
        self.codes, self.tokens, self.token_requests = {}, {}, []
        app = Flask(__name__)
        server = AuthorizationServer(app, query_client=self._client, save_token=self._save_token)
        provider = self

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_post"]

            def save_authorization_code(self, code, req):
                provider.codes[code] = Code(code=code, client_id=req.client.client_id, redirect_uri=req.payload.redirect_uri,
                                            scope=req.scope, user=req.user, nonce=req.payload.data.get("nonce"),
                                            auth_time=int(time.time()), code_challenge=req.payload.data.get("code_challenge"),
                                            code_challenge_method=req.payload.data.get("code_challenge_method"))

            def query_authorization_code(self, code, client):
                item = provider.codes.get(code)
                return item if item and item.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.user

        class IDTokens(OpenIDCode):
            def exists_nonce(self, nonce, req):
                return False

            def resolve_client_private_key(self, client):
                return provider.foreign if provider.misbehave == "foreign key" else provider.key

            def get_client_algorithm(self, client):
                return "RS256"

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": "corp-1"}

            def get_client_claims(self, client):
                now = int(time.time())
                claims = {"iss": provider.issuer, "aud": [client.get_client_id()], "exp": now + 300}
                if provider.misbehave == "audience":
                    claims["aud"] = ["someone-else"]
                if provider.misbehave == "expired":
                    claims["exp"], claims["iat"] = now - 600, now - 900
                if provider.misbehave == "issuer":
                    claims["iss"] = "https://impostor.example"
                return claims

            def get_authorization_code_claims(self, authorization_code):
                claims = super().get_authorization_code_claims(authorization_code)
                if provider.misbehave == "nonce":
                    claims["nonce"] = "not-the-nonce-that-was-sent"
                return claims

            def generate_user_info(self, user, scope):
                return UserInfo(sub=user["sub"], email=user["email"], email_verified=user["email_verified"], name=user["name"])

        server.register_grant(CodeGrant, [CodeChallenge(required=True), IDTokens(require_nonce=True)])

        @app.get("/tenant/.well-known/openid-configuration")
        def discovery():
            return jsonify(issuer=provider.issuer, authorization_endpoint=f"{provider.issuer}/connect/authorize",
                           token_endpoint=f"{provider.issuer}/connect/token", userinfo_endpoint=f"{provider.issuer}/connect/userinfo",
                           jwks_uri=f"{provider.issuer}/keys", response_types_supported=["code"],
                           id_token_signing_alg_values_supported=["RS256"], subject_types_supported=["public"])

        @app.get("/tenant/keys")
        def keys():
            return jsonify(KeySet([provider.key]).as_dict(private=False))

        @app.get("/tenant/connect/authorize")
        def authorize():
            return server.create_authorization_response(grant_user=provider.user)

        @app.post("/tenant/connect/token")
        def token():
            provider.token_requests.append(dict(request.form))
            return server.create_token_response()

        @app.route("/tenant/connect/userinfo", methods=["GET", "POST"])
        def userinfo():
            header = request.headers.get("Authorization", "")
            user = provider.tokens.get(header.removeprefix("Bearer ")) if header.startswith("Bearer ") else None
            if user is None:
                return jsonify(error="invalid_token"), 401
            return jsonify(sub=user["sub"], email=user["email"], name=user["name"], department="Research")

        self.http = make_server("127.0.0.1", 0, app, threaded=True)
        self.base = f"http://127.0.0.1:{self.http.server_port}"
        self.issuer = f"{self.base}/tenant"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def _client(self, client_id):
        return self.client if client_id == self.client.client_id else None

    def _save_token(self, token, req):
        self.tokens[token["access_token"]] = req.user

    def close(self):
        self.http.shutdown()
