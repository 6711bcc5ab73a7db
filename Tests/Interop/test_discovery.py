"""OpenID Connect Discovery 1.0 and the JWKS, read by clients no one here wrote (requests, jwcrypto)."""
import json

import requests
from jwcrypto import jwk, jws, jwt

REQUIRED = ["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "response_types_supported",
            "subject_types_supported", "id_token_signing_alg_values_supported"]


def test_discovery_document_is_valid_and_its_jwks_uri_serves_the_key(server):
    # given the default pool the first start printed
    [pool_id] = server.pool_ids()
    issuer = f"{server.url}/{pool_id}"
    # when a relying party fetches the discovery document the banner names
    assert f"discovery  {issuer}/.well-known/openid-configuration" in server.output()
    response = requests.get(f"{issuer}/.well-known/openid-configuration")
    # then
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert "max-age" in response.headers["Cache-Control"]
    document = response.json()
    for field in REQUIRED:
        assert field in document, field
    # OIDC Discovery §4.3: the issuer is exactly the URL before /.well-known
    assert document["issuer"] == issuer
    assert "RS256" in document["id_token_signing_alg_values_supported"]
    assert "openid" in document["scopes_supported"]
    # and its jwks_uri serves a key set jwcrypto accepts
    keys_response = requests.get(document["jwks_uri"])
    assert keys_response.status_code == 200
    assert "max-age" in keys_response.headers["Cache-Control"]
    key_set = jwk.JWKSet.from_json(keys_response.text)
    [key] = list(key_set)
    assert key["kty"] == "RSA" and key.get("alg") == "RS256" and key.get("use") == "sig"
    assert key["kid"] == key.thumbprint(), "kid is the RFC 7638 thumbprint"
    assert not key.has_private
    assert key.get_op_key("verify").key_size == 2048


def test_unknown_pool_is_a_json_404(server):
    for path in ["/local_Nope12345/.well-known/openid-configuration", "/local_Nope12345/.well-known/jwks.json",
                 "/nonsense/.well-known/jwks.json"]:
        response = requests.get(server.url + path)
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"


def test_health_and_readiness(server):
    assert requests.get(server.url + "/health").json() == {"status": "ok"}
    assert requests.get(server.url + "/ready").json() == {"status": "ready"}


def test_oversized_body_is_refused_not_read(server):
    response = requests.post(server.url + "/health", data=b"x" * (2 * 1024 * 1024),
                             headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"
