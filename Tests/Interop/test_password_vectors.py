"""The password-hash fixture the Swift tests verify, checked here with the libraries that made it."""
import base64
import hashlib
import json
import os

import argon2
import bcrypt

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "CognateCoreTests", "Fixtures", "password-vectors.json")


def lenient_b64(text):
    text = text.replace(".", "+")
    return base64.b64decode(text + "=" * (-len(text) % 4))


def python_verifies(password, hashed):
    if hashed.startswith("$argon2"):
        try:
            return argon2.PasswordHasher().verify(hashed, password)
        except argon2.exceptions.VerifyMismatchError:
            return False
    if hashed.startswith("$2"):
        return bcrypt.checkpw(password.encode(), hashed.encode())
    if hashed.startswith("pbkdf2_"):
        algo, rounds, salt, digest = hashed.split("$")
        dk = hashlib.pbkdf2_hmac(algo[len("pbkdf2_"):], password.encode(), salt.encode(), int(rounds))
        return base64.b64encode(dk).decode() == digest
    if hashed.startswith("$pbkdf2-"):
        _, name, params, salt, digest = hashed.split("$")
        rounds = int(params) if params.isdigit() else int(dict(p.split("=") for p in params.split(","))["i"])
        expected = lenient_b64(digest)
        return hashlib.pbkdf2_hmac(name[len("pbkdf2-"):], password.encode(), lenient_b64(salt), rounds, len(expected)) == expected
    if hashed.startswith("$scrypt$"):
        _, _, params, salt, digest = hashed.split("$")
        p = dict(kv.split("=") for kv in params.split(","))
        expected = lenient_b64(digest)
        return hashlib.scrypt(password.encode(), salt=lenient_b64(salt), n=2 ** int(p["ln"]), r=int(p["r"]),
                              p=int(p["p"]), dklen=len(expected)) == expected
    raise ValueError(hashed)


def test_fixture_covers_every_supported_format():
    names = {v["name"] for v in json.load(open(FIXTURE))}
    for expected in ["argon2id-owasp", "argon2i", "bcrypt-2b", "bcrypt-2a", "pbkdf2-sha256-phc", "pbkdf2-sha512-passlib",
                     "pbkdf2-sha256-django", "scrypt-phc", "scrypt-passlib"]:
        assert expected in names


def test_every_vector_verifies_with_the_independent_library_and_a_wrong_password_does_not():
    for vector in json.load(open(FIXTURE)):
        assert python_verifies(vector["password"], vector["hash"]), vector["name"]
        assert not python_verifies(vector["password"] + "x", vector["hash"]), vector["name"]
