"""Document paths on items: reading one, grouping several into a tree, projecting a tree.

A resolved path is a tuple of map keys (``str``) and list indexes (``int``), starting with a
top-level attribute name. A path tree is a dict from path element to either a sub-tree (a
dict) or a leaf (anything else: ``None`` for a projection, the action for an update).
Building the tree is where DynamoDB refuses overlapping paths (``a`` and ``a.b``) and
conflicting ones (``a[0]`` and ``a.b``).
"""

from __future__ import annotations

from typing import Any

from .errors import invalid, path_text

PathElements = tuple  # tuple[str | int, ...]
Tree = dict


def resolve(item: dict, elements: PathElements) -> dict | None:
    """The value at ``elements`` in ``item``, or None where any step is missing or mistyped."""
    node = item.get(elements[0])
    for element in elements[1:]:
        if node is None:
            return None
        if type(element) is int:
            values = node.get("L")
            if values is None or element >= len(values):
                return None
            node = values[element]
        else:
            members = node.get("M")
            if members is None:
                return None
            node = members.get(element)
    return node


def add_path(tree: Tree, elements: PathElements, leaf: Any = None) -> None:
    """Add a path to ``tree``, refusing overlaps and conflicts as DynamoDB words them.

    DynamoDB adds the paths of one expression last-first, so the path named "path one" in
    its messages is the one written earlier; callers add in reverse order to match.
    """
    node = tree
    depth = 0
    last = len(elements) - 1
    while True:
        element = elements[depth]
        child = node.get(element, _ABSENT) if node else _ABSENT
        if child is _ABSENT:
            if node:
                first = next(iter(node))
                if (type(first) is int) != (type(element) is int):
                    other = elements[:depth] + _first_branch(node, first)
                    invalid(
                        "Two document paths conflict with each other; must remove or rewrite one of these paths",
                        "path one",
                        path_text(elements),
                        "path two",
                        path_text(other),
                    )
            node[element] = _chain(elements[depth + 1 :], leaf)
            return
        if type(child) is dict and depth < last:
            node = child
            depth += 1
            continue
        other = elements[:depth] + _first_branch(node, element)
        invalid(
            "Two document paths overlap with each other; must remove or rewrite one of these paths",
            "path one",
            path_text(elements),
            "path two",
            path_text(other),
        )


_ABSENT = object()


def _chain(rest: PathElements, leaf: Any) -> Any:
    node = leaf
    for element in reversed(rest):
        node = {element: node}
    return node


def _first_branch(node: Tree, element: Any) -> PathElements:
    # The existing path through ``element``, following the first branch at each level.
    path = [element]
    child = node[element]
    while type(child) is dict:
        element = next(iter(child))
        path.append(element)
        child = child[element]
    return tuple(path)


def leaf_paths(tree: Tree, prefix: PathElements = ()) -> list[PathElements]:
    """Every full path in ``tree``."""
    paths: list[PathElements] = []
    for element, child in tree.items():
        if type(child) is dict:
            paths.extend(leaf_paths(child, prefix + (element,)))
        else:
            paths.append(prefix + (element,))
    return paths


def project(item: dict, tree: Tree) -> dict:
    """The parts of ``item`` that ``tree`` names, nested as DynamoDB returns them.

    Missing paths are left out; a map or list that ends up empty is left out too; picked list
    elements close up in index order (``l[0], l[2]`` gives a two-element list).
    """
    out = {}
    for name, sub in tree.items():
        value = item.get(name)
        if value is None:
            continue
        if type(sub) is dict:
            value = _project_value(value, sub)
            if value is None:
                continue
        out[name] = value
    return out


def _project_value(value: dict, tree: Tree) -> dict | None:
    if type(next(iter(tree))) is int:
        values = value.get("L")
        if values is None:
            return None
        picked = []
        for index in sorted(tree):
            if index >= len(values):
                continue
            sub = tree[index]
            element = values[index]
            if type(sub) is dict:
                element = _project_value(element, sub)
                if element is None:
                    continue
            picked.append(element)
        return {"L": picked} if picked else None
    members = value.get("M")
    if members is None:
        return None
    kept = project(members, tree)
    return {"M": kept} if kept else None
