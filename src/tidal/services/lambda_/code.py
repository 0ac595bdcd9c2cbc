"""Deployment packages: checking an uploaded zip, and unpacking it where workers run it.

A package lives at ``<data_dir>/functions/<name>/<sha256 hex>/`` (unpacked) beside
``<sha256 hex>.zip`` (as uploaded, for GetFunction's ``Code.Location`` and to unpack again
if the directory is lost). Directories are content-addressed, so an update never touches
the code a running worker imported, and unpacking is all-or-nothing: into a temporary
directory first, renamed into place when complete.

Unpacking never writes outside the target directory: entry names with ``..`` or a leading
``/`` are refused, files are opened with O_NOFOLLOW, symbolic links are created only after
every regular file (so nothing is written through one) and only when they point inside the
package.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import posixpath
import re
import secrets
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tidal.services.lambda_.errors import invalid_parameter, request_entity_too_large

# AWS's quotas for a .zip deployment package: 50 MB uploaded directly, 250 MB unzipped.
MAX_ZIPPED_BYTES = 52_428_800
MAX_UNZIPPED_BYTES = 262_144_000

UNZIP_FAILED = "Could not unzip uploaded file. Please check your file, then try to upload again."

_SAFE_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_SHA_HEX = re.compile(r"[0-9a-f]{64}")
_COPY_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class CodePackage:
    """A checked zip: its bytes and the digests AWS reports for it."""

    data: bytes
    sha256_hex: str
    sha256_base64: str  # CodeSha256 in FunctionConfiguration

    @property
    def size(self) -> int:  # CodeSize: the zip's size, not the unpacked size
        return len(self.data)


@dataclass(frozen=True, slots=True)
class _Entry:
    info: zipfile.ZipInfo
    parts: tuple[str, ...]
    is_dir: bool
    is_symlink: bool
    mode: int


def check_zip(data: object) -> CodePackage:
    """Validate an uploaded ZipFile the way Lambda does before accepting it."""
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes) or not data:
        raise invalid_parameter(UNZIP_FAILED)
    if len(data) > MAX_ZIPPED_BYTES:
        # Wording as LocalStack records it; live Lambda's HTTP front door may refuse the
        # request itself first ("Request must be smaller than ... for the CreateFunction operation").
        raise request_entity_too_large(f"Zipped size must be smaller than {MAX_ZIPPED_BYTES} bytes")
    _read_entries(data)
    digest = hashlib.sha256(data).digest()
    return CodePackage(data, digest.hex(), base64.b64encode(digest).decode("ascii"))


def _read_entries(data: bytes) -> list[_Entry]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise invalid_parameter(UNZIP_FAILED) from exc
    entries: list[_Entry] = []
    total = 0
    for info in infos:
        name = info.filename
        if "\x00" in name or name.startswith("/"):
            raise invalid_parameter(UNZIP_FAILED)
        parts = tuple(part for part in name.split("/") if part not in ("", "."))
        if not parts or any(part == ".." for part in parts):
            if not parts and info.is_dir():
                continue  # a "./" entry: the root itself
            raise invalid_parameter(UNZIP_FAILED)
        if info.flag_bits & 0x1:  # encrypted: Lambda cannot read it either
            raise invalid_parameter(UNZIP_FAILED)
        if info.compress_type not in (
            zipfile.ZIP_STORED,
            zipfile.ZIP_DEFLATED,
            zipfile.ZIP_BZIP2,
            zipfile.ZIP_LZMA,
        ):
            raise invalid_parameter(UNZIP_FAILED)
        unix_mode = info.external_attr >> 16 if info.create_system == 3 else 0
        is_symlink = stat.S_ISLNK(unix_mode)
        total += info.file_size
        if total > MAX_UNZIPPED_BYTES:
            raise invalid_parameter(f"Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes")
        entries.append(_Entry(info, parts, info.is_dir(), is_symlink, stat.S_IMODE(unix_mode)))
    return entries


class CodeStore:
    """The unpacked packages of every function under ``<data_dir>/functions``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def code_dir(self, name: str, sha256_hex: str) -> Path:
        return self._function_dir(name) / _checked_hex(sha256_hex)

    def zip_path(self, name: str, sha256_hex: str) -> Path:
        return self._function_dir(name) / f"{_checked_hex(sha256_hex)}.zip"

    def install(self, name: str, package: CodePackage) -> Path:
        """Keep the zip and unpack it; a package already unpacked is reused as it is."""
        target = self.code_dir(name, package.sha256_hex)
        target.parent.mkdir(parents=True, exist_ok=True)
        zip_path = self.zip_path(name, package.sha256_hex)
        if not zip_path.exists():
            _write_atomically(zip_path, package.data)
        if not target.is_dir():
            self._unpack(package.data, target)
        return target

    def ensure_unpacked(self, name: str, sha256_hex: str) -> Path | None:
        """The package's directory, unpacked again from its zip if it went missing."""
        target = self.code_dir(name, sha256_hex)
        if target.is_dir():
            return target
        zip_path = self.zip_path(name, sha256_hex)
        try:
            data = zip_path.read_bytes()
        except OSError:
            return None
        self._unpack(data, target)
        return target

    def remove_unused(self, name: str, keep: set[str]) -> None:
        """Delete this function's packages other than ``keep`` (sha256 hex digests)."""
        folder = self._function_dir(name)
        try:
            children = list(folder.iterdir())
        except FileNotFoundError:
            return
        for child in children:
            digest = child.name.removesuffix(".zip")
            if digest in keep:
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
        try:
            folder.rmdir()  # only succeeds once nothing is left
        except OSError:
            pass

    def _function_dir(self, name: str) -> Path:
        if not _SAFE_NAME.fullmatch(name):
            raise ValueError(f"not a function name: {name!r}")
        return self.root / name

    def _unpack(self, data: bytes, target: Path) -> None:
        staging = target.parent / f".unpack-{secrets.token_hex(8)}"
        try:
            _extract(data, staging)
            try:
                os.rename(staging, target)
            except OSError:
                if not target.is_dir():  # not simply "someone unpacked it first"
                    raise
        except (OSError, zipfile.BadZipFile, EOFError, ValueError, RuntimeError, NotImplementedError) as exc:
            raise invalid_parameter(UNZIP_FAILED) from exc
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)


def _extract(data: bytes, root: Path) -> None:
    entries = _read_entries(data)
    root.mkdir(mode=0o755)
    archive = zipfile.ZipFile(io.BytesIO(data))
    links: list[_Entry] = []
    for entry in entries:
        path = root.joinpath(*entry.parts)
        if entry.is_symlink:
            links.append(entry)
        elif entry.is_dir:
            _make_dirs(root, entry.parts)
        else:
            _make_dirs(root, entry.parts[:-1])
            mode = (entry.mode or 0o644) | 0o600  # tidal must be able to read and remove it
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
            with os.fdopen(fd, "wb") as out, archive.open(entry.info) as source:
                shutil.copyfileobj(source, out, _COPY_CHUNK)
            os.chmod(path, mode, follow_symlinks=False)
    for entry in links:
        link_target = archive.read(entry.info).decode("utf-8", "surrogateescape")
        if not _link_stays_inside(entry.parts, link_target):
            raise ValueError(f"symbolic link out of the package: {'/'.join(entry.parts)}")
        _make_dirs(root, entry.parts[:-1])
        path = root.joinpath(*entry.parts)
        if path.is_symlink() or path.exists():
            raise ValueError(f"duplicate entry: {'/'.join(entry.parts)}")
        os.symlink(link_target, path)


def _make_dirs(root: Path, parts: tuple[str, ...]) -> None:
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink():
            raise ValueError(f"path through a symbolic link: {current}")
        if not current.is_dir():
            current.mkdir(mode=0o755)


def _link_stays_inside(parts: tuple[str, ...], link_target: str) -> bool:
    if not link_target or link_target.startswith("/") or "\x00" in link_target:
        return False
    resolved = posixpath.normpath(posixpath.join(*parts[:-1], link_target) if len(parts) > 1 else link_target)
    return resolved != ".." and not resolved.startswith("../") and not resolved.startswith("/")


def _write_atomically(path: Path, data: bytes) -> None:
    staging = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    with open(staging, "wb") as out:
        out.write(data)
    os.replace(staging, path)


def _checked_hex(sha256_hex: str) -> str:
    if not _SHA_HEX.fullmatch(sha256_hex):
        raise ValueError(f"not a sha256 hex digest: {sha256_hex!r}")
    return sha256_hex
