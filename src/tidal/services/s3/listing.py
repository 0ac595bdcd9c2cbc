"""One page of ListObjectsV2: prefix, delimiter grouping, MaxKeys and continuation tokens.

Keys are read in stored order (UTF-8 byte order, which is code point order) starting at the
prefix, so a page costs what it returns, not what the bucket holds. When a key folds into a
common prefix the scan jumps past every key under that prefix with a fresh query instead of
reading them. The continuation token is opaque to clients: base64 of where the page ended,
marked as a key (resume after it) or a common prefix (resume after everything under it).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from tidal.errors import AWSError
from tidal.services.s3.errors import invalid_argument
from tidal.storage.database import Connection

DEFAULT_MAX_KEYS = 1000

_TOKEN_VERSION = "1"
_AFTER_KEY = "K"
_AFTER_PREFIX = "P"

_SCAN = (
    "SELECT key, size, etag, last_modified, attributes FROM s3_objects"
    " WHERE bucket = ? AND key >= ? ORDER BY key"
)
_SCAN_AFTER = (
    "SELECT key, size, etag, last_modified, attributes FROM s3_objects"
    " WHERE bucket = ? AND key >= ? AND key > ? ORDER BY key"
)

ObjectRow = tuple  # (key, size, etag, last_modified, attributes)


@dataclass(slots=True)
class ListPage:
    contents: list[ObjectRow] = field(default_factory=list)
    common_prefixes: list[str] = field(default_factory=list)
    is_truncated: bool = False
    next_token: str | None = None


def invalid_continuation_token() -> AWSError:
    return invalid_argument("The continuation token provided is incorrect", "continuation-token")


def encode_token(marker_kind: str, marker: str) -> str:
    return base64.urlsafe_b64encode(f"{_TOKEN_VERSION}{marker_kind}{marker}".encode()).decode()


def decode_token(token: str) -> tuple[str, str]:
    """(marker kind, marker) from a token this module issued; ``InvalidArgument`` otherwise."""
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise invalid_continuation_token() from None
    if len(text) < 2 or text[0] != _TOKEN_VERSION or text[1] not in (_AFTER_KEY, _AFTER_PREFIX):
        raise invalid_continuation_token()
    return text[1], text[2:]


def after_all_with_prefix(prefix: str) -> str | None:
    """The smallest string above every string that starts with ``prefix`` (None: no such string)."""
    for i in range(len(prefix) - 1, -1, -1):
        code = ord(prefix[i])
        if code < 0x10FFFF:
            code += 1
            if 0xD800 <= code <= 0xDFFF:  # surrogates cannot be stored; skip past them
                code = 0xE000
            return prefix[:i] + chr(code)
    return None


def list_page(
    conn: Connection,
    bucket: str,
    *,
    prefix: str = "",
    delimiter: str = "",
    max_keys: int = DEFAULT_MAX_KEYS,
    start_after: str = "",
    token: str | None = None,
) -> ListPage:
    """One page of ``bucket``'s listing. ``token`` (a NextContinuationToken) wins over ``start_after``."""
    page = ListPage()
    lower = prefix  # inclusive lower bound
    after: str | None = start_after or None  # exclusive lower bound
    if token is not None:
        kind, marker = decode_token(token)
        if kind == _AFTER_KEY:
            after = marker
        else:
            jump = after_all_with_prefix(marker)
            if jump is None:
                return page
            lower, after = max(lower, jump), None
    if max_keys <= 0:
        return page

    count = 0
    last: tuple[str, str] | None = None
    skip_prefix: str | None = None  # a common prefix whose keys we skip one by one (rare)
    while True:
        if after is not None and after >= lower:
            cursor = conn.execute(_SCAN_AFTER, (bucket, lower, after))
        else:
            cursor = conn.execute(_SCAN, (bucket, lower))
        jumped = False
        try:
            for row in cursor:
                key = row[0]
                if not key.startswith(prefix):
                    break
                if skip_prefix is not None:
                    if key.startswith(skip_prefix):
                        continue
                    skip_prefix = None
                if delimiter:
                    cut = key.find(delimiter, len(prefix))
                    if cut >= 0:
                        common = key[: cut + len(delimiter)]
                        if count == max_keys:
                            page.is_truncated = True
                            break
                        page.common_prefixes.append(common)
                        count += 1
                        last = (_AFTER_PREFIX, common)
                        jump = after_all_with_prefix(common)
                        if jump is None:
                            skip_prefix = common
                            continue
                        lower, after, jumped = jump, None, True
                        break
                if count == max_keys:
                    page.is_truncated = True
                    break
                page.contents.append(row)
                count += 1
                last = (_AFTER_KEY, key)
        finally:
            # An unfinished SELECT would pin the reader's WAL snapshot.
            cursor.close()
        if not jumped:
            break
    if page.is_truncated and last is not None:
        page.next_token = encode_token(*last)
    return page
