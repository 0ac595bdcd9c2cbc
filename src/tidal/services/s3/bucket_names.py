"""AWS's naming rules for general purpose buckets.

Source: S3 User Guide, "General purpose bucket naming rules" (current page): 3-63 characters;
lowercase letters, digits, dots and hyphens; first and last character a letter or digit; no
two adjacent dots; not an IPv4 address; none of the reserved prefixes or suffixes below.
Every violation is the same error on the wire: ``InvalidBucketName`` "The specified bucket
is not valid." (400) with the offending name in ``BucketName``.
"""

from __future__ import annotations

import re

from tidal.errors import AWSError

MIN_LENGTH = 3
MAX_LENGTH = 63

# Letters/digits at both ends, only [a-z0-9.-] inside; the length is checked separately so
# the pattern stays simple.
_SHAPE = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")
_IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")

# Reserved by AWS for other namespaces: punycode labels, S3 internal names, the docs' own
# example buckets, access point aliases, Object Lambda aliases, Multi-Region Access Points,
# directory buckets and table buckets.
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def is_valid_bucket_name(name: object) -> bool:
    if not isinstance(name, str) or not MIN_LENGTH <= len(name) <= MAX_LENGTH:
        return False
    if not _SHAPE.fullmatch(name) or ".." in name:
        return False
    if _IPV4.fullmatch(name):
        return False
    return not (name.startswith(RESERVED_PREFIXES) or name.endswith(RESERVED_SUFFIXES))


def invalid_bucket_name(name: str) -> AWSError:
    return AWSError(
        "InvalidBucketName", "The specified bucket is not valid.", 400, fields={"BucketName": name}
    )


def validate_bucket_name(name: object) -> str:
    """Return ``name`` if AWS would accept it for a new bucket, else raise ``InvalidBucketName``."""
    if not is_valid_bucket_name(name):
        raise invalid_bucket_name(name if isinstance(name, str) else str(name))
    return name  # type: ignore[return-value]
