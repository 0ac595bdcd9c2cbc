"""AWS Signature Version 4 verification for the opt-in ``--auth sigv4`` mode.

Recomputes the signature of a request as received (Authorization header or presigned query, and
for S3 the chunk signatures of a ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`` body) and raises
what the routed service would answer (``signature_errors``). The canonical request is SigV4's, as
botocore signs it: S3 signs the path exactly as sent, other services with dot segments and repeated
slashes removed, percent-encoded a second time; the query is decoded and re-encoded with AWS's
unreserved set; S3 signs the ``x-amz-content-sha256`` header as the payload hash, the others the
SHA-256 of the body (they refuse ``UNSIGNED-PAYLOAD``). The scope's region is never checked: tidal
answers for every region, and routing hands the services the region the client named.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping
from email.utils import mktime_tz, parsedate_tz
from urllib.parse import quote, unquote_to_bytes

from tidal.gateway import signature_errors as errors
from tidal.protocol import errors as protocol_errors
from tidal.protocol.aws_chunked import chunk_size
from tidal.types import HttpRequest

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
MAX_PRESIGN_EXPIRES = 604800
PRESIGN_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders")
_UNRESERVED = re.compile(r"[A-Za-z0-9\-._~]*")
_PLAIN_PATH_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_CACHE_LIMIT = 4096


def canonical_path(path: str, service: str) -> str:
    if service == "s3":
        return path or "/"
    if path and "//" not in path and "/." not in path and _PLAIN_PATH_CHARS.issuperset(path):
        return path  # normalizing and encoding would leave it as it is
    return _normalized_path(path)


@functools.lru_cache(maxsize=_CACHE_LIMIT)  # a function's or a queue's path repeats with every call
def _normalized_path(path: str) -> str:
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    trailing = "/" if path.endswith("/") and segments else ""
    return quote("/" + "/".join(segments) + trailing, safe="/~")


@functools.lru_cache(maxsize=_CACHE_LIMIT)  # parameters repeat: a Qualifier, a prefix, an upload id
def _uri_encode(component: str) -> str:
    """A query key or value as SigV4 canonicalizes it: decoded, then encoded with AWS's unreserved
    set. A '+' decodes to a space: every SDK sends a plus as %2B, and what sends a bare '+' means
    a space by it (botocore's own AWSRequest(params=...) does, and signs it as %20)."""
    if _UNRESERVED.fullmatch(component):
        return component
    return quote(unquote_to_bytes(component.replace("+", " ")), safe="")


def canonical_query(query: str, presigned: bool = False) -> str:
    if not query:
        return ""
    pairs = []
    for part in query.split("&"):
        if part:
            key, _, value = part.partition("=")
            key = _uri_encode(key)
            if not (presigned and key == "X-Amz-Signature"):
                pairs.append((key, _uri_encode(value)))
    pairs.sort()
    return "&".join([f"{key}={value}" for key, value in pairs])


def canonical_headers(headers: Mapping[str, str], signed: list[str]) -> str:
    block = "".join([f"{name}:{headers.get(name, '')}\n" for name in signed])
    if " " in block or "\t" in block:
        # SigV4's Trimall, paid for only by values with blanks in them.
        block = "".join([f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed])
    return block


def canonical_request(request: HttpRequest, service: str, presigned: bool, signed: list[str], payload: str) -> str:
    path, query = canonical_path(request.path, service), canonical_query(request.query, presigned)
    headers = canonical_headers(request.headers, signed)
    return f"{request.method}\n{path}\n{query}\n{headers}\n{';'.join(signed)}\n{payload}"


def _query_params(query: str) -> dict[str, str]:
    """The decoded X-Amz-* parameters of a query string (the first of a repeated one)."""
    params: dict[str, str] = {}
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key.startswith("X-Amz-") or "%" in key:
            name = unquote_to_bytes(key).decode("utf-8", "replace")
            params.setdefault(name, unquote_to_bytes(value).decode("utf-8", "replace"))
    return params


def _auth_params(rest: str) -> tuple[dict[str, str], str | None]:
    """The name=value pairs after the algorithm of an Authorization header, and the first item that
    is not one (None if all are). Commas and blanks both separate, as Coral reads it."""
    params: dict[str, str] = {}
    for item in rest.replace(",", " ").split():
        name, equals, value = item.partition("=")
        if not equals:
            return params, item
        params[name] = value
    return params, None


def _request_date(headers: Mapping[str, str]) -> tuple[str | None, str]:
    """(the date as ISO 8601 basic, the date as sent) from X-Amz-Date, else Date."""
    amz_date = headers.get("x-amz-date")
    if amz_date is not None:
        return amz_date, amz_date
    date = headers.get("date")
    if date is None:
        return None, ""
    parsed = parsedate_tz(date)
    if parsed is None:
        return date, date  # not a date: the caller's date check rejects it in its service's words
    return _iso_basic(mktime_tz(parsed)), date


def _iso_basic(epoch: float) -> str:  # 20261204T001500Z
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


def _iso_extended(epoch: float) -> str:  # 2026-12-04T00:15:00Z
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _is_token(text: str) -> bool:
    """Whether a header's text after "Signature=" is the signature alone (nothing follows it)."""
    return bool(text) and "," not in text and " " not in text


def _matches(expected: str, provided: str) -> bool:
    return provided.isascii() and hmac.compare_digest(expected, provided)


class SigningKey:
    """A derived SigV4 signing key with HMAC's two padded key blocks hashed once, so that signing
    a string costs two hash copies rather than HMAC's set-up (a third of the time)."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, secret: str, date: str, region: str, service: str, terminator: str) -> None:
        key = ("AWS4" + secret).encode("utf-8")
        for part in (date, region, service, terminator):
            key = hmac.digest(key, part.encode("utf-8"), "sha256")
        block = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in block))
        self._outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in block))

    def sign(self, message: str) -> str:
        inner = self._inner.copy()
        inner.update(message.encode("utf-8"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


class _Signed:
    """What a request claims: parsed from its Authorization header or its presigned query."""

    __slots__ = ("access_key", "scope", "credential", "signed", "signature", "amz_date", "date_text", "epoch")

    def __init__(
        self, credential: str, signed: str | list[str], signature: str, amz_date: str, date_text: str,
        epoch: int | None,
    ) -> None:
        self.credential = credential
        self.access_key, _, self.scope = credential.partition("/")
        self.signed = signed if isinstance(signed, list) else signed.split(";") if signed else []
        self.signature = signature
        self.amz_date = amz_date  # ISO 8601 basic, as the string to sign carries it
        self.date_text = date_text  # the date as the client sent it
        self.epoch = epoch  # None when amz_date is not a date


class SignatureVerifier:
    """Checks SigV4 signatures against a fixed set of credentials (access key id -> secret)."""

    def __init__(
        self, credentials: Mapping[str, str], now: Callable[[], float] = time.time, max_skew: float = 900.0
    ) -> None:
        self._credentials = dict(credentials)
        self._now = now
        self._max_skew = max_skew
        self._keys: dict[str, SigningKey] = {}  # by credential: every request pays for none but its own
        self._days: dict[str, int] = {}
        # An Authorization header without its signature repeats request after request (same key,
        # day and signed headers): its parse and checks, once passed, are kept by that text.
        self._claims: dict[str, tuple] = {}
        self._last_date: tuple[str, int | None] = ("", None)  # requests of one second share a date

    def verify(self, request: HttpRequest, service: str) -> None:
        """Return if ``request`` is properly signed for ``service`` (a botocore service name);
        raise the AWSError that service answers otherwise."""
        if service == "s3":
            self._verify_s3(request)
        else:
            self._verify_coral(request, service, errors.dialect_of(service))

    def _verify_s3(self, request: HttpRequest) -> None:
        headers = request.headers
        authorization = headers.get("authorization")
        query = request.query
        params = _query_params(query) if "X-Amz-" in query else {}
        presigned = "X-Amz-Algorithm" in params or "X-Amz-Credential" in params or "X-Amz-Signature" in params
        if authorization is not None:
            if presigned:
                raise errors.s3_two_mechanisms(authorization)
            signed = self._s3_header(authorization, headers)
            payload = headers.get("x-amz-content-sha256")
            if payload is None:
                raise errors.s3_missing_content_sha256()
            if payload not in protocol_errors.STREAMING_PAYLOADS and not _HEX64.fullmatch(payload):
                raise protocol_errors.invalid_content_sha256(payload)
        elif presigned:
            signed = self._s3_presigned(params)
            # A presigned URL signs UNSIGNED-PAYLOAD unless it signed the payload header too.
            signs_payload = "x-amz-content-sha256" in signed.signed
            payload = headers.get("x-amz-content-sha256", UNSIGNED_PAYLOAD) if signs_payload else UNSIGNED_PAYLOAD
        elif "Signature=" in query and "AWSAccessKeyId=" in query:
            raise errors.s3_unsupported_mechanism()  # a SigV2 presigned URL
        else:
            raise errors.s3_anonymous()
        secret = self._credentials.get(signed.access_key)
        if secret is None:
            raise errors.s3_unknown_key(signed.access_key)
        # S3 wants every x-amz-* header signed, but lets an unsigned x-amz-content-sha256 ride along a
        # presigned URL: LocalStack's recording lists the other unsigned x-amz-* headers sent with one.
        exempt = "x-amz-content-sha256" if presigned else None
        unsigned = [name for name in headers.keys() - set(signed.signed) if name.startswith("x-amz-") and name != exempt]
        if unsigned:
            raise errors.s3_headers_not_signed(sorted(unsigned))
        canonical = canonical_request(request, "s3", presigned, signed.signed, payload)
        key, string_to_sign, expected = self._sign(signed, secret, canonical)
        if not _matches(expected, signed.signature):
            raise errors.s3_mismatch(signed.access_key, string_to_sign, signed.signature, canonical)
        # A hex payload hash is checked against the body by the S3 protocol, signed or not.
        if payload == STREAMING_SIGNED or payload == STREAMING_SIGNED_TRAILER:
            trailer = payload == STREAMING_SIGNED_TRAILER
            verify_chunks(request.body, key, signed.amz_date, signed.scope, expected, trailer, signed.access_key)

    def _s3_header(self, authorization: str, headers: Mapping[str, str]) -> _Signed:
        head, found, tail = authorization.rpartition("Signature=")
        claim = self._claims.get(head) if found and _is_token(tail) else None
        if claim is None:
            claim = self._s3_claim(authorization)
            if claim[2] == tail:
                self._remember(head, claim)
        credential, signed_headers, _, credential_day = claim
        amz_date, date_text = _request_date(headers)
        epoch = None if amz_date is None else self._epoch(amz_date)
        if amz_date is None or epoch is None:
            raise errors.s3_missing_date()
        if credential_day != amz_date[:8]:
            raise errors.s3_credential_date()
        now = self._now()
        if abs(epoch - now) > self._max_skew:
            raise errors.s3_skewed(date_text, _iso_extended(now), int(self._max_skew * 1000))
        return _Signed(credential, signed_headers, tail if found else claim[2], amz_date, date_text, epoch)

    @staticmethod
    def _s3_claim(authorization: str) -> tuple[str, list[str], str, str]:
        """(credential, signed headers, signature, the credential's day) of an S3 Authorization
        header, or the error S3 gives for its form."""
        algorithm, _, rest = authorization.partition(" ")
        if algorithm != ALGORITHM:
            # SigV2 ("AWS AKID:signature") and anything else: tidal's S3 speaks SigV4 only.
            raise errors.s3_unsupported_mechanism()
        params, bad_item = _auth_params(rest)
        credential = params.get("Credential")
        signed_headers = params.get("SignedHeaders")
        signature = params.get("Signature")
        if bad_item is not None or not (credential and signed_headers and signature):
            raise errors.s3_three_components()
        parts = credential.split("/")
        # A wrong terminator is folded in here: no recorded S3 answer names it on its own.
        if len(parts) != 5 or not parts[0] or parts[4] != "aws4_request":
            raise errors.s3_credential_malformed()
        return credential, signed_headers.split(";"), signature, parts[1]

    def _remember(self, head: str, claim: tuple) -> None:
        if len(self._claims) >= _CACHE_LIMIT:
            self._claims.clear()
        self._claims[head] = claim

    def _s3_presigned(self, params: dict[str, str]) -> _Signed:
        if not all(params.get(name) for name in PRESIGN_PARAMS) or "X-Amz-Expires" not in params:
            raise errors.s3_query_incomplete()
        if params["X-Amz-Algorithm"] != ALGORITHM:
            raise errors.s3_query_algorithm()
        credential = params["X-Amz-Credential"]
        parts = credential.split("/")
        if len(parts) != 5 or not parts[0] or parts[4] != "aws4_request":
            raise errors.s3_query_credential_malformed()
        amz_date = params["X-Amz-Date"]
        epoch = self._epoch(amz_date)
        if epoch is None:
            raise errors.s3_query_date()
        expires = params["X-Amz-Expires"]
        if not expires.isdigit() or int(expires) > MAX_PRESIGN_EXPIRES:
            raise errors.s3_bad_expires(expires)
        if parts[1] != amz_date[:8]:
            raise errors.s3_query_credential_date()
        now = self._now()
        expiry = epoch + int(expires)
        if now > expiry:
            raise errors.s3_presign_expired(expires, _iso_extended(expiry), _iso_extended(now))
        # A URL signed a little in the future (clocks apart) passes within the skew allowed to
        # header-signed requests; further out S3 answers "not yet valid" (minio/minio#2638).
        if epoch > now + self._max_skew:
            raise errors.s3_presign_not_yet_valid(epoch * 1000, _iso_extended(expiry), _iso_extended(now))
        signature = params["X-Amz-Signature"]
        return _Signed(credential, params["X-Amz-SignedHeaders"], signature, amz_date, amz_date, epoch)

    def _verify_coral(self, request: HttpRequest, service: str, dialect: errors.Dialect) -> None:
        # The order of the checks is DynamoDB's, as dynalite recorded it (mhart/dynalite index.js).
        headers = request.headers
        authorization = headers.get("authorization")
        query = request.query
        presigned = "X-Amz-Algorithm" in query
        if authorization is not None and presigned:
            raise dialect.both_mechanisms()
        expires = None
        if authorization is not None and authorization.strip().startswith("AWS4-"):
            signed, algorithm = self._coral_header(authorization, headers, dialect)
        elif presigned:
            params = _query_params(query)
            missing = [name for name in PRESIGN_PARAMS if not params.get(name)]
            if missing:
                raise dialect.query_incomplete(missing)
            algorithm, amz_date = params["X-Amz-Algorithm"], params["X-Amz-Date"]
            credential, signature = params["X-Amz-Credential"].rstrip("/"), params["X-Amz-Signature"]
            epoch = self._epoch(amz_date)
            signed = _Signed(credential, params["X-Amz-SignedHeaders"], signature, amz_date, amz_date, epoch)
            expires = params.get("X-Amz-Expires")
        else:
            raise dialect.missing_token()
        if signed.epoch is None:
            raise dialect.bad_date(signed.amz_date)
        window_error = dialect.window_error(signed.amz_date, signed.epoch, self._now(), self._max_skew, expires)
        if window_error is not None:
            raise window_error
        if "host" not in signed.signed and "host" not in [name.lower() for name in signed.signed]:
            raise dialect.host_not_signed()
        if algorithm != ALGORITHM:
            raise dialect.bad_algorithm(algorithm)
        parts = signed.credential.split("/")
        if len(parts) != 5:
            raise dialect.bad_credential(signed.credential)
        scope_error = dialect.scope_problems(parts, service, signed.amz_date)
        if scope_error is not None:
            raise scope_error
        secret = self._credentials.get(signed.access_key)
        if secret is None:
            raise dialect.unknown_key()
        payload = hashlib.sha256(request.body).hexdigest()
        canonical = canonical_request(request, service, presigned, signed.signed, payload)
        _, string_to_sign, expected = self._sign(signed, secret, canonical)
        if not _matches(expected, signed.signature):
            raise dialect.mismatch(canonical, string_to_sign)

    def _coral_header(
        self, authorization: str, headers: Mapping[str, str], dialect: errors.Dialect
    ) -> tuple[_Signed, str]:
        amz_date, date_text = _request_date(headers)
        head, found, tail = authorization.rpartition("Signature=")
        claim = self._claims.get(head) if found and amz_date is not None and _is_token(tail) else None
        if claim is None:
            algorithm, _, rest = authorization.strip().partition(" ")
            params, bad_item = _auth_params(rest)
            if bad_item is not None:
                raise dialect.not_a_pair(bad_item, authorization)
            missing = [name for name in ("Credential", "Signature", "SignedHeaders") if not params.get(name)]
            if missing or amz_date is None:
                raise dialect.header_incomplete(missing, amz_date is None, authorization)
            credential = params["Credential"].rstrip("/")  # Coral ignores trailing slashes (dynalite)
            claim = (credential, params["SignedHeaders"].split(";"), params["Signature"], algorithm)
            if params["Signature"] == tail:
                self._remember(head, claim)
        else:
            claim = (*claim[:2], tail, claim[3])
        credential, signed_headers, signature, algorithm = claim
        epoch = self._epoch(amz_date)  # type: ignore[arg-type]
        return _Signed(credential, signed_headers, signature, amz_date, date_text, epoch), algorithm  # type: ignore[arg-type]

    def _sign(self, signed: _Signed, secret: str, canonical: str) -> tuple[SigningKey, str, str]:
        """(signing key, string to sign, expected signature) of a canonical request."""
        key = self._keys.get(signed.credential)
        if key is None:
            if len(self._keys) >= _CACHE_LIMIT:
                self._keys.clear()
            key = SigningKey(secret, *signed.scope.split("/"))
            self._keys[signed.credential] = key
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        string_to_sign = f"{ALGORITHM}\n{signed.amz_date}\n{signed.scope}\n{digest}"
        return key, string_to_sign, key.sign(string_to_sign)

    def _epoch(self, amz_date: str) -> int | None:
        """Seconds since the epoch of an ISO 8601 basic date (``20261204T001500Z``); None if it is not one."""
        last_date, last_epoch = self._last_date
        if amz_date == last_date:
            return last_epoch
        epoch = self._parse_epoch(amz_date)
        self._last_date = (amz_date, epoch)
        return epoch

    def _parse_epoch(self, amz_date: str) -> int | None:
        day = amz_date[:8]
        midnight = self._days.get(day)
        if midnight is None:
            if len(day) != 8 or not day.isdigit():
                return None
            year, month, date = int(day[:4]), int(day[4:6]), int(day[6:])
            if not 1 <= month <= 12 or not 1 <= date <= calendar.monthrange(year, month)[1]:
                return None
            midnight = calendar.timegm((year, month, date, 0, 0, 0))
            if len(self._days) < _CACHE_LIMIT:
                self._days[day] = midnight
        clock = amz_date[9:15]
        if len(amz_date) != 16 or amz_date[8] != "T" or amz_date[15] != "Z" or not clock.isdigit():
            return None
        hours, rest = divmod(int(clock), 10000)
        minutes, seconds = divmod(rest, 100)
        if hours > 23 or minutes > 59 or seconds > 60:
            return None
        return midnight + hours * 3600 + minutes * 60 + seconds


def verify_chunks(
    body: bytes, key: SigningKey, amz_date: str, scope: str, seed: str, trailer: bool, access_key: str
) -> None:
    """Check the chunk-signature chain of a signed aws-chunked body, starting from the request's
    ``seed`` signature, and with ``trailer`` the trailer signature that closes it."""
    view = memoryview(body)
    prefix = f"AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n"
    previous = seed
    position = 0
    while True:
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            raise protocol_errors.incomplete_body()
        size_text, _, extension = body[position:line_end].partition(b";")
        size = chunk_size(size_text.strip())
        name, _, provided_bytes = extension.partition(b"=")
        provided = provided_bytes.strip().decode("latin-1") if name.strip() == b"chunk-signature" else ""
        start = line_end + 2
        end = start + size
        if end > len(body):
            raise protocol_errors.incomplete_body()
        string_to_sign = f"{prefix}{previous}\n{EMPTY_SHA256}\n{hashlib.sha256(view[start:end]).hexdigest()}"
        previous = key.sign(string_to_sign)
        if not _matches(previous, provided):
            # A chunk has no canonical request of its own: the error carries its string to sign.
            raise errors.s3_mismatch(access_key, string_to_sign, provided, None)
        if size == 0:
            break
        if body[end : end + 2] != b"\r\n":
            raise protocol_errors.incomplete_body()
        position = end + 2
    if not trailer:
        return
    canonical = []
    provided = ""
    for line in body[start:].split(b"\r\n"):
        name, colon, value = line.partition(b":")
        if colon:
            name_text, value_text = name.strip().lower().decode("latin-1"), value.strip().decode("latin-1")
            if name_text == "x-amz-trailer-signature":
                provided = value_text
            else:
                canonical.append(f"{name_text}:{value_text}\n")
    digest = hashlib.sha256("".join(canonical).encode("latin-1")).hexdigest()
    string_to_sign = f"AWS4-HMAC-SHA256-TRAILER\n{amz_date}\n{scope}\n{previous}\n{digest}"
    if not _matches(key.sign(string_to_sign), provided):
        raise errors.s3_mismatch(access_key, string_to_sign, provided, None)
