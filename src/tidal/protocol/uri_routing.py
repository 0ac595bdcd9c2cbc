"""Routing a REST request to an operation by method, path template and query keys.

Templates come from the models' ``http.requestUri`` (``/{Bucket}/{Key+}?uploads``). Paths are
matched segment by segment in a trie (literal segments before labels, labels before a greedy
``{Key+}`` label). Several S3 operations share a template and differ only by a query key
(``?uploads``, ``?list-type=2``), by a required query member (``uploadId``) or by a required
header (``x-amz-copy-source``); candidates are tried most specific first. botocore may add
``x-id=<OperationName>`` to a template; it is honoured when sent and never required.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from tidal.protocol.models import Operation

Query = dict[str, list[str]]


def parse_query(raw: str) -> Query:
    query: Query = {}
    if raw:
        for key, value in parse_qsl(raw, keep_blank_values=True):
            found = query.get(key)
            if found is None:
                query[key] = [value]
            else:
                found.append(value)
    return query


@dataclass(slots=True)
class Route:
    operation: Operation
    label_names: list[str]  # in path order; the greedy one, if any, last
    greedy: bool
    required_query: dict[str, str | None]  # key -> required value (None: any value)
    required_headers: tuple[str, ...]  # lower-case names
    deprecated: bool = False
    pattern: re.Pattern[str] | None = None  # the whole template, for label_values()

    def label_values(self, path: str) -> list[str] | None:
        """Raw label values of ``path`` under this route's template (None: no match)."""
        found = self.pattern.fullmatch(path) if self.pattern is not None else None
        return list(found.groups()) if found is not None else None

    def specificity(self) -> tuple[int, int, int]:
        return (len(self.required_query), len(self.required_headers), 0 if self.deprecated else 1)

    def accepts(self, query: Query, headers: Mapping[str, str]) -> bool:
        for key, value in self.required_query.items():
            got = query.get(key)
            if got is None or (value is not None and value not in got):
                return False
        for name in self.required_headers:
            if name not in headers:
                return False
        return True


@dataclass(slots=True)
class _Node:
    literals: dict[str, _Node] = field(default_factory=dict)
    label: _Node | None = None
    routes: list[Route] = field(default_factory=list)  # templates ending here
    greedy_routes: list[Route] = field(default_factory=list)  # templates ending in {X+} here
    # The same, less those that need a query key: all a query-less request can match.
    plain_routes: list[Route] = field(default_factory=list)
    plain_greedy_routes: list[Route] = field(default_factory=list)


def split_template(request_uri: str) -> tuple[list[str], dict[str, str | None]]:
    """``/{Bucket}/{Key+}?uploads&x-id=Op`` -> (["{Bucket}", "{Key+}"], {"uploads": None})."""
    path, _, query_text = request_uri.partition("?")
    segments = path.strip("/").split("/") if path.strip("/") else []
    required: dict[str, str | None] = {}
    for part in query_text.split("&") if query_text else []:
        key, eq, value = part.partition("=")
        if key != "x-id":  # botocore's hint, never required (other clients do not send it)
            required[key] = value if eq else None
    return segments, required


class Router:
    """One service's routes, per HTTP method."""

    def __init__(self) -> None:
        self._roots: dict[str, _Node] = {}

    def add(
        self,
        operation: Operation,
        method: str,
        request_uri: str,
        required_query_members: tuple[str, ...] = (),
        required_headers: tuple[str, ...] = (),
        deprecated: bool = False,
    ) -> Route:
        segments, required_query = split_template(request_uri)
        for key in required_query_members:
            required_query.setdefault(key, None)
        node = self._roots.setdefault(method, _Node())
        labels: list[str] = []
        greedy = False
        for segment in segments:
            if segment.startswith("{") and segment.endswith("}"):
                name = segment[1:-1]
                if name.endswith("+"):
                    labels.append(name[:-1])
                    greedy = True
                    break
                labels.append(name)
                if node.label is None:
                    node.label = _Node()
                node = node.label
            else:
                node = node.literals.setdefault(segment, _Node())
        route = Route(operation, labels, greedy, required_query, required_headers, deprecated)
        route.pattern = _template_pattern(segments)
        target = node.greedy_routes if greedy else node.routes
        target.append(route)
        target.sort(key=lambda r: (tuple(-x for x in r.specificity()), r.operation.name))
        plain = [r for r in target if not r.required_query]
        if greedy:
            node.plain_greedy_routes = plain
        else:
            node.plain_routes = plain
        return route

    def match(
        self, method: str, path: str, query: Query, headers: Mapping[str, str]
    ) -> tuple[Route, list[str]] | None:
        """The route for a request and its raw (still percent-encoded) label values."""
        root = self._roots.get(method)
        if root is None:
            return None
        segments = path[1:].split("/") if path.startswith("/") else path.split("/")
        if segments == [""]:
            segments = []
        captured: list[str] = []
        found = self._walk(root, segments, 0, captured, query, headers)
        if found is None:
            return None
        route, rest = found
        if rest is not None:
            captured.append(rest)
        return route, captured

    def _walk(
        self,
        node: _Node,
        segments: list[str],
        index: int,
        captured: list[str],
        query: Query,
        headers: Mapping[str, str],
    ) -> tuple[Route, str | None] | None:
        remaining = len(segments) - index
        # The end of the path; one trailing slash ("/bucket/") still means the template's end.
        if remaining == 0 or (remaining == 1 and segments[index] == ""):
            route = _pick(node.routes if query else node.plain_routes, query, headers)
            if route is not None:
                return route, None
        else:
            segment = segments[index]
            child = node.literals.get(segment)
            if child is not None:
                found = self._walk(child, segments, index + 1, captured, query, headers)
                if found is not None:
                    return found
            if node.label is not None and segment:
                captured.append(segment)
                found = self._walk(node.label, segments, index + 1, captured, query, headers)
                if found is not None:
                    return found
                captured.pop()
        if node.greedy_routes and remaining > 0:
            rest = "/".join(segments[index:])
            if rest:
                route = _pick(node.greedy_routes if query else node.plain_greedy_routes, query, headers)
                if route is not None:
                    return route, rest
        return None


def _template_pattern(segments: list[str]) -> re.Pattern[str]:
    parts = []
    for segment in segments:
        if segment.startswith("{") and segment.endswith("+}"):
            parts.append("(.+)")
        elif segment.startswith("{") and segment.endswith("}"):
            parts.append("([^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts) + "/?")


def _pick(routes: list[Route], query: Query, headers: Mapping[str, str]) -> Route | None:
    if not routes:
        return None
    hinted = query.get("x-id")
    if hinted:
        for route in routes:
            if route.operation.name == hinted[0]:
                return route
    for route in routes:
        if route.accepts(query, headers):
            return route
    return None
