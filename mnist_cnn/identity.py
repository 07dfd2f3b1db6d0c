"""Who a browser is, kept by the browser and signed by the server, so it lasts through reloads and
new tabs and cannot be forged.

A browser gets a random id the first time it opens the app; its runs are recorded as its own
under that id. The id travels in a cookie (`COOKIE`) holding a token:

    <browser id>.<signature of the id>[.<teacher signature>]

Both signatures are HMAC-SHA256 with the server's secret. The teacher signature also covers the
teacher passphrase, so it stops counting when the passphrase changes; signing out drops it and
keeps the browser id (and so the browser's runs). A token edited in the browser no longer
matches its signature and is ignored (the browser then starts again as a new student).

The secret: `MNIST_CNN_SESSION_SECRET`, else `session_secret` in Streamlit's secrets, else a
random one made once and kept in the models folder (`.session-secret`), which app servers that
share that folder share too. Nothing here imports Streamlit.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets as random_tokens
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mnist_cnn import settings
from mnist_cnn.storage import write_temporary

COOKIE = "mnist_cnn_browser"  # the cookie's name
COOKIE_DAYS = 365  # how long a browser keeps it
SECRET_NAME = "session_secret"  # its name in .streamlit/secrets.toml
SECRET_FILE = ".session-secret"  # in the models folder, when neither sets one
BROWSER_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Identity:
    browser: str  # 32 hex digits
    teacher: bool = False  # proved the current teacher passphrase in this browser


def new_identity() -> Identity:
    return Identity(random_tokens.token_hex(16))


def _signature(secret: bytes, *parts: str) -> str:
    message = "\n".join(parts).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def make_token(identity: Identity, secret: bytes, passphrase: str | None) -> str:
    """The cookie's value for `identity` (a teacher token needs the current passphrase)."""
    if not BROWSER_ID.fullmatch(identity.browser):
        raise ValueError(f"A browser id is 32 hex digits. Received: {identity.browser=!r}")
    token = f"{identity.browser}.{_signature(secret, 'browser', identity.browser)}"
    if identity.teacher:
        if passphrase is None:
            raise ValueError("A teacher token needs the teacher passphrase. Received: None")
        token += "." + _signature(secret, "teacher", identity.browser, passphrase)
    return token


def read_token(token, secret: bytes, passphrase: str | None) -> Identity | None:
    """The identity a token proves; None for a token that is missing, malformed or not signed
    by `secret`. A teacher signature made with another passphrase leaves a student."""
    if not isinstance(token, str) or len(token) > 200:
        return None
    parts = token.split(".")
    if len(parts) not in (2, 3) or not BROWSER_ID.fullmatch(parts[0]):
        return None
    browser = parts[0]
    if not hmac.compare_digest(parts[1], _signature(secret, "browser", browser)):
        return None
    teacher = (
        len(parts) == 3
        and passphrase is not None
        and hmac.compare_digest(parts[2], _signature(secret, "teacher", browser, passphrase))
    )
    return Identity(browser, teacher)


def session_secret(models_dir: str | os.PathLike, secrets: Mapping | None = None) -> bytes:
    """The server's signing secret (see the module docstring for where it comes from)."""
    configured = settings.session_secret() or (secrets or {}).get(SECRET_NAME)
    if configured and str(configured).strip():
        return str(configured).strip().encode()
    path = Path(models_dir) / SECRET_FILE
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    made = write_temporary(random_tokens.token_hex(32).encode(), path.parent, ".secret-")
    try:  # a link never replaces a file: two servers starting at once keep the same secret
        os.chmod(made, 0o600)
        os.link(made, path)
    except FileExistsError:
        pass
    finally:
        made.unlink()
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    text = path.read_text().strip()
    if len(text) < 32:
        raise OSError(f"The session secret in {path} is too short: delete the file to make anew.")
    return text.encode()
