"""Requests for the hostile-input fuzz: a base request per served operation, generated from
botocore's input shapes and serialized by botocore's own serializer, then mutated on the wire.

Each mutation is a :class:`Case` tagged ``must_reject`` when the model makes it certainly
invalid (AWS answers 4xx); the rest (huge, nested, injected, climbing ...) must be harmless.
"""

from __future__ import annotations

import copy
import io
import json
import random
import re
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

from botocore import xform_name
from botocore.serialize import create_serializer
from botocore.utils import percent_encode

from tidal.protocol.models import load_service_model
from tidal.services.dynamodb.service import DynamoDBService
from tidal.services.lambda_.service import LambdaService
from tidal.services.operation import operation_kind
from tidal.services.s3.service import S3Service

SERVICES = {"s3": S3Service, "dynamodb": DynamoDBService, "lambda": LambdaService}
AUTH = "AWS4-HMAC-SHA256 Credential=test/20261204/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=0"
BUCKET, OBJECT_KEY, OBJECT_BODY, MPU_KEY = "fuzz-bucket", "k", b"hello", "fuzz-mpu"
TABLE, FUNCTION, UPDATED_FUNCTION = "fuzz-table", "fuzz-fn", "fuzz-fn-upd"
ROLE = "arn:aws:iam::000000000000:role/fuzz"
ESCAPE = "tidal-fuzz-escape"  # the file a climbing key tries to create
MARK = "FUZZMARK"
# S3 takes (or checks elsewhere) values outside these headers' enums.
S3_UNCHECKED_ENUMS = {"x-amz-request-payer", "x-amz-checksum-mode", "x-amz-checksum-algorithm",
                      "x-amz-sdk-checksum-algorithm", "x-amz-checksum-type"}
JAVA_LIMITS = {"integer": 2**31, "long": 2**63}  # the first value past each Java type
MAX_DEPTH = 4
# Optional in the model, needed by the service: given in base requests when the input has them.
NEEDED = {"BillingMode", "KeySchema", "AttributeDefinitions", "KeyConditionExpression", "ExpressionAttributeValues",
          "Runtime", "Handler", "ZipFile", "MaximumRetryAttempts"}
CREATE_ONLY = {"BillingMode", "Runtime", "Handler"}
# Categories sent whole; the others are sampled down to an operation's budget.
ALWAYS = {"boto", "missing", "wrong-type", "enum", "length", "range", "int-text", "timestamp", "range-header",
          "inject-query", "climb", "aws-chunked"}

WRONG_JSON = {  # JSON texts of the wrong type for each shape type
    "string": ["5", '{"fuzz": 1}', '["fuzz"]'], "boolean": ['"fuzz"', '{"fuzz": 1}', "[true]"],
    "integer": ['"fuzz"', '{"fuzz": 1}', "[1]"], "long": ['"fuzz"', '{"fuzz": 1}', "[1]"],
    "float": ['"fuzz"', '{"fuzz": 1}'], "double": ['"fuzz"', '{"fuzz": 1}'], "blob": ["5", '{"fuzz": 1}'],
    "timestamp": ['{"fuzz": 1}', "[1]"], "structure": ['"fuzz"', "5", "[1]"], "map": ['"fuzz"', "5", "[1]"],
    "list": ['"fuzz"', "5", '{"fuzz": 1}'],
}
def _integer_text(text: str, kind: str) -> bool:
    """Whether ``text`` is an integer of the member's Java type (a minus sign included)."""
    limit = JAVA_LIMITS[kind]
    return re.fullmatch(r"-?[0-9]{1,19}", text) is not None and -limit <= int(text) < limit


INT_TEXTS = ["abc", "-5", "+5", " 5", "5 ", "1e3", "0x10", "5.0", "9" * 30, str(2**63), "\uff15"]
TIMESTAMPS = ["fuzz", "9" * 60, "inf", "1e400", "-1", "Thu, 01 Jan 99999 00:00:00 GMT", "2026-13-45T00:00:00Z"]
INJECTIONS = ["x\r\nX-Injected: yes", "x\nX-Injected: yes", "x\rX-Injected: yes", "x\x00y",
              "x\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nX-Injected: yes\r\n\r\npwned",
              "x\u010d\u010aX-Injected: yes"]
BAD_ENCODINGS = ["%zz", "%C3%28", "%00", "%"]
CLIMBS = [f"../../../../{ESCAPE}", f"..%2f..%2f..%2f..%2f{ESCAPE}", f"%2e%2e%2f%2e%2e%2f%2e%2e%2f{ESCAPE}",
          f"%2e%2e/%2e%2e/%2e%2e/{ESCAPE}", f"..%5c..%5c..%5c{ESCAPE}", "../../etc/passwd", f"/{ESCAPE}",
          f"a/./../../{ESCAPE}", f"{ESCAPE}%00.txt", f"%c0%ae%c0%ae/%c0%ae%c0%ae/{ESCAPE}"]
RANGES = ["bytes=" + "9" * 5000 + "-", "bytes=0-" + "9" * 5000, "bytes=-" + "9" * 5000, "bytes=5-1", "bytes=abc",
          "bytes=0-1,2-3", "bytes=" + "0-0," * 2000 + "0-0", "lines=0-1", "bytes=-0", "bytes=18446744073709551616-"]


def function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


ZIP = function_zip()


def served_operations() -> list[tuple[str, str]]:
    """(service, operation) for each operation of botocore's models that tidal's service classes implement."""
    return [(service, name) for service, cls in SERVICES.items() for name in load_service_model(service).operation_names
            if operation_kind(getattr(cls, xform_name(name), None))]


@dataclass
class Case:
    category: str
    operation: str  # "s3:GetObject", or "http" for framing not tied to an operation
    must_reject: bool
    method: str = "GET"
    target: str = "/"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    note: str = ""
    raw: bytes | None = None  # the exact bytes to send (framing cases)
    half_close: bool = False  # shut the sending side once sent

    def wire(self) -> bytes:
        if self.raw is not None:
            return self.raw
        headers = {"Host": "localhost", **self.headers}
        if not any(name.lower() in ("content-length", "transfer-encoding") for name in headers):
            headers["Content-Length"] = str(len(self.body))
        head = f"{self.method} {self.target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        return (head + "\r\n").encode("utf-8", "surrogateescape") + self.body


@dataclass
class Request:
    method: str
    path: str  # percent-encoded, perhaps with a literal query ("/b?notification")
    query: dict
    headers: dict
    body: bytes

    def case(self, category: str, op: str, must_reject: bool, note: str = "", body: bytes | None = None) -> Case:
        pairs = [f"{percent_encode(k)}={v.decode() if isinstance(v, bytes) else percent_encode(str(v))}"  # bytes: encoded
                 for k, values in self.query.items() for v in (values if isinstance(values, list) else [values])]
        target = self.path + ("&" if "?" in self.path else "?") + "&".join(pairs) if pairs else self.path
        return Case(category, op, must_reject, self.method, target, dict(self.headers),
                    self.body if body is None else body, note)


def serialize(op_model, params: dict) -> Request:
    model = op_model.service_model
    request = create_serializer(model.metadata["protocol"], include_validation=False).serialize_to_request(
        params, op_model)
    path = request["url_path"].replace("{Bucket}", quote(str(params.get("Bucket", "")), safe=""))
    query = request["query_string"] if isinstance(request["query_string"], dict) else {}
    body = request["body"].encode() if isinstance(request["body"], str) else bytes(request["body"] or b"")
    headers = {k: str(v) for k, v in request["headers"].items()}
    headers["Authorization"] = AUTH.format(model.signing_name or model.service_name)
    return Request(request["method"], path, dict(query), headers, body)


# -- base parameters ----------------------------------------------------------------------------

def fill(shape, depth: int = 0):
    """The smallest plausible value of ``shape``: required members, one list item, one map entry."""
    kind, meta = shape.type_name, shape.metadata
    if shape.name == "AttributeValue":
        return {"S": "fuzz"}
    if kind in ("structure", "list", "map"):
        return {name: fill(shape.members[name], depth + 1) for name in shape.required_members if depth < 8} \
            if kind == "structure" else [fill(shape.member, depth + 1)] * max(1, meta.get("min", 1)) \
            if kind == "list" else {map_key(shape): fill(shape.value, depth + 1)}
    if kind == "string":
        return meta["enum"][0] if meta.get("enum") else ("fuzz" + "z" * meta.get("min", 0))[: meta.get("max", 10**6)]
    if kind in ("integer", "long", "float", "double"):
        return min(max(meta.get("min", 1), 1), meta.get("max", 2**31))
    return {"boolean": True, "blob": b"fuzz", "timestamp": datetime(2030, 1, 1, tzinfo=UTC)}.get(kind, "fuzz")


def map_key(shape) -> str:
    key = shape.key.metadata
    return key["enum"][0] if key.get("enum") else "fuzzkey".ljust(key.get("min", 0), "k")


def overrides(service: str, op: str, index: int, upload_id: str) -> dict:
    """Values that make base requests work: the set-up resources (fresh names to create and delete)."""
    if service == "s3":
        multipart = op in ("UploadPart", "ListParts", "CompleteMultipartUpload", "AbortMultipartUpload")
        return {"Bucket": {"CreateBucket": f"fuzz-new-{index}", "DeleteBucket": f"fuzz-gone-{index}"}.get(op, BUCKET),
                "Key": MPU_KEY if multipart else "fuzz-w" if op in ("PutObject", "DeleteObject",
                                                                   "CreateMultipartUpload") else OBJECT_KEY,
                "UploadId": "fuzz-no-such-upload" if op == "AbortMultipartUpload" else upload_id,
                "Body": b"fuzz body", "PartNumber": 1}
    if service == "dynamodb":
        read_key, item = {"id": {"S": "a"}}, {"id": {"S": "fuzz-w"}, "v": {"S": "x"}}
        return {
            "TableName": {"CreateTable": f"fuzz-t-{index}", "DeleteTable": f"fuzz-gone-{index}"}.get(op, TABLE),
            "Key": {"id": {"S": "fuzz-w"}} if op in ("DeleteItem", "UpdateItem") else read_key, "Item": item,
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "TransactItems": [{"Get": {"TableName": TABLE, "Key": read_key}}] if op == "TransactGetItems"
            else [{"Put": {"TableName": TABLE, "Item": item}}],
            "RequestItems": {TABLE: {"Keys": [read_key]}} if op == "BatchGetItem"
            else {TABLE: [{"PutRequest": {"Item": item}}]},
            **({"KeyConditionExpression": "id = :v", "ExpressionAttributeValues": {":v": {"S": "a"}}}
               if op == "Query" else {}),
        }
    return {"FunctionName": {"CreateFunction": f"fuzz-fn-{index}", "DeleteFunction": f"fuzz-gone-{index}",
                             "UpdateFunctionCode": UPDATED_FUNCTION,
                             "UpdateFunctionConfiguration": UPDATED_FUNCTION}.get(op, FUNCTION),
            "Role": ROLE, "Code": {"ZipFile": ZIP}, "ZipFile": ZIP, "Runtime": "python3.12", "Handler": "app.handler",
            "StatementId": f"sid-{index}" if op == "AddPermission" else "sid-none", "Action": "lambda:InvokeFunction",
            "Principal": "s3.amazonaws.com", "Payload": b'{"fuzz": 1}', "MaximumRetryAttempts": 1}


def base_params(service: str, op_model, index: int, upload_id: str) -> dict:
    shape, creates = op_model.input_shape, op_model.name.startswith("Create")
    if shape is None:
        return {}
    params = fill(shape)
    for name, value in overrides(service, op_model.name, index, upload_id).items():
        if name in params or name in NEEDED and name in shape.members and (creates or name not in CREATE_ONLY):
            params[name] = copy.deepcopy(value)
    return params


# -- paths in the input shape -----------------------------------------------------------------

def walk(shape, value, path: tuple, depth: int = 1):
    """(path, shape, required in its parent) of every member below ``path``, to MAX_DEPTH."""
    if depth > MAX_DEPTH or shape.type_name not in ("structure", "list", "map"):
        return
    if shape.type_name == "structure":
        steps = [(name, member, name in shape.required_members) for name, member in shape.members.items()]
    else:
        key = 0 if shape.type_name == "list" else next(iter(value)) if value else map_key(shape)
        steps = [(key, child(shape, key), False)]
    for step, member, required in steps:
        yield path + (step,), member, required
        inner = value[step] if isinstance(value, list) and value else value.get(step) if isinstance(value, dict) else None
        yield from walk(member, inner, path + (step,), depth + 1)


def child(shape, step):
    kind = shape.type_name
    return shape.members[step] if kind == "structure" else shape.member if kind == "list" else shape.value


def put(params: dict, shape, path: tuple, value) -> dict:
    """A copy of ``params`` with ``path`` set to ``value`` (None: removed), containers made on the way."""
    node = params = copy.deepcopy(params)
    for step in path[:-1]:
        shape = child(shape, step)
        if not isinstance(node[step] if isinstance(node, list) else node.get(step), dict | list):
            node[step] = fill(shape)
        node = node[step]
    if value is None:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return params


def with_json(body: bytes, shape, path: tuple, text: str) -> bytes:
    """JSON ``body`` with the value at ``path`` (member names) replaced by the JSON ``text``."""
    node = document = json.loads(body or b"{}")
    for i, step in enumerate(path):
        wire = shape.members[step].serialization.get("name", step) if shape.type_name == "structure" else step
        shape = child(shape, step)
        if i < len(path) - 1:
            node = node[wire]
    node[wire] = MARK
    return json.dumps(document).replace(json.dumps(MARK), text, 1).encode("utf-8", "surrogateescape")


def invalid_json(body: bytes) -> bool:
    """Whether every JSON parser refuses ``body`` (trailing data, which some take, does not count)."""
    try:
        json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return True
    except json.JSONDecodeError as exc:
        return not exc.msg.startswith("Extra data")
    return False


def json_string(text: str) -> str:
    return json.dumps(text).replace("\\udcff", "\udcff").replace("\\udcfe", "\udcfe")  # keeps invalid UTF-8 raw


# -- the cases of one operation -------------------------------------------------------------------

@dataclass
class Operation:
    """A served operation being fuzzed; ``index()`` numbers each request's own resources."""

    service: str
    model: object  # botocore's OperationModel
    rng: random.Random
    index: object
    upload_id: str
    name: str = ""

    def base(self) -> dict:
        return base_params(self.service, self.model, self.index(), self.upload_id)

    def send(self, params: dict) -> Request:
        return serialize(self.model, params)


def body_cases(op: Operation, top: str, body: str) -> list[Case]:
    """Each member in the body (JSON, or S3's XML), at any depth: missing, of the wrong type, outside
    its enum, length or range, huge, nested, injected, invalid UTF-8, climbing."""
    shape, rng, checked, cases = op.model.input_shape, op.rng, op.service != "s3", []  # S3 checks no lengths
    params, quoted = op.base(), json_string if body == "json" else str
    top_member = ((top,), shape.members[top], top in shape.required_members)
    for path, member, required in [top_member, *walk(shape.members[top], params.get(top), (top,))]:
        kind, meta, where = member.type_name, member.metadata, "/".join(map(str, path))
        if required:  # its parent made if need be
            request = op.send(put(put(params, shape, path, fill(member)), shape, path, None))
            cases.append(request.case("missing", op.name, True, where))
        if body == "xml" and kind not in ("string", "integer", "long"):
            continue
        texts = [("enum", True, quoted("FUZZ_NOT_IN_ENUM"), "")] if meta.get("enum") else []  # (category, must, text, note)
        if body == "json":
            nest = rng.choice([100, 3000, 100_000])
            texts += [("wrong-type", True, rng.choice(WRONG_JSON.get(kind, ["null"])), ""),
                      ("nested", False, "[" * nest + "]" * nest, f"{nest} nested lists")]
            texts += [("wrong-type", True, '"@not base64@"', "")] if kind == "blob" else []
            texts += [("wrong-type", True, '"not-a-number"', "")] if path[-1] == "N" and op.service == "dynamodb" else []
            texts += [("range", True, str(JAVA_LIMITS[kind] + rng.choice([0, 10**20])), "")] if kind in JAVA_LIMITS else []
            if checked and kind in ("integer", "long", "float", "double"):
                texts += [("range", True, str(meta[b] + d), "") for b, d in (("min", -1), ("max", 1)) if b in meta]
            if checked and kind in ("list", "map") and meta.get("max", 10**9) <= 300:
                item, count = fill(child(member, 0)), meta["max"] + 1
                many = [item] * count if kind == "list" else {f"k{i}": item for i in range(count)}
                cases.append(op.send(put(params, shape, path, many)).case("length", op.name, True, f"{where}: {count}"))
        elif kind != "string":
            texts.append(("int-text", False, rng.choice(INT_TEXTS), ""))
        if kind == "string":
            size = rng.choice([70_000, 70_000, 300_000, 1_100_000])
            texts += [("huge", checked and size > meta.get("max", 10**9), quoted("h" * size), f"{size} chars"),
                      ("inject", False, quoted(rng.choice(INJECTIONS)), ""),
                      ("bad-body", True, quoted("fuzz-\udcff\udcfe"), "invalid UTF-8")]
            if checked and meta.get("max", 10**9) <= 10**6:
                texts.append(("length", True, quoted("x" * (meta["max"] + 1)), f"{meta['max'] + 1} chars"))
            if checked and meta.get("min", 0) >= 2:
                texts.append(("length", True, quoted("x" * (meta["min"] - 1)), f"{meta['min'] - 1} chars"))
            if path[-1] in ("FunctionName", "Key", "TableName", "Bucket", "Handler"):
                texts.append(("climb", False, quoted(rng.choice(CLIMBS)), ""))
        for category, must, text, note in texts:
            if body == "json":
                request = op.send(put(params, shape, path, fill(member)))
                data = with_json(request.body, shape, path, text)
            else:
                request = op.send(put(params, shape, path, MARK))
                data = request.body.replace(MARK.encode(), text.encode("utf-8", "surrogateescape"), 1)
            cases.append(request.case(category, op.name, must, f"{where} = {note or repr(text[:60])}", data))
    return cases


def location_cases(op: Operation, name: str, member) -> list[Case]:
    """A member in the URI, the query string or the headers: climbing, injected, outside its enum,
    integers and timestamps that are not, absurd ranges."""
    location, kind, meta, rng = member.serialization.get("location"), member.type_name, member.metadata, op.rng
    wire_name, checked, cases = member.serialization.get("name", name), op.service != "s3", []
    if location == "uri":
        size = rng.choice([7_000, 30_000, 110_000])
        texts = [(c, "climb", False) for c in rng.sample(CLIMBS, 4)] + [
            (quote(rng.choice(INJECTIONS), safe=""), "inject", False), (rng.choice(BAD_ENCODINGS), "inject", False),
            ("u" * size, "huge", checked and size > meta.get("max", 10**9))]
        for value, category, must in texts:
            request = op.send({**op.base(), name: MARK})
            request.path = request.path.replace(MARK, value, 1)
            cases.append(request.case(category, op.name, must, f"{name} label = {value[:60]!r}"))
        return cases
    if location == "headers":  # S3 user metadata
        for key, value in ((f"x-amz-meta-{'m' * 3000}", "v"), ("x-amz-meta-k", "v" * 3000), ("x-amz-meta-k", "a\udcffb"),
                           ("x-amz-meta-", "v")):
            request = op.send(op.base())
            request.headers[key] = value
            cases.append(request.case("huge", op.name, False, f"{key[:20]}: {value[:20]!r}"))
    if location not in ("header", "querystring") or name == "ContentLength":
        return cases
    texts = []
    enum = meta.get("enum") or (kind == "list" and member.member.metadata.get("enum"))
    if enum and not (op.service == "s3" and wire_name.lower() in S3_UNCHECKED_ENUMS):
        texts.append(("FUZZ_NOT_IN_ENUM", "enum", True))
    if kind in ("integer", "long"):  # HTTP strips the spaces around a header's value
        texts += [(t, "int-text", (location == "querystring" or t.strip() == t) and not _integer_text(t, kind))
                  for t in rng.sample(INT_TEXTS, 3)]
        texts += [(str(meta[b] + d), "range", True) for b, d in (("min", -1), ("max", 1)) if checked and b in meta]
    elif kind == "timestamp":
        texts += [(t, "timestamp", False) for t in TIMESTAMPS]
    elif kind == "string":
        size = rng.choice([70_000, 300_000, 1_100_000]) // (10 if location == "header" else 1)
        texts.append(("q" * size, "huge", checked and size > meta.get("max", 10**9)))
        if checked and meta.get("max", 10**9) <= 10**5:
            texts.append(("x" * (meta["max"] + 1), "length", True))
        texts += [(r, "range-header", False) for r in RANGES if name == "Range"]
    else:
        texts.append(("fuzz", "int-text", False))
    if location == "querystring":
        texts += [(rng.choice(INJECTIONS), "inject-query", False), (rng.choice(BAD_ENCODINGS).encode(), "inject", False)]
    else:
        texts += [("a\x00b", "inject", False), ("a\udcffb\x7f", "inject", False)]
    for value, category, must in texts:
        request = op.send(op.base())
        (request.headers if location == "header" else request.query)[wire_name] = value
        cases.append(request.case(category, op.name, must, f"{location} {wire_name} = {value[:60]!r}"))
    return cases


def operation_cases(op: Operation, budget: int) -> list[Case]:
    """The mutations of one operation: all of the ALWAYS categories, ``budget`` of the others."""
    shape, protocol = op.model.input_shape, op.model.service_model.metadata["protocol"]
    members = shape.members if shape is not None else {}
    payload = shape.serialization.get("payload") if shape is not None else None
    if protocol == "json":  # (how the body is written, the top-level members in it)
        body, tops = "json", list(members)
    elif payload:
        body, tops = ("xml" if protocol == "rest-xml" else "json", [payload]) \
            if members[payload].type_name == "structure" else ("", [])
    else:
        tops = [n for n, m in members.items() if not m.serialization.get("location")]
        body = "json" if tops else ""
    cases = [op.send(op.base()).case("boto", op.name, False)]
    for top in tops:
        cases += body_cases(op, top, body)
    for name, member in members.items():
        cases += location_cases(op, name, member)
    cases += whole_body_cases(op.name, op.send(put(op.base(), shape, (tops[0],), {}) if body == "xml" else op.base()),
                              body, op.rng)
    cases += [mutated(op.service, op.name, op.send(op.base()), body, op.rng) for _ in range(14)]
    kept = [c for c in cases if c.category in ALWAYS]
    rest = [c for c in cases if c.category not in ALWAYS]
    return kept + [rest[i] for i in sorted(op.rng.sample(range(len(rest)), min(budget, len(rest))))]


def whole_body_cases(op: str, request: Request, body_kind: str, rng: random.Random) -> list[Case]:
    """Whole bodies that do not parse (refused), and odd ones that may (harmless): BOM, trailing data,
    UTF-16, overlong UTF-8 and encoded surrogates (Jackson takes those), deep nesting, entities."""
    body, depth = request.body or b"{}", rng.choice([5000, 200_000])
    refused = {"json": [b"{not json", b"[1, 2]", b'"a string"', b"{" * 50_000, b"\x00" * 8,
                        body[:-1] + b', "TableName": "\xff\xfe"}'], "xml": [b"<Unclosed>", b"\xff\xfe<a/>", b"<a>\xc3\x28</a>"]}
    refused = [body[: rng.randrange(1, len(body))]] + refused[body_kind] if body_kind else []
    harmless = [b"\xef\xbb\xbf" + body, body + b"garbage", b"null", b"", body.decode().encode("utf-16"),
                b'{"a": "\xc0\xaf"}', b'{"a": "\xed\xa0\x80"}']
    if body_kind == "xml" or op.startswith("s3"):
        harmless += [b"<a>" * depth + b"</a>" * depth, b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
                     b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><x>&c;</x>']
    else:
        harmless += [b"[" * depth + b"]" * depth, b'{"a":' * 2000 + b"1" + b"}" * 2000, b"\xff\xfe", b"{" * 10]
    cases = [request.case("bad-body", op, True, f"body {data[:40]!r}", data) for data in refused]
    cases += [request.case("bad-body", op, False, f"body {data[:40]!r}", data) for data in harmless]
    if op == "lambda:Invoke":  # past the 6 MB a synchronous invocation takes
        cases.append(request.case("huge", op, True, "payload over 6 MB", b'{"a": "' + b"p" * (6 << 20) + b'"}'))
    return cases


def mutated(service: str, op: str, request: Request, body_kind: str, rng: random.Random) -> Case:
    """boto3's request with one to three random edits of its method, target, headers or body."""
    case, notes = request.case("mutated", op, False), []
    for _ in range(rng.randint(1, 3)):
        action = rng.choice(["flip", "truncate", "duplicate", "drop", "method", "query", "path", "target", "type", "junk"])
        at, name = rng.randrange(max(1, len(case.body))), rng.choice(sorted(case.headers) or ["Authorization"])
        if action == "flip" and case.body:
            case.body = case.body[:at] + bytes([rng.randrange(256)]) + case.body[at + 1:]
        elif action == "truncate":
            case.body = case.body[:at]
        elif action == "duplicate":
            case.headers[name.swapcase()] = "fuzz-duplicate"
        elif action == "drop":
            case.headers.pop(name, None)
        elif action == "method":  # never one that writes: the set-up resources must stay
            case.method = rng.choice(["PATCH", "OPTIONS", "TRACE", "FUZZ", case.method.lower()])
        elif action == "query":
            case.target += ("&" if "?" in case.target else "?") + rng.choice(["&&=&", "%zz=1", "x-id=Fuzz", "a=%00", "=="])
        elif action == "path":
            case.target = rng.choice(["/" + case.target, case.target.replace("/", "%2F", 2), case.target.upper(),
                                      case.target + "/", "*"])
        elif action == "target" and service == "dynamodb":
            case.headers["X-Amz-Target"] = "DynamoDB_20120810." + rng.choice(["Fuzz", "", "DescribeTable", "Scan"])
        elif action in ("type", "junk"):
            header = "Content-Type" if action == "type" else rng.choice(["Expect", "Content-Encoding", "X-Amz-Content-Sha256"])
            case.headers[header] = rng.choice(["text/plain", "\udcff", "", "100-continue", "gzip", "aws-chunked", "fuzz"])
        notes.append(action)
    # Refused for certain: a JSON or XML body made unparsable, and nothing else changed.
    case.must_reject = bool(case.body.strip()) and set(notes) <= {"flip", "truncate"} and case.body != request.body and (
        invalid_json(case.body) if body_kind == "json" else body_kind == "xml" and set(notes) == {"truncate"})
    case.note = "+".join(notes)
    return case


def generate(rng: random.Random, upload_id: str, budget: int = 45) -> list[Case]:
    """The cases of every served operation, in the models' order."""
    counter = iter(range(10**9))
    return [case for service, name in served_operations()
            for case in operation_cases(Operation(service, load_service_model(service).operation_model(name), rng,
                                                  lambda: next(counter), upload_id, f"{service}:{name}"), budget)]
