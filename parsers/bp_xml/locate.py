"""Give XSD errors a line, an element path and a plain-language message.

libxml2 reports schema errors found while streaming without a line number. For a rejected file only,
a second plain pass (no schema) walks the document and pins each error, in document order, on the
first element that fits it: same name, and the same offending value or the missing child.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from lxml import etree

from parsers.bp_xml.problems import Problem, RejectedFile, Rule
from parsers.bp_xml.schema import element_columns, type_descriptions
from parsers.bp_xml.source import DEFAULT_LIMITS, Limits, open_xml

_ELEMENT = re.compile(r"^Element '(?:\{[^}]*\})?([^']+)'")
_VALUE = re.compile(r"The value '((?:[^']|'(?! ))*)'|: '((?:[^']|'(?! ))*)' is not a valid value")
_MISSING = re.compile(r"Missing child element\(s\)\. Expected is (?:one of )?\( ([^)]*) \)")
_UNEXPECTED = re.compile(r"This element is not expected\.(?: Expected is (?:one of )?\( ([^)]*) \))?")
_NS = re.compile(r"\{[^}]*\}")


@dataclass(frozen=True)
class _Pattern:
    element: str
    value: str | None
    missing: str | None


def _pattern(message: str) -> _Pattern | None:
    m = _ELEMENT.match(message)
    if not m:
        return None
    value = _VALUE.search(message)
    missing = _MISSING.search(message)
    return _Pattern(
        element=m.group(1),
        value=(value.group(1) if value.group(1) is not None else value.group(2)) if value else None,
        missing=_NS.sub("", missing.group(1)).split(",")[0].strip() if missing else None,
    )


def plain_message(message: str) -> str:
    """Say what libxml2 said in words a billing clerk can act on; keep the original at the end."""
    pat = _pattern(message)
    if pat is None:
        return message
    col = element_columns().get(pat.element)
    label = f"{col.column} ({pat.element})" if col else pat.element
    if pat.value is not None and col is not None:
        expected = type_descriptions().get(col.xsd_type, col.xsd_type)
        return f"{label} value {pat.value!r} is not valid: expected {expected}"
    if pat.missing:
        need = element_columns().get(pat.missing)
        need_label = f"{pat.missing} ({need.column})" if need else pat.missing
        return f"{pat.element} lacks the required element {need_label}"
    unexpected = _UNEXPECTED.search(message)
    if unexpected:
        allowed = _NS.sub("", unexpected.group(1) or "").strip()
        tail = f"; allowed here: {allowed}" if allowed else ""
        return f"element {label} is not allowed here (unknown to the XSD, or in the wrong place){tail}"
    return _NS.sub("", message)


def _fits(el: etree._Element, pat: _Pattern) -> bool:
    if etree.QName(el).localname != pat.element:
        return False
    if pat.value is not None:
        return (el.text or "").strip() == pat.value.strip() or (el.text or "") == pat.value
    if pat.missing:
        return all(etree.QName(c).localname != pat.missing for c in el)
    return True


def locate_schema_errors(
    path: Path, problems: list[Problem], limits: Limits = DEFAULT_LIMITS, force_encoding: str | None = None
) -> None:
    """Fill in line, path and a plain message for the BP004 problems in ``problems`` (in place)."""
    todo = [i for i, p in enumerate(problems) if p.rule == Rule.NOT_VALID]
    found = {i: _pattern(problems[i].message) for i in todo}
    for i in todo:
        problems[i] = replace(problems[i], message=plain_message(problems[i].message))
    pats = {i: pat for i, pat in found.items() if pat is not None}
    pending = list(pats)
    if not pending:
        return
    stack: list[str] = []
    counters: list[dict[str, int]] = [{}]
    try:
        with open_xml(path, limits, force_encoding) as xml:
            parser = etree.XMLPullParser(events=("start", "end"), no_network=True, load_dtd=False)
            for chunk in xml.chunks:
                parser.feed(chunk)
                for event, el in parser.read_events():
                    local = etree.QName(el).localname
                    if event == "start":
                        n = counters[-1].get(local, 0) + 1
                        counters[-1][local] = n
                        stack.append(f"{local}[{n}]" if n > 1 else local)
                        counters.append({})
                        continue
                    here = "/".join(stack)
                    while pending and _fits(el, pats[pending[0]]):
                        i = pending.pop(0)
                        problems[i] = replace(problems[i], line=el.sourceline, path=here)
                    stack.pop()
                    counters.pop()
                    parent = el.getparent()
                    if local.startswith("JPMR") and parent is not None:
                        parent.remove(el)  # finished record: free it, memory stays bounded
                if not pending:
                    return
    except (RejectedFile, etree.XMLSyntaxError):
        return
