"""The XSDs in ``schemas/xsd/``: compiled for lxml (hot path) and read for their column mapping.

* :func:`compiled_schema` returns the libxml2 schema of a message kind. Files without a namespace use
  the schema as it is. A file that declares a namespace (default or on a prefixed root) is validated
  against a wrapper schema with that ``targetNamespace`` which includes the kind's schema ("chameleon"
  include), so the same definitions apply whatever the namespace (bp-xml.md R2).
* :func:`element_columns` reads ``xs:appinfo/t:column`` of every data element: the XSD is the single
  source of truth for element → canonical column (R13).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import quoteattr

from lxml import etree

from core.kinds import MessageKind

XS = "http://www.w3.org/2001/XMLSchema"
MAPPING_NS = "urn:takuso:xsd-mapping"
_NS = {"xs": XS, "t": MAPPING_NS}


def xsd_dir() -> Path:
    """The folder of the XSD files (package data of ``schemas``)."""
    import schemas

    return Path(schemas.__file__).parent / "xsd"


def _secure_xsd_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


_COMPILING = threading.Lock()
"""libxml2 fills its table of the built-in XSD types when a process compiles its first schema, without a
lock: two threads compiling at that moment can leave the table broken for the whole process (every later
compile fails with "xmlSchemaPValAttrNodeValue, the given type is not a built-in type", and every file
would be rejected). Schemas are therefore compiled one at a time; validating with them stays parallel."""


def compiled_schema(kind: MessageKind, namespace: str | None = None) -> etree.XMLSchema:
    """The libxml2 schema for ``kind``, for documents in ``namespace`` (None: no namespace).

    Compiled anew for each file (about 2 ms): a schema object collects the errors of every document
    validated with it, so sharing one would mix the reports of different files.
    """
    path = xsd_dir() / kind.xsd_name
    with _COMPILING:
        if not namespace:
            return etree.XMLSchema(etree.parse(str(path), _secure_xsd_parser()))
        ns = quoteattr(namespace)
        wrapper = (
            f'<xs:schema xmlns:xs="{XS}" targetNamespace={ns} xmlns={ns} elementFormDefault="qualified">'
            f"<xs:include schemaLocation={quoteattr(path.as_uri())}/></xs:schema>"
        )
        return etree.XMLSchema(etree.fromstring(wrapper, _secure_xsd_parser(), base_url=str(path)))


@dataclass(frozen=True)
class Column:
    """Where a data element lands: canonical column and XSD simple type."""

    element: str
    column: str
    xsd_type: str
    placeholder: bool = False  # element code invented by takuso for an assumed layout


@cache
def element_columns() -> dict[str, Column]:
    """Element code → :class:`Column`, from every XSD file's global element declarations."""
    mapping: dict[str, Column] = {}
    for path in sorted(xsd_dir().glob("*.xsd")):
        root = etree.parse(str(path), _secure_xsd_parser()).getroot()
        for decl in root.iterfind("xs:element[@name]", _NS):
            column = decl.findtext("xs:annotation/xs:appinfo/t:column", namespaces=_NS)
            if column is None:
                continue
            name = decl.get("name")
            placeholder = decl.find("xs:annotation/xs:appinfo/t:placeholder", _NS) is not None
            mapping[name] = Column(name, column.strip(), decl.get("type", ""), placeholder)
    return mapping


def elements_for(column: str, kind: MessageKind | None = None) -> list[str]:
    """Element codes that map to ``column`` (``kwh`` ← JP06123, JP06125, JP06424), and, given a kind,
    only those its XSD refers to (``kwh`` of ``low_energy_daily`` ← JP06125)."""
    names = sorted(e for e, c in element_columns().items() if c.column == column)
    used = referenced_elements(kind) if kind else None
    return [e for e in names if e in used] if used else names


def _schema_roots(kind: MessageKind) -> tuple[etree._Element, ...]:
    """The root of a kind's XSD and of every file it includes (each once), freshly parsed: the callers
    cache what they read from them."""
    roots: list[etree._Element] = []
    todo, seen = [kind.xsd_name], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        root = etree.parse(str(xsd_dir() / name), _secure_xsd_parser()).getroot()
        roots.append(root)
        todo.extend(inc.get("schemaLocation") for inc in root.iterfind("xs:include", _NS))
    return tuple(roots)


@cache
def record_children(kind: MessageKind, record: str) -> frozenset[str]:
    """Elements a record of ``kind`` (``JPMR00011``: a point of a per-day file) may hold as its own children
    by ``ref``, over every declaration of that name in the kind's XSD and the files it includes."""
    return frozenset(
        ref
        for root in _schema_roots(kind)
        for decl in root.iter(f"{{{XS}}}element")
        if decl.get("name") == record
        for ref in decl.xpath("xs:complexType/*/xs:element/@ref", namespaces=_NS)
    )


@cache
def referenced_elements(kind: MessageKind) -> frozenset[str]:
    """Elements a kind's XSD (with the files it includes) refers to by ``ref``."""
    return frozenset(
        el.get("ref") for root in _schema_roots(kind) for el in root.iter(f"{{{XS}}}element") if el.get("ref")
    )


@cache
def type_descriptions() -> dict[str, str]:
    """Simple type name → its first documentation sentence, for plain-language messages."""
    root = etree.parse(str(xsd_dir() / "common.xsd"), _secure_xsd_parser()).getroot()
    out: dict[str, str] = {}
    for st in root.iterfind("xs:simpleType[@name]", _NS):
        doc = st.findtext("xs:annotation/xs:documentation", namespaces=_NS)
        if doc:
            out[st.get("name")] = " ".join(doc.split()).split(". ")[0].rstrip(".")
    return out
