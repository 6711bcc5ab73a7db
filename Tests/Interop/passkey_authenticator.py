"""A software WebAuthn authenticator and browser in one, for the tests: it makes the
credentials and assertions a platform authenticator would (ES256, RS256 or EdDSA keys, none or
packed attestation, a signature counter), in the JSON forms browsers' toJSON() give, from the
options Cognate hands out. Every field it writes can be bent to make the refusals."""
import base64
import hashlib
import json
import os

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Key:
    def __init__(self, algorithm="ES256"):
        self.algorithm = algorithm
        if algorithm == "ES256":
            self.private = ec.generate_private_key(ec.SECP256R1())
        elif algorithm == "RS256":
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif algorithm == "EdDSA":
            self.private = ed25519.Ed25519PrivateKey.generate()
        elif algorithm == "ES384":
            self.private = ec.generate_private_key(ec.SECP384R1())
        else:
            raise ValueError(algorithm)

    @property
    def alg(self):
        return {"ES256": -7, "RS256": -257, "EdDSA": -8, "ES384": -35}[self.algorithm]

    def cose(self):
        public = self.private.public_key()
        if self.algorithm in ("ES256", "ES384"):
            numbers = public.public_numbers()
            size = 32 if self.algorithm == "ES256" else 48
            return {1: 2, 3: self.alg, -1: 1 if self.algorithm == "ES256" else 2,
                    -2: numbers.x.to_bytes(size, "big"), -3: numbers.y.to_bytes(size, "big")}
        if self.algorithm == "RS256":
            numbers = public.public_numbers()
            return {1: 3, 3: -257, -1: numbers.n.to_bytes(256, "big"), -2: numbers.e.to_bytes(3, "big")}
        return {1: 1, 3: -8, -1: 6, -2: public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)}

    def sign(self, message):
        if self.algorithm == "ES256":
            return self.private.sign(message, ec.ECDSA(hashes.SHA256()))
        if self.algorithm == "ES384":
            return self.private.sign(message, ec.ECDSA(hashes.SHA384()))
        if self.algorithm == "RS256":
            return self.private.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return self.private.sign(message)

    def certificate(self):
        """A self-signed certificate for this key, as a packed attestation's x5c carries."""
        import datetime
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Cognate test authenticator")])
        now = datetime.datetime.now(datetime.timezone.utc)
        algorithm = None if self.algorithm == "EdDSA" else hashes.SHA256()
        return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self.private.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=30)).sign(self.private, algorithm)).public_bytes(serialization.Encoding.DER)


class Passkey:
    """One credential: its id, key, counter and the user handle it was made for."""
    def __init__(self, key, user_handle):
        self.id = os.urandom(32)
        self.key = key
        self.user_handle = user_handle
        self.count = 0


class Authenticator:
    def __init__(self, origin, uv=True, counts=True):
        self.origin = origin
        self.uv = uv
        self.counts = counts

    @staticmethod
    def auth_data(rp_id, flags, count, attested=b""):
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + count.to_bytes(4, "big") + attested

    def flags(self, attested=False):
        return 0x01 | (0x04 if self.uv else 0) | (0x40 if attested else 0)

    def create(self, options, algorithm="ES256", fmt="none", origin=None, rp_id=None, type_="webauthn.create", challenge=None,
               x5c=False, attestation_key=None):
        """navigator.credentials.create with these options: the passkey and its RegistrationResponseJSON."""
        key = Key(algorithm)
        passkey = Passkey(key, unb64url(options["user"]["id"]))
        client_data = json.dumps({"type": type_, "challenge": challenge or options["challenge"], "origin": origin or self.origin,
                                  "crossOrigin": False}).encode()
        cose = cbor2.dumps(key.cose())
        attested = bytes(16) + len(passkey.id).to_bytes(2, "big") + passkey.id + cose
        if self.counts:
            passkey.count = 1
        auth_data = self.auth_data(rp_id or options["rp"]["id"], self.flags(attested=True), passkey.count, attested)
        signed = auth_data + hashlib.sha256(client_data).digest()
        if fmt == "none":
            statement = {}
        elif fmt == "packed" and x5c:
            signer = attestation_key or Key("ES256")
            statement = {"alg": signer.alg, "sig": signer.sign(signed), "x5c": [signer.certificate()]}
        elif fmt == "packed":
            statement = {"alg": key.alg, "sig": (attestation_key or key).sign(signed)}
        else:
            statement = {"sig": key.sign(signed)}
        attestation = cbor2.dumps({"fmt": fmt, "attStmt": statement, "authData": auth_data})
        return passkey, {
            "id": b64url(passkey.id), "rawId": b64url(passkey.id), "type": "public-key", "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation), "transports": ["internal", "hybrid"]},
        }

    def get(self, options, passkey, origin=None, rp_id=None, count=None, signer=None, type_="webauthn.get", challenge=None, uv=None):
        """navigator.credentials.get: the AuthenticationResponseJSON, as a string (RespondToAuthChallenge's CREDENTIAL)."""
        if count is not None:
            passkey.count = count
        elif self.counts:
            passkey.count += 1
        client_data = json.dumps({"type": type_, "challenge": challenge or options["challenge"], "origin": origin or self.origin,
                                  "crossOrigin": False}).encode()
        flags = 0x01 | (0x04 if (self.uv if uv is None else uv) else 0)
        auth_data = self.auth_data(rp_id or options["rpId"], flags, passkey.count)
        signature = (signer or passkey.key).sign(auth_data + hashlib.sha256(client_data).digest())
        return json.dumps({
            "id": b64url(passkey.id), "rawId": b64url(passkey.id), "type": "public-key", "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {"clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data), "signature": b64url(signature),
                         "userHandle": b64url(passkey.user_handle)},
        })
