"""Projection expressions: binding the listed paths and projecting items through them."""

from __future__ import annotations

from .ast import ProjectionExpression
from .operands import Binder
from .paths import Tree, add_path, leaf_paths, project


class BoundProjection:
    """A projection bound to one request's names; ``apply(item)`` returns the projected item.

    Nested paths keep their structure (``a.b`` gives ``{"a": {"M": {"b": ...}}}``); paths
    absent from the item are left out.
    """

    __slots__ = ("expression", "tree")

    def __init__(self, expression: ProjectionExpression, tree: Tree) -> None:
        self.expression = expression
        self.tree = tree

    @property
    def paths(self) -> list[tuple]:
        return leaf_paths(self.tree)

    @property
    def attributes(self) -> frozenset[str]:
        """The top-level attributes the projection reads."""
        return frozenset(self.tree)

    def apply(self, item: dict) -> dict:
        return project(item, self.tree)

    __call__ = apply


def bind_projection(binder: Binder, expression: ProjectionExpression) -> BoundProjection:
    tree: Tree = {}
    # DynamoDB adds the paths last-first, which decides which path its overlap error names first.
    for path in reversed(expression.paths):
        add_path(tree, binder.path(path))
    return BoundProjection(expression, tree)
