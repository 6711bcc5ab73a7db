"""Outside identity providers as an operator manages them with boto3 (CreateIdentityProvider and
the rest): each type's details checked, the social presets' endpoints filled in as Cognito shows
them, secrets sealed at rest, names and identifiers unique, and app clients allowed to name only
providers that exist."""
import concurrent.futures
import os

import pytest
import requests
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import ADMIN, Server, cognito, database_bytes
from saml_idp import key_and_certificate


def certificate_base64():
    """The base64 DER of a current self-signed certificate, as IdP metadata carries it."""
    import tempfile
    with open(key_and_certificate(tempfile.mkdtemp(prefix="idp-cert-"), "idp")[1]) as pem:
        return "".join(line for line in pem.read().splitlines() if "CERTIFICATE" not in line)


SAML_METADATA = """<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example/saml">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
      <ds:X509Certificate>CERTIFICATE</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/slo"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>""".replace("CERTIFICATE", certificate_base64())

# an issuer's details; given without its endpoints, Cognate reads them from the issuer's discovery document
OIDC_ISSUER_ONLY = {"client_id": "cognate-app", "client_secret": "oidc-secret-value-4711", "authorize_scopes": "openid email",
                    "attributes_request_method": "GET", "oidc_issuer": "https://login.corp.example"}
ENDPOINTS = {"authorize_url": "https://login.corp.example/oauth2/v1/authorize", "token_url": "https://login.corp.example/oauth2/v1/token",
             "attributes_url": "https://login.corp.example/oauth2/v1/userinfo", "jwks_uri": "https://login.corp.example/oauth2/v1/keys"}
OIDC = OIDC_ISSUER_ONLY | ENDPOINTS


@pytest.fixture
def admin(data_dir):
    server = Server(data_dir, **ADMIN)
    yield server, cognito(server.url)
    server.stop()


def error(call, **kwargs):
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def apple_key_pem():
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def test_providers_are_created_described_listed_updated_and_deleted(admin, data_dir):
    server, idp = admin
    pool_id = idp.create_user_pool(PoolName="federated")["UserPool"]["Id"]

    made = idp.create_identity_provider(UserPoolId=pool_id, ProviderName="Corp", ProviderType="OIDC", ProviderDetails=OIDC,
                                        AttributeMapping={"email": "email"}, IdpIdentifiers=["corp.example"])["IdentityProvider"]
    assert made["ProviderDetails"]["client_secret"] == OIDC["client_secret"]
    assert made["ProviderDetails"]["attributes_url_add_attributes"] == "false"
    assert made["AttributeMapping"] == {"email": "email", "username": "sub"}
    assert made["IdpIdentifiers"] == ["corp.example"] and made["CreationDate"] == made["LastModifiedDate"]

    google = idp.create_identity_provider(UserPoolId=pool_id, ProviderName="Google", ProviderType="Google", ProviderDetails={
        "client_id": "g-id", "client_secret": "g-secret", "authorize_scopes": "profile email openid"})["IdentityProvider"]
    assert google["ProviderDetails"]["authorize_url"] == "https://accounts.google.com/o/oauth2/v2/auth"
    assert google["ProviderDetails"]["token_url"] == "https://www.googleapis.com/oauth2/v4/token"
    assert google["ProviderDetails"]["oidc_issuer"] == "https://accounts.google.com"
    assert google["AttributeMapping"] == {"username": "sub"}
    facebook = idp.create_identity_provider(UserPoolId=pool_id, ProviderName="Facebook", ProviderType="Facebook", ProviderDetails={
        "client_id": "f-id", "client_secret": "f-secret", "authorize_scopes": "public_profile,email", "api_version": "v18.0"})
    assert facebook["IdentityProvider"]["ProviderDetails"]["attributes_url"] == "https://graph.facebook.com/v18.0/me?fields="
    assert facebook["IdentityProvider"]["AttributeMapping"] == {"username": "id"}
    amazon = idp.create_identity_provider(UserPoolId=pool_id, ProviderName="LoginWithAmazon", ProviderType="LoginWithAmazon",
                                          ProviderDetails={"client_id": "a", "client_secret": "b", "authorize_scopes": "profile"})
    assert amazon["IdentityProvider"]["AttributeMapping"] == {"username": "user_id"}
    pem = apple_key_pem()
    apple = idp.create_identity_provider(UserPoolId=pool_id, ProviderName="SignInWithApple", ProviderType="SignInWithApple",
                                         ProviderDetails={"client_id": "com.example.web", "team_id": "TEAM123456", "key_id": "KEY1234567",
                                                          "private_key": pem, "authorize_scopes": "email name"})["IdentityProvider"]
    assert apple["ProviderDetails"]["private_key"] == pem and apple["ProviderDetails"]["oidc_issuer"] == "https://appleid.apple.com"
    saml = idp.create_identity_provider(UserPoolId=pool_id, ProviderName="Okta", ProviderType="SAML",
                                        ProviderDetails={"MetadataFile": SAML_METADATA, "IDPSignout": "true"},
                                        AttributeMapping={"email": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"},
                                        IdpIdentifiers=["okta.example", "Partner.Example"])["IdentityProvider"]
    assert saml["ProviderType"] == "SAML" and "username" not in saml["AttributeMapping"]
    assert saml["ProviderDetails"]["SSORedirectBindingURI"] == "https://idp.example/sso"
    assert saml["ProviderDetails"]["SLORedirectBindingURI"] == "https://idp.example/slo"

    described = idp.describe_identity_provider(UserPoolId=pool_id, ProviderName="Corp")["IdentityProvider"]
    assert described["ProviderDetails"] == made["ProviderDetails"]
    assert idp.get_identity_provider_by_identifier(UserPoolId=pool_id, IdpIdentifier="PARTNER.example")["IdentityProvider"]["ProviderName"] == "Okta"

    names, token = [], None
    while True:
        page = idp.list_identity_providers(UserPoolId=pool_id, MaxResults=2, **({"NextToken": token} if token else {}))
        assert len(page["Providers"]) <= 2
        names += [p["ProviderName"] for p in page["Providers"]]
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(names) == sorted(["Corp", "Google", "Facebook", "LoginWithAmazon", "SignInWithApple", "Okta"]) and len(names) == 6

    # what is given replaces what was; the secret not sent again is kept
    updated = idp.update_identity_provider(UserPoolId=pool_id, ProviderName="Corp",
                                           ProviderDetails={k: v for k, v in OIDC.items() if k != "client_secret"} | {"authorize_scopes": "openid"},
                                           AttributeMapping={"email": "mail"}, IdpIdentifiers=["corp.example", "corp2.example"])["IdentityProvider"]
    assert updated["ProviderDetails"]["client_secret"] == OIDC["client_secret"] and updated["ProviderDetails"]["authorize_scopes"] == "openid"
    assert updated["AttributeMapping"] == {"email": "mail", "username": "sub"}
    assert idp.get_identity_provider_by_identifier(UserPoolId=pool_id, IdpIdentifier="corp2.example")["IdentityProvider"]["ProviderName"] == "Corp"

    # secrets are sealed at rest: not one of them is in the database file
    database = database_bytes(data_dir)
    assert b"Corp" in database, "the database was not found"
    for secret in (OIDC["client_secret"], "g-secret", "f-secret", pem.splitlines()[1]):
        assert secret.encode() not in database, secret

    # clients may name the pool's providers and COGNITO only; a deleted provider leaves their lists
    client = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app", SupportedIdentityProviders=["COGNITO", "Corp", "Google"],
                                         CallbackURLs=["https://app.example/cb"], AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid"],
                                         AllowedOAuthFlowsUserPoolClient=True)["UserPoolClient"]
    assert error(idp.create_user_pool_client, UserPoolId=pool_id, ClientName="bad", SupportedIdentityProviders=["Nowhere"])[0] \
        == "InvalidParameterException"
    idp.delete_identity_provider(UserPoolId=pool_id, ProviderName="Corp")
    assert error(idp.describe_identity_provider, UserPoolId=pool_id, ProviderName="Corp")[0] == "ResourceNotFoundException"
    assert error(idp.get_identity_provider_by_identifier, UserPoolId=pool_id, IdpIdentifier="corp.example")[0] == "ResourceNotFoundException"
    assert idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"])["UserPoolClient"]["SupportedIdentityProviders"] \
        == ["COGNITO", "Google"]
    assert error(idp.delete_identity_provider, UserPoolId=pool_id, ProviderName="Corp")[0] == "ResourceNotFoundException"
    # the freed identifier may be taken again
    idp.create_identity_provider(UserPoolId=pool_id, ProviderName="Corp2", ProviderType="OIDC", ProviderDetails=OIDC,
                                 IdpIdentifiers=["corp.example"])


def test_bad_providers_are_refused_with_cognitos_errors_and_leave_nothing(admin):
    server, idp = admin
    pool_id = idp.create_user_pool(PoolName="refusals")["UserPool"]["Id"]
    idp.create_identity_provider(UserPoolId=pool_id, ProviderName="Corp", ProviderType="OIDC", ProviderDetails=OIDC,
                                 IdpIdentifiers=["corp.example"])

    def refused(name="Other", kind="OIDC", details=OIDC, **extra):
        return error(idp.create_identity_provider, UserPoolId=pool_id, ProviderName=name, ProviderType=kind, ProviderDetails=details, **extra)

    assert refused(name="Corp")[0] == "DuplicateProviderException"
    assert refused(IdpIdentifiers=["CORP.example"])[0] == "DuplicateProviderException"
    assert refused(name="MyGoogle", kind="Google", details={"client_id": "a", "client_secret": "b", "authorize_scopes": "openid"})[0] \
        == "InvalidParameterException"
    assert refused(name="Google", kind="OIDC")[0] == "InvalidParameterException"
    assert refused(name="COGNITO")[0] == "InvalidParameterException"
    assert refused(kind="Twitter")[0] == "InvalidParameterException"
    assert refused(details={k: v for k, v in OIDC.items() if k != "client_id"})[0] == "InvalidParameterException"
    assert refused(details=OIDC | {"attributes_request_method": "PUT"})[0] == "InvalidParameterException"
    assert refused(details=OIDC | {"oidc_issuer": "http://login.corp.example"})[0] == "InvalidParameterException"
    assert refused(details=OIDC_ISSUER_ONLY | {"authorize_url": "https://login.corp.example/authorize"})[0] == "InvalidParameterException"
    assert refused(details=OIDC | {"jwks_uri": "http://login.corp.example/keys"})[0] == "InvalidParameterException"
    assert refused(details=OIDC | {"surprise": "1"})[0] == "InvalidParameterException"
    assert refused(AttributeMapping={"favourite_colour": "colour"})[0] == "InvalidParameterException"
    assert refused(IdpIdentifiers=["a.example", "A.example"])[0] == "InvalidParameterException"
    assert refused(name="SignInWithApple", kind="SignInWithApple", details={
        "client_id": "c", "team_id": "t", "key_id": "k", "private_key": "not a key", "authorize_scopes": "email"})[0] == "InvalidParameterException"
    assert refused(name="Okta", kind="SAML", details={"IDPSignout": "true"})[0] == "InvalidParameterException"
    assert refused(name="Okta", kind="SAML", details={"MetadataFile": "<html/>"})[0] == "InvalidParameterException"
    xxe = '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + SAML_METADATA.split("?>", 1)[1].replace(
        'entityID="https://idp.example/saml"', 'entityID="&x;"')
    code, message = refused(name="Okta", kind="SAML", details={"MetadataFile": xxe})
    assert code == "InvalidParameterException" and "root:" not in message and "/bin/" not in message
    assert refused(name="Okta", kind="SAML", details={"MetadataURL": "https://idp.example/md", "MetadataFile": SAML_METADATA})[0] \
        == "InvalidParameterException"
    assert error(idp.describe_identity_provider, UserPoolId=pool_id, ProviderName="Other")[0] == "ResourceNotFoundException"
    assert error(idp.describe_identity_provider, UserPoolId="local_Missing00", ProviderName="Corp")[0] == "ResourceNotFoundException"
    assert error(idp.update_identity_provider, UserPoolId=pool_id, ProviderName="Other", AttributeMapping={})[0] == "ResourceNotFoundException"
    other = idp.create_user_pool(PoolName="other")["UserPool"]["Id"]
    assert error(idp.describe_identity_provider, UserPoolId=other, ProviderName="Corp")[0] == "ResourceNotFoundException"
    assert [p["ProviderName"] for p in idp.list_identity_providers(UserPoolId=pool_id)["Providers"]] == ["Corp"]

    # an unsigned call is refused before anything is read
    import boto3
    import botocore
    anonymous = boto3.client("cognito-idp", endpoint_url=server.url, region_name="local",
                             config=botocore.config.Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}))
    assert error(anonymous.list_identity_providers, UserPoolId=pool_id)[0] in ("NotAuthorizedException", "MissingAuthenticationTokenException",
                                                                                "UnrecognizedClientException")


def test_racing_creates_of_one_name_make_one_provider(admin):
    server, idp = admin
    pool_id = idp.create_user_pool(PoolName="race")["UserPool"]["Id"]

    def create(index):
        try:
            idp.create_identity_provider(UserPoolId=pool_id, ProviderName="Corp", ProviderType="OIDC",
                                         ProviderDetails=OIDC | {"client_id": f"app-{index}"}, IdpIdentifiers=[f"c{index}.example"])
            return "made"
        except ClientError as refused:
            assert refused.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            return refused.response["Error"]["Code"]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(create, range(8)))
    assert results.count("made") == 1 and results.count("DuplicateProviderException") == 7, results
    [provider] = idp.list_identity_providers(UserPoolId=pool_id)["Providers"]
    made = idp.describe_identity_provider(UserPoolId=pool_id, ProviderName="Corp")["IdentityProvider"]
    # the identifiers are the winner's alone: no loser left one behind
    for index in range(8):
        holder = f"c{index}.example"
        if holder in made["IdpIdentifiers"]:
            continue
        assert error(idp.get_identity_provider_by_identifier, UserPoolId=pool_id, IdpIdentifier=holder)[0] == "ResourceNotFoundException"


class DiscoveryDocuments:
    """A loopback web server serving OpenID discovery documents: `/good` names its own issuer,
    `/liar` names another one (a test-side stand-in for an issuer's well-known path only)."""

    def __init__(self):
        import http.server
        import json
        import threading
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                tenant = self.path.split("/")[1]
                issuer = f"{outer.base}/{tenant}"
                if self.path != f"/{tenant}/.well-known/openid-configuration" or tenant not in ("good", "liar"):
                    self.send_response(404)
                    self.end_headers()
                    return
                body = json.dumps({
                    "issuer": issuer if tenant == "good" else "https://someone-else.example",
                    "authorization_endpoint": f"{issuer}/authorize", "token_endpoint": f"{issuer}/token",
                    "userinfo_endpoint": f"{issuer}/userinfo", "jwks_uri": f"{issuer}/jwks"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_an_oidc_provider_given_only_its_issuer_shows_the_endpoints_its_discovery_document_names(admin):
    import time
    from conftest import free_port
    server, idp = admin
    pool_id = idp.create_user_pool(PoolName="discovery")["UserPool"]["Id"]
    documents = DiscoveryDocuments()
    try:
        issuer = f"{documents.base}/good"
        made = idp.create_identity_provider(UserPoolId=pool_id, ProviderName="Corp", ProviderType="OIDC",
                                            ProviderDetails=OIDC_ISSUER_ONLY | {"oidc_issuer": issuer})["IdentityProvider"]["ProviderDetails"]
        assert made["authorize_url"] == f"{issuer}/authorize" and made["token_url"] == f"{issuer}/token"
        assert made["attributes_url"] == f"{issuer}/userinfo" and made["jwks_uri"] == f"{issuer}/jwks"
        # a document that names another issuer, one that is not there, a host that does not answer
        for bad in (f"{documents.base}/liar", f"{documents.base}/missing", f"http://127.0.0.1:{free_port()}"):
            started = time.time()
            code, message = error(idp.create_identity_provider, UserPoolId=pool_id, ProviderName="Other", ProviderType="OIDC",
                                  ProviderDetails=OIDC_ISSUER_ONLY | {"oidc_issuer": bad})
            assert code == "InvalidParameterException" and "discovery document" in message, message
            assert time.time() - started < 15
        assert error(idp.describe_identity_provider, UserPoolId=pool_id, ProviderName="Other")[0] == "ResourceNotFoundException"
    finally:
        documents.close()


def test_the_pools_saml_service_provider_metadata(admin):
    """What an IdP administrator loads: the pool's SP entity id (Cognito's urn), where responses
    are posted and where logout goes."""
    import xml.etree.ElementTree as ElementTree
    server, idp = admin
    pool_id = idp.create_user_pool(PoolName="saml-sp")["UserPool"]["Id"]
    answer = requests.get(f"{server.url}/{pool_id}/saml2/metadata", timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/samlmetadata+xml")
    md = "{urn:oasis:names:tc:SAML:2.0:metadata}"
    root = ElementTree.fromstring(answer.content)
    assert root.tag == f"{md}EntityDescriptor" and root.get("entityID") == f"urn:amazon:cognito:sp:{pool_id}"
    sp = root.find(f"{md}SPSSODescriptor")
    assert sp.get("WantAssertionsSigned") == "true"
    acs = sp.find(f"{md}AssertionConsumerService")
    assert acs.get("Location") == f"{server.url}/{pool_id}/saml2/idpresponse"
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    assert requests.get(f"{server.url}/local_Missing00/saml2/metadata", timeout=30).status_code == 404
