"""Deployment packages: zip checks, safe unpacking, content-addressed directories."""

from __future__ import annotations

import base64
import hashlib
import io
import stat
import zipfile

import pytest

from tidal.errors import AWSError
from tidal.services.lambda_ import code as code_module
from tidal.services.lambda_.code import UNZIP_FAILED, CodeStore, check_zip


def zip_with(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return buffer.getvalue()


def symlink_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def unzip_error(data: object) -> AWSError:
    with pytest.raises(AWSError) as caught:
        check_zip(data)
    return caught.value


def test_check_zip_reports_aws_digests():
    data = zip_with([("app.py", b"x = 1\n")])
    package = check_zip(data)
    digest = hashlib.sha256(data).digest()
    assert package.sha256_hex == digest.hex()
    assert package.sha256_base64 == base64.b64encode(digest).decode()
    assert package.size == len(data)


@pytest.mark.parametrize("data", [b"not a zip at all", b"", b"PK\x03\x04broken"])
def test_a_file_that_is_not_a_zip_is_refused_with_aws_message(data):
    err = unzip_error(data)
    assert (err.code, err.status, err.message) == ("InvalidParameterValueException", 400, UNZIP_FAILED)
    assert err.fields == {"Type": "User"}


@pytest.mark.parametrize("name", ["../evil.py", "a/../../evil.py", "/etc/evil.py"])
def test_entries_outside_the_package_are_refused(name):
    assert unzip_error(zip_with([(name, b"x")])).message == UNZIP_FAILED


def test_unzipped_size_is_limited(monkeypatch):
    monkeypatch.setattr(code_module, "MAX_UNZIPPED_BYTES", 1000)
    err = unzip_error(zip_with([("big.bin", b"\0" * 1001)]))
    assert err.message == "Unzipped size must be smaller than 1000 bytes"


def test_zipped_size_is_limited(monkeypatch):
    monkeypatch.setattr(code_module, "MAX_ZIPPED_BYTES", 10)
    err = unzip_error(zip_with([("app.py", b"x = 1\n")]))
    assert (err.code, err.status) == ("RequestEntityTooLargeException", 413)


def test_install_unpacks_into_a_directory_named_by_the_digest(tmp_path):
    store = CodeStore(tmp_path / "functions")
    exe = zipfile.ZipInfo("bin/tool")
    exe.create_system = 3
    exe.external_attr = (stat.S_IFREG | 0o755) << 16
    package = check_zip(zip_with([("app.py", b"x = 1\n"), ("pkg/__init__.py", b""), (exe, b"#!/bin/sh\n")]))
    target = store.install("fn", package)
    assert target == tmp_path / "functions" / "fn" / package.sha256_hex
    assert (target / "app.py").read_bytes() == b"x = 1\n"
    assert (target / "pkg" / "__init__.py").exists()
    assert (target / "bin" / "tool").stat().st_mode & 0o111  # executables stay executable
    assert store.zip_path("fn", package.sha256_hex).read_bytes() == package.data
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".")]  # no staging left


def test_install_is_idempotent_and_ensure_unpacked_restores_a_lost_directory(tmp_path):
    store = CodeStore(tmp_path / "functions")
    package = check_zip(zip_with([("app.py", b"x = 1\n")]))
    first = store.install("fn", package)
    assert store.install("fn", package) == first
    (first / "app.py").unlink()
    first.rmdir()
    assert store.ensure_unpacked("fn", package.sha256_hex) == first
    assert (first / "app.py").exists()


def test_symlinks_inside_the_package_are_kept(tmp_path):
    store = CodeStore(tmp_path / "functions")
    package = check_zip(zip_with([("lib/real.py", b"x = 1\n"), (symlink_info("alias.py"), b"lib/real.py")]))
    target = store.install("fn", package)
    assert (target / "alias.py").is_symlink()
    assert (target / "alias.py").read_bytes() == b"x = 1\n"


@pytest.mark.parametrize("link", ["/etc/passwd", "../../outside", "lib/../../x"])
def test_symlinks_leading_out_of_the_package_are_refused(tmp_path, link):
    store = CodeStore(tmp_path / "functions")
    package = check_zip(zip_with([("app.py", b""), (symlink_info("escape"), link.encode())]))
    with pytest.raises(AWSError) as caught:
        store.install("fn", package)
    assert caught.value.message == UNZIP_FAILED
    assert not (tmp_path / "functions" / "fn" / package.sha256_hex).exists()


def test_remove_unused_keeps_only_the_named_packages(tmp_path):
    store = CodeStore(tmp_path / "functions")
    old = check_zip(zip_with([("app.py", b"old")]))
    new = check_zip(zip_with([("app.py", b"new")]))
    store.install("fn", old)
    store.install("fn", new)
    store.remove_unused("fn", {new.sha256_hex})
    assert sorted(p.name for p in (tmp_path / "functions" / "fn").iterdir()) == sorted(
        [new.sha256_hex, f"{new.sha256_hex}.zip"]
    )
    store.remove_unused("fn", set())
    assert not (tmp_path / "functions" / "fn").exists()


def test_paths_are_only_built_from_safe_names(tmp_path):
    store = CodeStore(tmp_path / "functions")
    with pytest.raises(ValueError):
        store.code_dir("../x", "0" * 64)
    with pytest.raises(ValueError):
        store.code_dir("fn", "../../etc")
