"""Update expressions: binding a parsed update and applying it to an item.

As in DynamoDB, every action reads the item as it was before the update (``SET a = :v, b = a``
gives ``b`` the old ``a``), and all actions' paths form one tree, so one update cannot name a
path twice or a path and its parent. Applying walks that tree over the old item:

- a path through a missing map key or list element, through a scalar, or that uses a list
  index on a map (or a key on a list) fails with "The document path provided in the update
  expression is invalid for update";
- SET of a list index past the end appends; REMOVE of an absent attribute or index does
  nothing; list elements close up after REMOVE;
- ADD to an absent attribute creates it, ADD of a number adds, ADD of a set unions;
  DELETE removes members from a set and removes the attribute when the set empties;
- operands of the wrong type fail with "An operand in the update expression has an incorrect
  data type", absent operands with "The provided expression refers to an attribute that does
  not exist in the item".
"""

from __future__ import annotations

from decimal import Decimal

from ..values import MAX_NESTING, binary_value
from .ast import Action, UpdateExpression
from .errors import (
    ATTRIBUTE_NOT_FOUND,
    INCORRECT_DATA_TYPE,
    INVALID_PATH_FOR_UPDATE,
    NESTING_TOO_DEEP,
    fail_update,
    invalid,
)
from .operands import Binder, add_numbers
from .paths import Tree, add_path, leaf_paths, project

_TYPE_NAMES = {
    "S": "STRING",
    "N": "NUMBER",
    "B": "BINARY",
    "BOOL": "BOOLEAN",
    "NULL": "NULL",
    "L": "LIST",
    "M": "MAP",
    "SS": "STRING_SET",
    "NS": "NUMBER_SET",
    "BS": "BINARY_SET",
}
_ADD_TYPES = frozenset(("N", "SS", "NS", "BS"))
_DELETE_TYPES = frozenset(("SS", "NS", "BS"))


class _Step:
    """One bound action, at its leaf of the update tree."""

    __slots__ = ("kind", "depth", "get", "value")

    def __init__(self, kind: str, depth: int) -> None:
        self.kind = kind
        self.depth = depth  # length of the action's path
        self.get = None
        self.value = None

    def run(self, current: dict | None, root: dict) -> dict | None:
        kind = self.kind
        if kind == "SET":
            result = self.get(root)
            if result is None:
                fail_update(ATTRIBUTE_NOT_FOUND)
        elif kind == "REMOVE":
            return None
        elif kind == "ADD":
            result = _add(current, self.value)
        else:
            return _delete(current, self.value)
        if self.depth > 1 and ("M" in result or "L" in result):
            _check_nesting(result, self.depth)
        return result


class UpdateOutcome:
    """The result of applying an update.

    ``item`` is the new item (the old one is left untouched). ``updated_paths`` lists the
    document paths the update named; ``updated_old()`` and ``updated_new()`` give what
    UpdateItem returns for ReturnValues UPDATED_OLD and UPDATED_NEW: the named paths
    projected from the old and the new item (for nested paths, just that sub-structure).
    """

    __slots__ = ("item", "old_item", "tree")

    def __init__(self, item: dict, old_item: dict, tree: Tree) -> None:
        self.item = item
        self.old_item = old_item
        self.tree = tree

    @property
    def updated_paths(self) -> list[tuple]:
        return leaf_paths(self.tree)

    @property
    def touched_attributes(self) -> frozenset[str]:
        return frozenset(self.tree)

    def updated_old(self) -> dict:
        return project(self.old_item, self.tree)

    def updated_new(self) -> dict:
        return project(self.item, self.tree)


class BoundUpdate:
    """An update bound to one request's names and values; ``apply(item)`` runs it.

    ``touched_attributes`` are the top-level attribute names the update writes, known before
    any item is read (the caller refuses key attributes with them).
    """

    __slots__ = ("expression", "tree", "touched_attributes")

    def __init__(self, expression: UpdateExpression, tree: Tree) -> None:
        self.expression = expression
        self.tree = tree
        # Once per binding, and bindings are memoized: not once per request.
        self.touched_attributes: frozenset[str] = frozenset(tree)

    @property
    def updated_paths(self) -> list[tuple]:
        return leaf_paths(self.tree)

    def apply(self, item: dict) -> UpdateOutcome:
        """Apply to ``item`` (``{}`` or just the key when the item does not exist yet)."""
        return UpdateOutcome(_apply_members(item, self.tree, item), item, self.tree)


def bind_update(binder: Binder, expression: UpdateExpression) -> BoundUpdate:
    # DynamoDB checks every path first, then every action's operands, both last action first.
    tree: Tree = {}
    actions = expression.actions[::-1]
    steps: list[tuple[Action, _Step]] = []
    for action in actions:
        elements = binder.path(action.path)
        step = _Step(action.kind, len(elements))
        add_path(tree, elements, step)
        steps.append((action, step))
    for action, step in steps:
        if action.kind == "SET":
            step.get = binder.operand(action.value).get
        elif action.kind != "REMOVE":
            value = binder.value(action.value.name)
            kind = next(iter(value))
            allowed = _ADD_TYPES if action.kind == "ADD" else _DELETE_TYPES
            if kind not in allowed:
                invalid(
                    "Incorrect operand type for operator or function",
                    "operator",
                    action.kind,
                    "operand type",
                    _TYPE_NAMES[kind],
                    "typeSet",
                    f"ALLOWED_FOR_{action.kind}_OPERAND",
                )
            step.value = value
    return BoundUpdate(expression, tree)


# -- applying ----------------------------------------------------------------------------------


def _apply_members(members: dict, tree: Tree, root: dict) -> dict:
    out = dict(members)
    for key, sub in tree.items():
        current = members.get(key)
        if type(sub) is dict:
            if current is None:
                fail_update(INVALID_PATH_FOR_UPDATE)
            result = _apply_container(current, sub, root)
        else:
            result = sub.run(current, root)
        if result is None:
            out.pop(key, None)
        else:
            out[key] = result
    return out


def _apply_container(value: dict, tree: Tree, root: dict) -> dict:
    if type(next(iter(tree))) is not int:
        members = value.get("M")
        if members is None:
            fail_update(INVALID_PATH_FOR_UPDATE)
        return {"M": _apply_members(members, tree, root)}
    values = value.get("L")
    if values is None:
        fail_update(INVALID_PATH_FOR_UPDATE)
    slots = dict(enumerate(values))
    for index, sub in tree.items():
        current = values[index] if index < len(values) else None
        if type(sub) is dict:
            if current is None:
                fail_update(INVALID_PATH_FOR_UPDATE)
            result = _apply_container(current, sub, root)
        else:
            result = sub.run(current, root)
        if result is None:
            slots.pop(index, None)
        else:
            slots[index] = result
    return {"L": [slots[i] for i in sorted(slots)]}


def _add(current: dict | None, value: dict) -> dict:
    if current is None:
        return value
    kind = next(iter(value))
    if kind not in current:
        fail_update(INCORRECT_DATA_TYPE)
    if kind == "N":
        return add_numbers(current["N"], value["N"])
    existing = current[kind]
    known = _members(kind, existing)
    added = []
    for member in value[kind]:
        key = _member_key(kind, member)
        if key not in known:
            known.add(key)
            added.append(member)
    return {kind: existing + added} if added else current


def _delete(current: dict | None, value: dict) -> dict | None:
    if current is None:
        return None
    kind = next(iter(value))
    if kind not in current:
        fail_update(INCORRECT_DATA_TYPE)
    gone = _members(kind, value[kind])
    kept = [m for m in current[kind] if _member_key(kind, m) not in gone]
    return {kind: kept} if kept else None


def _members(kind: str, members: list) -> set:
    return {_member_key(kind, m) for m in members}


def _member_key(kind: str, member: str) -> object:
    # Numbers and binaries are compared by value, not by their text.
    if kind == "NS":
        return Decimal(member)
    if kind == "BS":
        return binary_value({"B": member})
    return member


def _check_nesting(value: dict, level: int) -> None:
    # ``level`` is the value's depth under the item: containers at MAX_NESTING are refused.
    if level >= MAX_NESTING:
        fail_update(NESTING_TOO_DEEP)
    if "M" in value:
        children = value["M"].values()
    elif "L" in value:
        children = value["L"]
    else:
        return
    for child in children:
        if "M" in child or "L" in child:
            _check_nesting(child, level + 1)
