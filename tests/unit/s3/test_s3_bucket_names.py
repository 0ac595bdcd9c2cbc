from __future__ import annotations

import pytest

from tidal.errors import AWSError
from tidal.services.s3.bucket_names import is_valid_bucket_name, validate_bucket_name

VALID = [
    "abc",
    "a" * 63,
    "my-bucket",
    "my.bucket.name",
    "docexamplebucket1",
    "log-delivery-march-2020",
    "my-hosted-content",
    "1bucket",
    "bucket1",
    "a-b.c-d",
    "192.168.5.4.bucket",  # more than four labels: not an IP address
    "xn-single-hyphen",
    "sthree",
    "bucket-s3alias-not-at-end",
    "my--bucket",
]

INVALID = [
    "ab",  # too short
    "a" * 64,  # too long
    "",
    "My-Bucket",  # uppercase
    "my_bucket",  # underscore
    "-bucket",  # must start with a letter or digit
    "bucket-",  # must end with a letter or digit
    ".bucket",
    "bucket.",
    "my..bucket",  # adjacent dots
    "192.168.5.4",  # IP address form
    "10.0.0.1",
    "xn--bucket",  # reserved prefixes
    "sthree-bucket",
    "sthree-configurator",
    "amzn-s3-demo-bucket",
    "bucket-s3alias",  # reserved suffixes
    "bucket--ol-s3",
    "bucket.mrap",
    "bucket--x-s3",
    "bucket--table-s3",
    "bucket name",
    "bücket",
    "bucket/key",
]


@pytest.mark.parametrize("name", VALID)
def test_valid_names(name):
    assert is_valid_bucket_name(name)
    assert validate_bucket_name(name) == name


@pytest.mark.parametrize("name", INVALID)
def test_invalid_names(name):
    assert not is_valid_bucket_name(name)
    with pytest.raises(AWSError) as err:
        validate_bucket_name(name)
    assert err.value.code == "InvalidBucketName"
    assert err.value.message == "The specified bucket is not valid."
    assert err.value.status == 400
    assert err.value.fields == {"BucketName": name}


def test_non_string_is_invalid():
    assert not is_valid_bucket_name(None)
    with pytest.raises(AWSError):
        validate_bucket_name(None)
