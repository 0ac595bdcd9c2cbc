"""A seeded fuzz of every served operation: boto3's requests, generated from botocore's shapes and
serialized by botocore, then mutated (missing members, wrong JSON types, values outside enums,
lengths and ranges, huge and nested values, bad UTF-8, aws-chunked and HTTP framing, injected
CR/LF, climbing keys, absurd ranges). Every answer must be below 500 (or 501 NotImplemented),
write no header the attacker named, refuse what the model makes invalid and change nothing when
it refuses; no file may appear outside the data dir, and the server must be healthy at the end.

TIDAL_FUZZ_SEED picks another seed; the seed, the counts per category and the time are printed.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import os
import random
import re
import socket
import sqlite3
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tidal.testing import TidalProcess

sys.path.insert(0, str(Path(__file__).parent))  # pytest imports tests with --import-mode=importlib
import request_mutations as mutations  # noqa: E402
from request_mutations import BUCKET, ESCAPE, FUNCTION, MPU_KEY, OBJECT_BODY, OBJECT_KEY, TABLE, Case  # noqa: E402

SEED = int(os.environ.get("TIDAL_FUZZ_SEED", "20261204"))
STATUS_LINE = re.compile(rb"HTTP/1\.1 [1-5]\d\d [^\r\n\x00]*")
HEADER_LINE = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+:[ \t]*[^\x00-\x08\x0a-\x1f\x7f]*")
# Columns the server itself changes after answering (delivery bookkeeping): not compared.
BACKGROUND_COLUMNS = {"outbox": "id, kind, target, payload, created_at"}


# -- the wire -----------------------------------------------------------------------------------

@dataclass
class Response:
    status: int | None = None  # None: the connection closed without an answer
    headers: list[tuple[str, str]] = field(default_factory=list)
    head: bytes = b""
    body: bytes = b""
    extra: bytes = b""  # bytes after the response's end
    problems: list[str] = field(default_factory=list)
    keep_alive: bool = False

    def error_code(self) -> str:
        found = re.search(rb"<Code>([^<]*)</Code>|\"__type\":\s*\"(?:[^\"#]*#)?([^\"]*)\"", self.body)
        code = (found.group(1) or found.group(2)).decode("latin-1") if found else ""
        return code or {k.lower(): v for k, v in self.headers}.get("x-amzn-errortype", "").split(":")[0]


def read_response(sock: socket.socket, head_only: bool) -> Response:
    """One response, its head checked line by line (a name and a colon, no control characters)."""
    data = b""
    while True:
        while b"\r\n\r\n" not in data:
            if not (chunk := sock.recv(65536)):
                return Response(problems=["truncated head"] if data else [], head=data[:300])
            data += chunk
        head, _, data = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 100 "):
            break
    response, lines = Response(head=head), head.split(b"\r\n")
    if not STATUS_LINE.fullmatch(lines[0]):
        response.problems.append(f"bad status line {lines[0][:80]!r}")
        return response
    response.status = int(lines[0][9:12])
    for line in lines[1:]:
        if not HEADER_LINE.fullmatch(line):
            response.problems.append(f"bad header line {line[:80]!r}")
        name, _, value = line.partition(b":")
        response.headers.append((name.decode("latin-1"), value.strip().decode("latin-1")))
    headers = {k.lower(): v for k, v in response.headers}
    response.keep_alive = headers.get("connection", "").lower() != "close"
    if head_only or response.status in (204, 304):
        response.extra = data
        return response
    if not headers.get("content-length", "x").isdigit():
        response.problems.append("no Content-Length")
        while chunk := sock.recv(65536):
            data += chunk
        response.body, response.keep_alive = data, False
        return response
    length = int(headers["content-length"])
    while len(data) < length:
        if not (chunk := sock.recv(min(1 << 20, length - len(data)))):
            response.problems.append(f"body {len(data)} bytes of {length}")
            break
        data += chunk
    response.body, response.extra = data[:length], data[length:]
    return response


class Wire:
    """Raw exchanges on a kept-alive connection; framing cases get one of their own."""

    def __init__(self, port: int) -> None:
        self.port, self.sock = port, None

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def exchange(self, case: Case) -> Response:
        fresh = case.raw is not None or case.half_close
        for attempt in range(2):
            if fresh or self.sock is None:
                self.close()
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            try:
                try:
                    self.sock.sendall(case.wire())
                except OSError:  # refused part-way: the answer is what counts
                    pass
                if case.half_close:
                    self.sock.shutdown(socket.SHUT_WR)
                response = read_response(self.sock, case.method == "HEAD")
            except TimeoutError:
                self.close()
                return Response(problems=["no answer within 30 s: the server hangs"])
            except ConnectionResetError:
                response = Response()
            if response.status is None and not response.problems and attempt == 0 and not fresh:
                self.close()  # the server had closed the kept-alive connection: again on a new one
                continue
            if not response.keep_alive or fresh or response.status is None:
                self.close()
            if response.extra and case.raw is None:  # a raw case may carry a second request
                response.problems.append(f"{len(response.extra)} bytes after the response: {response.extra[:80]!r}")
            return response
        return Response()


# -- the server's state ---------------------------------------------------------------------------

class StateWatch:
    """What a refused request must not change: every table's rows and the blob files.

    tidal holds its database under an exclusive lock (SQLite's unix-excl VFS): even a read-only
    connection from another process gets "database is locked". So it is read from copies of the
    database file and the valid part of its WAL. A cheap signature (the WAL's salt and the end of
    its frames with that salt, the blob names) tells whether anything was committed; only then
    are the copies before and after compared.
    """

    def __init__(self, data_dir: Path, scratch: Path) -> None:
        self.db, self.wal, self.blobs, self.scratch = data_dir / "tidal.db", data_dir / "tidal.db-wal", \
            data_dir / "blobs", scratch
        self.salt, self.end, self.copies = b"", 32, 0

    def signature(self) -> tuple:
        blobs = frozenset(name for folder in os.scandir(self.blobs) for name in os.listdir(folder.path))
        try:
            fd = os.open(self.wal, os.O_RDONLY)
        except FileNotFoundError:
            return b"", 0, blobs
        try:
            header = os.pread(fd, 32, 0)
            salt, page = header[16:24], int.from_bytes(header[8:12], "big")
            if salt != self.salt:  # the WAL was restarted: its frames are read from the start
                self.salt, self.end = salt, 32
            while len(frame := os.pread(fd, 24, self.end)) == 24 and frame[8:16] == salt and page:
                self.end += 24 + page
        finally:
            os.close(fd)
        return self.salt, self.end, blobs

    def snapshot(self) -> tuple[tuple, bytes, bytes]:
        for _ in range(20):
            before = self.signature()
            db, wal = self.db.read_bytes(), self.wal.read_bytes()[: before[1]] if self.wal.exists() else b""
            if self.signature() == before:
                return before, db, wal
        raise AssertionError("the database kept changing while it was copied")

    def rows(self, snapshot: tuple[tuple, bytes, bytes]) -> dict[str, dict[str, str]]:
        """table -> {row digest: the row, shortened}, read from a copy of ``snapshot``."""
        self.copies += 1
        path = self.scratch / f"copy-{self.copies}.db"
        path.write_bytes(snapshot[1])
        Path(f"{path}-wal").write_bytes(snapshot[2])
        conn = sqlite3.connect(path)
        try:
            return {table: {hashlib.sha256(repr(row).encode()).hexdigest(): repr(row)[:160] for row in conn.execute(
                        f'SELECT {BACKGROUND_COLUMNS.get(table, "*")} FROM "{table}"')}
                    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
        finally:
            conn.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    def changes(self, before: tuple[tuple, bytes, bytes], after: tuple[tuple, bytes, bytes]) -> list[str]:
        old_blobs, new_blobs = before[0][2], after[0][2]
        found = [f"blob files +{sorted(new_blobs - old_blobs)[:3]} -{sorted(old_blobs - new_blobs)[:3]}"] \
            if old_blobs != new_blobs else []
        old, new = self.rows(before), self.rows(after)
        for table in sorted(set(old) | set(new)):
            gone = [v for k, v in old.get(table, {}).items() if k not in new.get(table, {})]
            came = [v for k, v in new.get(table, {}).items() if k not in old.get(table, {})]
            if gone or came:
                found.append(f"{table}: -{len(gone)} {gone[:2]} +{len(came)} {came[:2]}")
        return found


def files_outside(root: Path, data_dir: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if data_dir not in (p, *p.parents)}


# -- framing: aws-chunked bodies, and HTTP not tied to an operation ------------------------------------

def aws_chunked_cases() -> list[Case]:
    """PutObject and UploadPart bodies framed as current SDKs frame them, well and badly."""
    data, declared = b"x" * 100, {"x-amz-trailer": "x-amz-checksum-crc32"}
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    good = [(b"64", data, b"", {}), (b"64", data, f"x-amz-checksum-crc32:{crc}\r\n".encode(), declared),
            (b"0064", data, b"", {}), (b"32", data[:50] + b"\r\n32\r\n" + data[50:], b"", {}),
            (b"64;chunk-signature=0", data, b"", {}), (b"64 ", data, b"", {})]
    bad = [(size, data, b"", {}) for size in (b"0x64", b"6_4", b"+64", b"-64", b"", b"zz", b"f" * 20)] + [
        (b"64", data[:50], b"", {}), (b"64", data, b"", declared),  # a short chunk; the declared trailer missing
        (b"64", data, b"x-amz-checksum-sha7:AAAA\r\n", declared), (b"64", data, b"no colon\r\n", declared),
        (b"64", data, b"x-amz-checksum-crc32:AAAAAA==\r\n", declared), (b"64", data, b"", {"x-amz-trailer": "x-amz-checksum-sha7"}),
    ] + [(b"64", data, b"", {"x-amz-decoded-content-length": n}) for n in ("-5", "abc", "99", "9" * 30, None)]
    framing = {"Content-Encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
               "x-amz-decoded-content-length": "100", "Authorization": mutations.AUTH.format("s3")}
    cases = []
    for target in (f"/{BUCKET}/fuzz-w", f"/{BUCKET}/{MPU_KEY}?partNumber=1&uploadId={{upload}}"):
        op = "s3:PutObject" if "uploadId" not in target else "s3:UploadPart"
        for (size, chunk, trailer, extra), must in [(v, False) for v in good] + [(v, True) for v in bad]:
            headers = {k: v for k, v in {**framing, **extra}.items() if v is not None}
            cases.append(Case("aws-chunked", op, must, "PUT", target, headers, size + b"\r\n" + chunk + b"\r\n0\r\n"
                              + trailer + b"\r\n", f"size {size[:20]!r}, trailer {trailer[:30]!r}, {extra}"))
        cases.append(Case("aws-chunked", op, True, "PUT", target, framing, b"64\r\n" + data + b"\r\n", "no last chunk"))
    return cases


def framing_cases() -> list[Case]:
    auth = mutations.AUTH.format("s3")
    put = f"PUT /{BUCKET}/framed HTTP/1.1\r\nHost: localhost\r\nAuthorization: {auth}\r\n".encode()
    get = f"GET /{BUCKET}/{OBJECT_KEY} HTTP/1.1\r\nHost: localhost\r\nAuthorization: {auth}\r\n".encode()
    ddb = (f"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\nAuthorization: "
           f"{mutations.AUTH.format('dynamodb')}\r\n").encode()
    chunked, cases = put + b"Transfer-Encoding: chunked\r\n\r\n", []

    def add(raw: bytes, must: bool, note: str) -> None:  # sent on a connection of its own, then half-closed
        category = "http-chunked" if b"chunked" in raw else "framing"
        cases.append(Case(category, "http", must, raw=raw, half_close=True, note=note))

    add(chunked + b"5\r\nhello\r\n0\r\n\r\n", False, "valid chunked PutObject")
    for size in [b"0x5", b"5_0", b"+5", b"-5", b"zz", b"f" * 40, b"", b"5 5"]:
        add(chunked + size + b"\r\nhello\r\n0\r\n\r\n", True, f"chunk size {size[:20]!r}")
    for raw, note in [(b"5\r\nhel", "chunk cut short"), (b"5\r\nhelloXX0\r\n\r\n", "no CRLF after a chunk"),
                      (b"5\nhello\n0\n\n", "bare LF"), (b"5;" + b"e" * 70000 + b"\r\nhello\r\n0\r\n\r\n", "huge extension")]:
        add(chunked + raw, False, note)
    for te in [b"chunked, identity", b"xchunked", b"chunked\r\nTransfer-Encoding: chunked", b"identity"]:
        add(put + b"Transfer-Encoding: " + te + b"\r\nContent-Length: 5\r\n\r\nhello", False, f"TE {te!r} and a length")
    add(put + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /_tidal/health HTTP/1.1\r\n"
        b"Host: localhost\r\n\r\n", False, "CL.TE smuggling")
    for raw, note in [(b"GARBAGE\r\n\r\n", "no target"), (b"GET\r\n\r\n", "a method alone"), (b"\x00\x01\x02\r\n\r\n", "binary"),
                      (b"GET / HTTP/9.9\r\nHost: localhost\r\n\r\n", "HTTP/9.9"),
                      (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", "a 70 KB target"),
                      (get.replace(b"GET", b"G\x7fT") + b"\r\n", "DEL in the method"), (get + b"Bad Header\r\n\r\n", "no colon"),
                      (get + b"Bad Name: x\r\n\r\n", "a space in a name"), (get + b"X: a\r\n b\r\n\r\n", "obs-fold"),
                      (put + b"Content-Length: -1\r\n\r\n", "a negative length"), (put + b"Content-Length: abc\r\n\r\n", "length abc"),
                      (put + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", "two lengths")]:
        add(raw, True, note)
    item = b'{"TableName": "' + TABLE.encode() + b'", "Item": {"id": {"S": "framed"}}}'
    for raw, note in [(get + b"X-Big: " + b"b" * 65536 + b"\r\n\r\n", "a 64 KB header"),
                      (get + b"".join(b"X-H%d: v\r\n" % i for i in range(1000)) + b"\r\n", "1000 headers"),
                      (b"GET / HTTP/1.0\r\n\r\n", "HTTP/1.0 without Host"), (get.replace(b"Host: localhost\r\n", b"") + b"\r\n", "no Host"),
                      (get.replace(b"GET /", b"GET http://evil.example/") + b"\r\n", "an absolute target"),
                      (get.replace(b"GET /", b"GET /_tidal/../") + b"\r\n", "climbing out of /_tidal"),
                      (put + b"Content-Length: 100\r\n\r\n" + b"s" * 10, "a body shorter than Content-Length"),
                      (put + b"Content-Length: " + b"9" * 20 + b"\r\n\r\nsmall", "an absurd Content-Length"),
                      (ddb + b"Content-Length: 200\r\n\r\n" + item, "a DynamoDB body shorter than Content-Length")]:
        add(raw, False, note)
    return cases


# -- the test -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    data_dir = root / "a" / "b" / "c" / "data"  # a key that climbs out of data/ still lands in root
    data_dir.parent.mkdir(parents=True)
    with TidalProcess(data_dir, log_path=root / "tidal.log") as server:
        s3, dynamodb, lambda_ = server.client("s3"), server.client("dynamodb"), server.client("lambda")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key=OBJECT_KEY, Body=OBJECT_BODY)
        upload_id = s3.create_multipart_upload(Bucket=BUCKET, Key=MPU_KEY)["UploadId"]
        s3.upload_part(Bucket=BUCKET, Key=MPU_KEY, UploadId=upload_id, PartNumber=1, Body=b"part")
        dynamodb.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
        dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "a"}})
        for name in (FUNCTION, mutations.UPDATED_FUNCTION):
            lambda_.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler",
                                    Role=mutations.ROLE, Code={"ZipFile": mutations.ZIP})
        yield server, root, upload_id


def refused(response: Response) -> bool:
    """A 4xx, a 501 NotImplemented, or the connection closed without an answer."""
    return response.status is None or 400 <= response.status < 500 or (
        response.status == 501 and response.error_code() == "NotImplemented")


def describe(index: int, case: Case, response: Response, problem: str) -> str:
    request = case.wire()
    shown = request[:400] + (b"...(%d bytes)" % len(request) if len(request) > 400 else b"")
    return (f"#{index} [{case.category}] {case.operation} {case.note[:100]}: {problem}\n"
            f"    request:  {shown!r}\n    response: {response.head[:300]!r} {response.body[:300]!r}")


def test_hostile_input_fuzz(fuzz_server, tmp_path_factory):
    server, root, upload_id = fuzz_server
    cases = mutations.generate(random.Random(SEED), upload_id) + aws_chunked_cases() + framing_cases()
    for case in cases:
        case.target = case.target.replace("{upload}", upload_id)
    watch, wire = StateWatch(server.data_dir, tmp_path_factory.mktemp("fuzz-state")), Wire(server.port)
    outside_before = files_outside(root, server.data_dir)
    failures, counts, statuses = [], collections.Counter(), collections.Counter()
    snapshot = watch.snapshot()
    server.client("s3").put_object(Bucket=BUCKET, Key="fuzz-canary", Body=b"x")  # the watch must see this
    assert "s3_objects: -0 [] +1" in " ".join(watch.changes(snapshot, snapshot := watch.snapshot()))
    started = time.perf_counter()
    for index, case in enumerate(cases):
        response = wire.exchange(case)
        counts[case.category] += 1
        statuses[case.category, response.status] += 1
        problems = list(response.problems)
        if response.status is not None and response.status >= 500 and not refused(response):
            problems.append(f"{response.status} {response.error_code()}")
        if response.status is None and case.raw is None and not problems:
            problems.append("the connection closed without an answer")
        if injected := [k for k, _ in response.headers if "injected" in k.lower()]:
            problems.append(f"injected header {injected}")
        if case.must_reject and not refused(response) and (response.status or 0) < 500:
            problems.append(f"accepted invalid input ({response.status})")
        if watch.signature() != snapshot[0]:
            after = watch.snapshot()
            if refused(response) and (changed := watch.changes(snapshot, after)):
                problems.append(f"state changed by a refused request: {'; '.join(changed)[:600]}")
            snapshot = after
        if problems:
            failures.append(describe(index, case, response, "; ".join(problems)))
    wire.close()
    elapsed = time.perf_counter() - started

    escaped = sorted(files_outside(root, server.data_dir) - outside_before)
    escaped += [str(d / ESCAPE) for d in (root, *root.parents, Path.cwd()) if (d / ESCAPE).exists()]
    if escaped:
        failures.append(f"files created outside the data dir: {escaped[:10]}")
    assert server.healthy(), "the server is not healthy after the fuzz"
    s3, dynamodb, lambda_ = server.client("s3"), server.client("dynamodb"), server.client("lambda")
    assert s3.get_object(Bucket=BUCKET, Key=OBJECT_KEY)["Body"].read() == OBJECT_BODY
    assert dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "a"}}, ConsistentRead=True)["Item"] == {"id": {"S": "a"}}
    assert lambda_.invoke(FunctionName=FUNCTION, Payload=b'{"after": "fuzz"}')["Payload"].read() == b'{"after": "fuzz"}'

    print(f"\nhostile-input fuzz: seed {SEED} (TIDAL_FUZZ_SEED), {len(cases)} requests in {elapsed:.1f} s, "
          f"{sum(c.must_reject for c in cases)} to be refused, {watch.copies} database copies compared")
    for category, count in sorted(counts.items()):
        answers = sorted((s or 0, n) for (c, s), n in statuses.items() if c == category)
        print(f"  {category:13} {count:5}  " + " ".join(f"{s or 'closed'}:{n}" for s, n in answers))
    (root / "failures.txt").write_text("\n".join(failures))
    assert not failures, (f"{len(failures)} failures (seed {SEED}; all of them in {root / 'failures.txt'}), "
                          f"the first 20:\n" + "\n".join(failures[:20]))
