"""Password-hash vectors made by independent implementations (argon2-cffi, bcrypt, hashlib).

`python password_vectors.py > ../CognateCoreTests/Fixtures/password-vectors.json` rewrites the
fixture the Swift tests verify; test_password_vectors.py checks the fixture with these same
libraries, so a vector that is wrong here cannot pass there by accident.
"""
import base64
import hashlib
import json
import os
import sys

import argon2
import bcrypt


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def ab64(data: bytes) -> str:
    """passlib's adapted base64: '.' instead of '+', no padding."""
    return b64(data).replace("+", ".")


def make(password: str):
    salt = os.urandom(16)
    vectors = []
    vectors.append(("argon2id-owasp", argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(password), False))
    vectors.append(("argon2id-cheaper", argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(password), True))
    vectors.append(("argon2i", argon2.PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1, type=argon2.Type.I).hash(password), True))
    vectors.append(("bcrypt-2b", bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=6)).decode(), True))
    vectors.append(("bcrypt-2a", bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=6, prefix=b"2a")).decode(), True))
    for digest in ("sha256", "sha512"):
        dk = hashlib.pbkdf2_hmac(digest, password.encode(), salt, 10000)
        vectors.append((f"pbkdf2-{digest}-phc", f"$pbkdf2-{digest}$i=10000,l={len(dk)}${b64(salt)}${b64(dk)}", True))
        vectors.append((f"pbkdf2-{digest}-passlib", f"$pbkdf2-{digest}$10000${ab64(salt)}${ab64(dk)}", True))
        text_salt = base64.b64encode(salt).decode()[:12]
        dj = hashlib.pbkdf2_hmac(digest, password.encode(), text_salt.encode(), 10000)
        vectors.append((f"pbkdf2-{digest}-django", f"pbkdf2_{digest}$10000${text_salt}${base64.b64encode(dj).decode()}", True))
    sk = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    vectors.append(("scrypt-phc", f"$scrypt$ln=14,r=8,p=1${b64(salt)}${b64(sk)}", True))
    vectors.append(("scrypt-passlib", f"$scrypt$ln=14,r=8,p=1${ab64(salt)}${ab64(sk)}", True))
    return [{"name": n, "password": password, "hash": h, "needsUpgrade": u} for n, h, u in vectors]


if __name__ == "__main__":
    passwords = ["correct horse battery staple", "Pässwörd-ünïcode-🔑", "S3cret!"]
    json.dump([v for p in passwords for v in make(p)], sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
