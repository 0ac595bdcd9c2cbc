import pytest

from tidal.gateway.host_guard import HostGuard, is_loopback


@pytest.mark.parametrize("host", [
    None, "", "localhost", "localhost:4566", "LOCALHOST.", "bucket.localhost:4566", "127.0.0.1:4566", "127.8.9.1",
    "[::1]:4566", "[::1]", "bucket.s3.localhost.localstack.cloud:4566", "bucket.s3.us-east-1.amazonaws.com",
    "dev.example.test", "api.internal.test:8080",
])
def test_loopback_and_allowed_hosts_are_answered(host):
    assert HostGuard(("dev.example.test", ".internal.test")).allows(host)


@pytest.mark.parametrize("host", [
    "evil.example", "evil.example:4566", "localhost.evil.example", "127.0.0.1.evil.example", "10.0.0.5",
    "[fe80::1]", "example.test", "xinternal.test", "amazonaws.com.evil.example",
])
def test_other_hosts_are_refused(host):
    assert not HostGuard(("dev.example.test", ".internal.test")).allows(host)


def test_loopback_bind_addresses():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")
