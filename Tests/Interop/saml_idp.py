"""A real SAML 2.0 identity provider for the federation tests, built on pysaml2 (with Debian's
xmlsec1 doing its signing and encryption): metadata, single sign-on over HTTP-Redirect, the
Response posted back by the HTTP-POST binding's own form, signed on the Response and on the
Assertion, and single logout. Test-side only: it stands in for Okta, Entra ID or ADFS.
`user` is who signs in there (None: the IdP refuses); `misbehave` makes its answers wrong in
one way, to test that Cognate refuses them; `encrypt` encrypts the assertion for the SP."""
import datetime
import functools
import os
import re
import tempfile
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from flask import Flask, request
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, entity, sigver
from saml2.authn_context import PASSWORD
from saml2.config import IdPConfig
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
from saml2.samlp import STATUS_AUTHN_FAILED
from saml2.server import Server
from werkzeug.serving import make_server


AES256_CBC = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
RSA_1_5 = "http://www.w3.org/2001/04/xmlenc#rsa-1_5"


def key_and_certificate(folder, name, days=365, start_days_ago=1):
    """An RSA key and a self-signed certificate in PEM files; returns their paths."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=start_days_ago))
                   .not_valid_after(now + datetime.timedelta(days=days)).sign(key, hashes.SHA256()))
    key_path, cert_path = os.path.join(folder, f"{name}.key"), os.path.join(folder, f"{name}.crt")
    with open(key_path, "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
    with open(cert_path, "wb") as out:
        out.write(certificate.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


class SAMLIdP:
    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="saml-idp-")
        self.app = Flask("saml-idp")
        self.http = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.base = f"http://127.0.0.1:{self.http.server_port}"
        self.entity_id = self.base + "/metadata"
        self.user = {"name_id": "ana.lima", "attributes": {
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": ["ana@corp.example"],
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name": ["Ana Lima"],
            "groups": ["staff", "sales"]}}
        self.misbehave = None  # "audience", "foreign key", "unsigned", "expired", "destination", "sha1"
        self.encrypt = False
        self.sign_response = True  # False: only the Assertion is signed
        self.logout_binding = BINDING_HTTP_POST  # how the LogoutResponse goes back (Cognito asks for POST)
        self.requests, self.logouts = [], []
        self.server = self._server("idp", lifetime=15)
        self.foreign = None
        self._routes()
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def _server(self, name, lifetime, days=365, start_days_ago=1, keys=None, sha1=False):
        key, cert = keys or key_and_certificate(self.folder, name, days=days, start_days_ago=start_days_ago)
        config = IdPConfig()
        config.load({
            "entityid": self.entity_id,
            "service": {"idp": {
                "endpoints": {"single_sign_on_service": [(self.base + "/sso", BINDING_HTTP_REDIRECT)],
                              "single_logout_service": [(self.base + "/slo", BINDING_HTTP_REDIRECT)]},
                "policy": {"default": {"lifetime": {"minutes": lifetime}, "attribute_restrictions": None,
                                       "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"}},
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "want_authn_requests_signed": False,
                # pysaml2 signs with SHA-1 unless told; Cognate takes SHA-2 only
                **({} if sha1 else {"signing_algorithm": SIG_RSA_SHA256, "digest_algorithm": DIGEST_SHA256}),
            }},
            "key_file": key, "cert_file": cert,
            "encryption_keypairs": [{"key_file": key, "cert_file": cert}],
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "allow_unknown_attributes": True,
            "metadata": {},
        })
        server = Server(config=config)
        server.keys = (key, cert)
        return server

    def metadata(self):
        return str(entity_descriptor(self.server.config))

    def trust(self, sp_metadata):
        """Loads the SP's metadata (Cognate's /saml2/metadata), as an IdP administrator does."""
        # and, for the "audience" misbehaviour, the same SP under another entity id
        other = re.sub(r'entityID="[^"]+"', 'entityID="urn:amazon:cognito:sp:someone-else"', sp_metadata, count=1)
        for server in filter(None, (self.server, self.foreign)):
            server.metadata.load("inline", sp_metadata)
            server.metadata.load("inline", other)

    def expired_metadata(self):
        """This IdP's metadata with a signing certificate that expired yesterday."""
        return str(entity_descriptor(self._server("expired", lifetime=15, days=-1, start_days_ago=30).config))

    def _routes(self):
        app = self.app

        @app.get("/metadata")
        def metadata():
            return self.metadata(), 200, {"Content-Type": "application/samlmetadata+xml"}

        @app.get("/sso")
        def sso():
            info = self.server.parse_authn_request(request.args["SAMLRequest"], BINDING_HTTP_REDIRECT)
            self.requests.append({"id": info.message.id, "query": request.query_string.decode(), "args": dict(request.args),
                                  "issuer": info.message.issuer.text, "acs": info.message.assertion_consumer_service_url})
            return self.respond(info.message.issuer.text, info.message.assertion_consumer_service_url, info.message.id,
                                request.args.get("RelayState"))

        @app.get("/slo")
        def slo():
            info = self.server.parse_logout_request(request.args["SAMLRequest"], BINDING_HTTP_REDIRECT)
            self.logouts.append({"args": dict(request.args), "name_id": info.message.name_id.text,
                                 "session_index": [index.text for index in info.message.session_index]})
            sp = info.message.issuer.text
            binding = self.logout_binding
            destination = self.server.metadata.single_logout_service(sp, binding, "spsso")[0]["location"]
            response = self.server.create_logout_response(info.message, [binding])
            args = self.server.apply_binding(binding, str(response), destination, request.args.get("RelayState"), response=True)
            if binding == BINDING_HTTP_POST:
                return args["data"], 200, {"Content-Type": "text/html"}
            return "", 302, {"Location": dict(args["headers"])["Location"]}

    def response_xml(self, sp_entity_id, acs, in_response_to):
        """A Response as pysaml2 makes it (signed, maybe encrypted), with this IdP's misbehaviour."""
        server = self.server
        if self.misbehave == "foreign key":
            if self.foreign is None:
                self.foreign = self._server("foreign", lifetime=15)
                self.foreign.metadata = self.server.metadata
            server = self.foreign
        if self.misbehave == "expired":
            # the IdP's own key, with assertions that ran out ten minutes ago
            server = self._server("short", lifetime=-10, keys=self.server.keys)
            server.metadata = self.server.metadata
        if self.misbehave == "sha1":
            # the IdP's own key, signing with RSA-SHA1 and SHA-1 digests
            server = self._server("sha1", lifetime=15, keys=self.server.keys, sha1=True)
            server.metadata = self.server.metadata
        if self.user is None:
            return str(server.create_error_response(in_response_to, acs, (STATUS_AUTHN_FAILED, "the person did not sign in"), sign=True))
        audience = "urn:amazon:cognito:sp:someone-else" if self.misbehave == "audience" else sp_entity_id
        destination = "http://127.0.0.1:9/elsewhere" if self.misbehave == "destination" else acs
        signed = self.misbehave != "unsigned"
        if self.encrypt:
            # pysaml2 encrypts with 3DES unless told; AES-256 as Okta and Entra ID do ("3des" keeps pysaml2's default)
            aes = self.misbehave != "3des"
            # "rsa15": the content key sent with RSA PKCS#1 v1.5 (open to Bleichenbacher's attack) instead of RSA-OAEP
            transport = {"key_enc": RSA_1_5} if self.misbehave == "rsa15" else {}
            entity.pre_encryption_part = (functools.partial(sigver.pre_encryption_part, msg_enc=AES256_CBC, **transport) if aes
                                          else sigver.pre_encryption_part)
            server.sec.encrypt_assertion = functools.partial(type(server.sec).encrypt_assertion, server.sec,
                                                             key_type="aes-256" if aes else "des-192")
        response = server.create_authn_response(
            identity=self.user["attributes"], in_response_to=in_response_to, destination=destination, sp_entity_id=audience,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=self.user["name_id"]),
            authn={"class_ref": PASSWORD, "authn_auth": self.entity_id}, sign_response=signed and self.sign_response, sign_assertion=signed,
            encrypt_assertion=self.encrypt, encrypted_advice_attributes=False)
        return str(response)

    def respond(self, sp_entity_id, acs, in_response_to, relay_state):
        """The HTTP-POST binding's page: a form the browser posts to the SP's ACS."""
        xml = self.response_xml(sp_entity_id, acs, in_response_to)
        args = self.server.apply_binding(BINDING_HTTP_POST, xml, acs, relay_state, response=True)
        return args["data"], 200, {"Content-Type": "text/html"}

    def unsolicited_form(self, sp_entity_id, acs, relay_state):
        """An IdP-initiated sign-in: the page of a Response that answers no request."""
        return self.respond(sp_entity_id, acs, None, relay_state)[0]

    def close(self):
        self.http.shutdown()


def verify_redirect_signature(query, certificate_pem):
    """Checks an HTTP-Redirect binding signature (Bindings §3.4.4.1) over the query's own octets."""
    import base64
    from urllib.parse import parse_qs, unquote_plus
    signed, _, signature = query.rpartition("&Signature=")
    certificate = x509.load_pem_x509_certificate(certificate_pem)
    assert parse_qs(query)["SigAlg"] == ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"]
    certificate.public_key().verify(base64.b64decode(unquote_plus(signature)), signed.encode(), padding.PKCS1v15(), hashes.SHA256())
    return True

