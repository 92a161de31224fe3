"""Link security as a Quell stage does it (docs/SECURITY.md).

Every local link is ZeroMQ CURVE under the user's local key pair
(``~/.config/quell/local.key``: ``public-key = <z85>`` / ``secret-key = <z85>``,
mode 0600): bound sockets are servers proving that key and admitting only it;
connecting sockets are clients proving it and expecting it as the server's key.
An inference node's data input proves a fresh key pair instead, named as
``dataKey`` in its hello, which capture's data socket for it admits alone.
``LinkSecurity(None)`` is ``--local-auth off``: plaintext.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

import zmq
import zmq.utils.z85

LOCAL_KEY_FILE = "local.key"
_LINE = re.compile(r"^(public-key|secret-key)\s*=\s*(\S+)$")


@dataclass(frozen=True)
class KeyPair:
    public_key: str
    secret_key: str


def default_key_dir() -> Path:
    return Path.home() / ".config" / "quell"


def _is_key(text: str) -> bool:
    if len(text) != 40:
        return False
    try:
        return len(zmq.utils.z85.decode(text.encode())) == 32
    except Exception:
        return False


def parse_key_pair(text: str, path: str = "<text>") -> KeyPair:
    found: dict[str, str] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m or not _is_key(m.group(2)):
            raise ValueError(f"key file '{path}' line {n} is not 'public-key = <z85>' or 'secret-key = <z85>'")
        found[m.group(1)] = m.group(2)
    if "public-key" not in found or "secret-key" not in found:
        raise ValueError(f"key file '{path}' needs both public-key and secret-key")
    return KeyPair(found["public-key"], found["secret-key"])


def format_key_pair(pair: KeyPair, name: str = "local") -> str:
    return (f"# Quell CURVE key pair '{name}'. SECRET: keep this file private (mode 0600).\n"
            f"public-key = {pair.public_key}\nsecret-key = {pair.secret_key}\n")


def fresh_key_pair() -> KeyPair:
    public, secret = zmq.curve_keypair()
    return KeyPair(public.decode(), secret.decode())


def _check_private(path: Path) -> None:
    st = path.lstat()
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"link key file '{path}' is not a plain file")
    if st.st_uid != os.getuid():
        raise ValueError(f"link key file '{path}' belongs to uid {st.st_uid}, not to this user")
    if st.st_mode & 0o077:
        raise ValueError(f"link key file '{path}' is readable by other users: run 'chmod 600 {path}'")


def load_local_key(key_dir: str | Path | None = None) -> KeyPair:
    """The user's local key pair, made on first use exactly as Quell makes it (0700 folder, 0600 file, first writer wins)."""
    folder = Path(key_dir) if key_dir else default_key_dir()
    path = folder / LOCAL_KEY_FILE
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        candidate = folder / f"{LOCAL_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(format_key_pair(fresh_key_pair()))
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    _check_private(path)
    return parse_key_pair(path.read_text(), str(path))


class LinkSecurity:
    """CURVE settings for each kind of socket; `local=None` means plaintext (--local-auth off)."""

    def __init__(self, local: KeyPair | None, context: zmq.Context | None = None) -> None:
        self.local = local
        self._context = context
        self._auth = None

    @classmethod
    def from_args(cls, local_auth: str = "curve", key_dir: str | None = None, context: zmq.Context | None = None) -> "LinkSecurity":
        return cls(load_local_key(key_dir) if local_auth != "off" else None, context)

    @property
    def enabled(self) -> bool:
        return self.local is not None

    def client(self, sock: zmq.Socket, pair: KeyPair | None = None) -> None:
        """A connecting socket: proves `pair` (the local key unless given) and expects the local key as the server's."""
        if self.local is None:
            return
        pair = pair or self.local
        sock.curve_publickey = pair.public_key.encode()
        sock.curve_secretkey = pair.secret_key.encode()
        sock.curve_serverkey = self.local.public_key.encode()

    def server(self, sock: zmq.Socket) -> None:
        """A bound socket: proves the local key and admits only peers proving it (a ZAP handler in this process)."""
        if self.local is None:
            return
        if self._auth is None:
            from zmq.auth.thread import ThreadAuthenticator

            allowed = self.local.public_key.encode()

            class _LocalKeyOnly:
                def callback(self, domain: str, key: bytes) -> bool:
                    return key == allowed

            self._auth = ThreadAuthenticator(self._context or zmq.Context.instance())
            self._auth.start()
            self._auth.configure_curve_callback("quell", credentials_provider=_LocalKeyOnly())
        sock.zap_domain = b"quell"
        sock.curve_server = True
        sock.curve_secretkey = self.local.secret_key.encode()

    def close(self) -> None:
        if self._auth is not None:
            self._auth.stop()
            self._auth = None
