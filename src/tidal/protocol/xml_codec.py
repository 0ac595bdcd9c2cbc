"""Shape-driven XML for rest-xml services (S3): request bodies to params, results to XML.

Element names follow the model: a member's ``locationName`` (else its name), list items
named by the list member's ``locationName`` (else ``member``), flattened lists repeated
directly in their parent, maps as ``entry``/``key``/``value``, ``xmlAttribute`` members as
attributes. Namespaces in requests are ignored; responses carry the service namespace on
the root element.

Parsing uses the C expat parser behind xml.etree after refusing any DOCTYPE (and so any
entity declaration): hostile XML can neither expand entities nor reach files. Elements the
shape does not know make the document invalid, as S3's schema validation does.

Writers are compiled closures that append strings to a list: no element tree is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element, ParseError, XMLParser

from botocore.model import Shape

from tidal.protocol.wire_values import format_text, iso8601, parse_text

XmlReader = Callable[[Element], Any]
XmlWriter = Callable[[list[str], Any, str], None]


class XmlShapeError(Exception):
    """The document is not well-formed XML, or does not fit the shape."""


def parse_document(body: bytes) -> Element:
    """The root element of ``body``; XmlShapeError for malformed or hostile documents."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise XmlShapeError("DOCTYPE is not allowed")
    parser = XMLParser()
    try:
        parser.feed(body)
        return parser.close()
    except ParseError as exc:
        raise XmlShapeError(str(exc)) from None


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[1] if tag[:1] == "{" else tag


def escape_text(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:  # XML parsers normalise a bare CR to LF; keep it as a character reference
        text = text.replace("\r", "&#13;")
    return text


def escape_attribute(text: str) -> str:
    return escape_text(text).replace('"', "&quot;")


def namespace_attribute(shape: Shape) -> str:
    namespace = shape.serialization.get("xmlNamespace")
    if isinstance(namespace, dict):
        prefix = namespace.get("prefix")
        name = f"xmlns:{prefix}" if prefix else "xmlns"
        return f' {name}="{escape_attribute(namespace["uri"])}"'
    if isinstance(namespace, str):
        return f' xmlns="{escape_attribute(namespace)}"'
    return ""


def _list_item_tag(shape: Shape, default: str) -> str:
    return shape.member.serialization.get("name", default)


class XmlCodec:
    """Compiles and caches XML readers and writers for the shapes of one service model."""

    def __init__(self) -> None:
        self._readers: dict[str, XmlReader] = {}
        self._writers: dict[str, XmlWriter] = {}

    # -- readers -------------------------------------------------------------------------

    def reader(self, shape: Shape) -> XmlReader:
        found = self._readers.get(shape.name)
        if found is not None:
            return found
        slot: list[XmlReader] = []
        self._readers[shape.name] = lambda element: slot[0](element)
        compiled = self._compile_reader(shape)
        slot.append(compiled)
        self._readers[shape.name] = compiled
        return compiled

    def _compile_reader(self, shape: Shape) -> XmlReader:
        kind = shape.type_name
        if kind == "structure":
            return self._structure_reader(shape)
        if kind == "list":
            item_reader = self.reader(shape.member)
            item_tag = _list_item_tag(shape, "member")

            def read_list(element: Element) -> Any:
                items = []
                for child in element:
                    if local_name(child.tag) != item_tag:
                        raise XmlShapeError(f"unexpected element {child.tag}")
                    items.append(item_reader(child))
                return items

            return read_list
        if kind == "map":
            return self._map_reader(shape)
        return _scalar_reader(shape)

    def structure_reader(self, shape: Shape, members: list[str]) -> XmlReader:
        """A reader of ``shape`` that knows only ``members`` (the body members of a request)."""
        return self._structure_reader(shape, members)

    def _structure_reader(self, shape: Shape, names: list[str] | None = None) -> XmlReader:
        # tag -> (member name, reader, repeated?) ; repeated members are flattened lists
        children: dict[str, tuple[str, XmlReader, bool]] = {}
        attributes: dict[str, tuple[str, XmlReader]] = {}
        for name in names if names is not None else shape.members:
            member = shape.members[name]
            serialization = member.serialization
            tag = serialization.get("name", name)
            if serialization.get("xmlAttribute"):
                attributes[tag.rsplit(":", 1)[-1]] = (name, _scalar_reader(member))
            elif member.type_name == "list" and serialization.get("flattened"):
                item_reader = self.reader(member.member)
                children[tag] = (name, item_reader, True)
                # botocore's own parser names flattened items by the item's locationName
                children.setdefault(_list_item_tag(member, tag), (name, item_reader, True))
            else:
                children[tag] = (name, self.reader(member), False)
        lookup = children.get

        def read_structure(element: Element) -> Any:
            out: dict[str, Any] = {}
            if attributes and element.attrib:
                for key, value in element.attrib.items():
                    attribute = attributes.get(local_name(key))
                    if attribute is not None:
                        out[attribute[0]] = attribute[1](_text_element(value))
            for child in element:
                entry = lookup(local_name(child.tag))
                if entry is None:
                    raise XmlShapeError(f"unexpected element {child.tag}")
                name, read, repeated = entry
                if repeated:
                    out.setdefault(name, []).append(read(child))
                else:
                    out[name] = read(child)
            return out

        return read_structure

    def _map_reader(self, shape: Shape) -> XmlReader:
        key_tag = shape.key.serialization.get("name", "key")
        value_tag = shape.value.serialization.get("name", "value")
        key_reader, value_reader = self.reader(shape.key), self.reader(shape.value)
        flattened = shape.serialization.get("flattened")

        def read_entry(entry: Element, out: dict[str, Any]) -> None:
            key = value = None
            for part in entry:
                tag = local_name(part.tag)
                if tag == key_tag:
                    key = key_reader(part)
                elif tag == value_tag:
                    value = value_reader(part)
                else:
                    raise XmlShapeError(f"unexpected element {part.tag}")
            if key is None:
                raise XmlShapeError("map entry without a key")
            out[key] = value

        def read_map(element: Element) -> Any:
            out: dict[str, Any] = {}
            if flattened:
                read_entry(element, out)
                return out
            for entry in element:
                if local_name(entry.tag) != "entry":
                    raise XmlShapeError(f"unexpected element {entry.tag}")
                read_entry(entry, out)
            return out

        return read_map

    # -- writers -------------------------------------------------------------------------

    def writer(self, shape: Shape) -> XmlWriter:
        found = self._writers.get(shape.name)
        if found is not None:
            return found
        slot: list[XmlWriter] = []
        self._writers[shape.name] = lambda out, value, tag: slot[0](out, value, tag)
        compiled = self._compile_writer(shape)
        slot.append(compiled)
        self._writers[shape.name] = compiled
        return compiled

    def _compile_writer(self, shape: Shape) -> XmlWriter:
        kind = shape.type_name
        if kind == "structure":
            return self.structure_writer(shape)
        if kind == "list":
            item_writer = self.writer(shape.member)
            item_tag = _list_item_tag(shape, "member")

            def write_list(out: list[str], value: Any, tag: str) -> None:
                out.append(f"<{tag}>")
                for item in value:
                    item_writer(out, item, item_tag)
                out.append(f"</{tag}>")

            return write_list
        if kind == "map":
            key_tag = shape.key.serialization.get("name", "key")
            value_tag = shape.value.serialization.get("name", "value")
            key_writer, value_writer = self.writer(shape.key), self.writer(shape.value)

            def write_map(out: list[str], value: Any, tag: str) -> None:
                out.append(f"<{tag}>")
                for key, item in value.items():
                    out.append("<entry>")
                    key_writer(out, key, key_tag)
                    value_writer(out, item, value_tag)
                    out.append("</entry>")
                out.append(f"</{tag}>")

            return write_map
        return _scalar_writer(shape)

    def structure_writer(
        self, shape: Shape, namespace: str = "", members: list[str] | None = None
    ) -> XmlWriter:
        """Writer of a structure element; ``namespace`` is an ``xmlns`` attribute for a root."""
        names = members if members is not None else list(shape.members)
        member_writers: dict[str, Callable[[list[str], Any], None]] = {}
        attribute_writers: dict[str, tuple[str, Shape]] = {}
        for name in names:
            member = shape.members[name]
            serialization = member.serialization
            tag = serialization.get("name", name)
            if serialization.get("xmlAttribute"):
                attribute_writers[name] = (tag, member)
            elif member.type_name == "list" and serialization.get("flattened"):
                member_writers[name] = _flattened_writer(
                    self.writer(member.member), _list_item_tag(member, tag)
                )
            else:
                member_writers[name] = _scalar_member_writer(member, tag) or _bound_writer(
                    self.writer(member), tag
                )
        own_namespace = namespace or namespace_attribute(shape)
        lookup = member_writers.get

        def write_structure(out: list[str], value: Any, tag: str) -> None:
            attributes = own_namespace
            if attribute_writers:
                attributes += _attributes(attribute_writers, value)
            out.append(f"<{tag}{attributes}>")
            for key, item in value.items():
                write = lookup(key)
                if write is not None and item is not None:
                    write(out, item)
            out.append(f"</{tag}>")

        return write_structure


def _text_element(text: str) -> Element:
    element = Element("attribute")
    element.text = text
    return element


def _scalar_reader(shape: Shape) -> XmlReader:
    kind = shape.type_name
    fmt = shape.serialization.get("timestampFormat") or "iso8601"

    def read_scalar(element: Element) -> Any:
        if len(element):
            raise XmlShapeError(f"unexpected element inside {element.tag}")
        text = element.text or ""
        if kind == "string":
            return text
        try:
            return parse_text(kind, text.strip(), fmt)
        except (ValueError, TypeError, OverflowError):
            raise XmlShapeError(f"invalid {kind}: {text!r}") from None

    return read_scalar


def _scalar_writer(shape: Shape) -> XmlWriter:
    kind = shape.type_name
    fmt = shape.serialization.get("timestampFormat") or "iso8601"
    if kind == "string":

        def write_string(out: list[str], value: Any, tag: str) -> None:
            out.append(f"<{tag}>{escape_text(str(value))}</{tag}>")

        return write_string

    def write_scalar(out: list[str], value: Any, tag: str) -> None:
        out.append(f"<{tag}>{escape_text(format_text(kind, value, fmt))}</{tag}>")

    return write_scalar


def _scalar_member_writer(shape: Shape, tag: str) -> Callable[[list[str], Any], None] | None:
    """Fast writers for the scalar members that fill listings (Key, Size, LastModified ...)."""
    kind = shape.type_name
    start, end = f"<{tag}>", f"</{tag}>"
    if kind == "string":

        def write_string(out: list[str], value: Any) -> None:
            out.append(start + escape_text(value if type(value) is str else str(value)) + end)

        return write_string
    if kind in ("integer", "long"):

        def write_integer(out: list[str], value: Any) -> None:
            out.append(start + str(int(value)) + end)

        return write_integer
    if kind == "timestamp" and (shape.serialization.get("timestampFormat") or "iso8601") == "iso8601":

        def write_timestamp(out: list[str], value: Any) -> None:
            out.append(start + iso8601(value) + end)

        return write_timestamp
    return None


def _bound_writer(write: XmlWriter, tag: str) -> Callable[[list[str], Any], None]:
    return lambda out, value: write(out, value, tag)


def _flattened_writer(write: XmlWriter, tag: str) -> Callable[[list[str], Any], None]:
    def write_items(out: list[str], value: Any) -> None:
        for item in value:
            write(out, item, tag)

    return write_items


def _attributes(attribute_writers: dict[str, tuple[str, Shape]], value: dict[str, Any]) -> str:
    parts = []
    for name, (tag, member) in attribute_writers.items():
        item = value.get(name)
        if item is None:
            continue
        if ":" in tag:  # e.g. xsi:type needs its namespace declared on the element
            prefix = tag.split(":", 1)[0]
            namespace = member.serialization.get("xmlNamespace")
            uri = namespace.get("uri") if isinstance(namespace, dict) else None
            if uri:
                parts.append(f' xmlns:{prefix}="{escape_attribute(uri)}"')
        parts.append(f' {tag}="{escape_attribute(str(item))}"')
    return "".join(parts)
