"""Management API access tokens as Auth0 mints them: RS256 JWTs whose claims name the issuer, the
client (``sub`` = ``<client_id>@clients``, ``azp``), the audience, the granted ``scope`` and
``gty: client-credentials`` (Auth0's audit tools decode them to see which scopes they hold)."""

from __future__ import annotations

import secrets
import time
from functools import cache

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_ID = "sim-management-api"


@cache
def _signing_key() -> rsa.RSAPrivateKey:
    """One key per simulator process, made on first use."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def mint(domain: str, client_id: str, audience: str, scopes: tuple[str, ...], lifetime: int) -> str:
    """A signed access token for ``client_id``."""
    now = int(time.time())
    claims = {
        "iss": f"https://{domain}/",
        "sub": f"{client_id}@clients",
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
        "jti": secrets.token_hex(8),
        "scope": " ".join(scopes),
        "gty": "client-credentials",
        "azp": client_id,
    }
    return jwt.encode(claims, _signing_key(), algorithm="RS256", headers={"kid": KEY_ID})
