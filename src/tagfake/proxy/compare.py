"""Two answers to one request — the upstream's and the shadow's — made comparable and compared.

Ids: the two worlds share the ids they started from (imported or from the same fixture); ids
either creates afterwards are paired the first time both answers show them at the same place,
and from then on translated (requests to the shadow: upstream → shadow; the shadow's answers:
back). Timestamps are never compared; list order only where the vendor defines it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from tagfake.contract.spec import OperationContract, VendorContract

_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2}| ?UTC)?", re.IGNORECASE
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_TIME_KEYS = frozenset({"response_time", "date", "timestamp"})
TIME = "<time>"
#: Lists whose order a vendor documents: (vendor, operationId).
ORDERED = frozenset({("healvi", "syncProfileTags")})


def is_id_key(key: str) -> bool:
    """Fields that hold ids: `id`, `tag_ids`, `tagId`, `lead_id`, `groupId`, `"Tag Group Id"`,
    and Nexor's `added`/`removed` (lists of tag ids)."""
    k = key.replace(" ", "").replace("_", "").lower()
    return k.endswith(("id", "ids")) or k in {"added", "removed"}


@dataclass
class IdMap:
    """Upstream id ↔ shadow id, as text (CommBox answers integer ids as strings)."""

    to_shadow: dict[str, str] = field(default_factory=dict)
    to_upstream: dict[str, str] = field(default_factory=dict)

    def pair(self, upstream: Any, shadow: Any) -> None:
        u, s = str(upstream), str(shadow)
        if u == s or u in self.to_shadow or s in self.to_upstream:
            return
        self.to_shadow[u] = s
        self.to_upstream[s] = u

    @staticmethod
    def _swap(value: Any, table: dict[str, str]) -> Any:
        if isinstance(value, bool) or not isinstance(value, str | int):
            return value
        found = table.get(str(value))
        if found is None:
            return value
        if isinstance(value, int):
            return int(found) if found.lstrip("-").isdigit() else found
        return found

    def shadow_id(self, value: Any) -> Any:
        return self._swap(value, self.to_shadow)

    def upstream_id(self, value: Any) -> Any:
        return self._swap(value, self.to_upstream)

    def translate(self, doc: Any, table: dict[str, str]) -> Any:
        """A copy with the ids at id fields swapped through `table`."""
        if not table:
            return doc
        return _map_ids(doc, lambda v: self._swap(v, table), False)

    def learn(self, upstream: Any, shadow: Any) -> None:
        """Pair new ids found at the same id field of both answers (lists: same length only)."""
        stack: list[tuple[Any, Any, bool]] = [(upstream, shadow, False)]
        while stack:
            u, s, at_id = stack.pop()
            if isinstance(u, dict) and isinstance(s, dict):
                for k in u.keys() & s.keys():
                    stack.append((u[k], s[k], is_id_key(k)))
            elif isinstance(u, list) and isinstance(s, list) and len(u) == len(s):
                stack.extend((a, b, at_id) for a, b in zip(u, s, strict=True))
            elif at_id and _scalar_id(u) and _scalar_id(s):
                self.pair(u, s)


def _scalar_id(v: Any) -> bool:
    return isinstance(v, str | int) and not isinstance(v, bool)


def _map_ids(doc: Any, swap: Any, at_id: bool) -> Any:
    if isinstance(doc, dict):
        return {k: _map_ids(v, swap, is_id_key(k)) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_map_ids(v, swap, at_id) for v in doc]
    if at_id or (isinstance(doc, str) and _UUID.fullmatch(doc)):  # a UUID is an id anywhere
        return swap(doc)
    return doc


def normalise(doc: Any, ordered: bool) -> Any:
    """Timestamps masked; lists sorted unless `ordered` (compared as sets, with repeats)."""
    if isinstance(doc, dict):
        return {
            k: TIME if _is_time_key(k) and v is not None else normalise(v, ordered)
            for k, v in doc.items()
        }
    if isinstance(doc, list):
        items = [normalise(v, ordered) for v in doc]
        return items if ordered else sorted(items, key=_canonical)
    if isinstance(doc, str) and _TIMESTAMP.fullmatch(doc):
        return TIME
    return doc


def _is_time_key(key: str) -> bool:
    return key.lower().endswith("_at") or key.lower() in _TIME_KEYS


def _canonical(v: Any) -> str:
    return json.dumps(v, sort_keys=True, ensure_ascii=False)


def differences(upstream: Any, shadow: Any, limit: int = 20) -> list[dict[str, Any]]:
    """Where two normalised bodies differ, as (JSON pointer, upstream value, shadow value)."""
    out: list[dict[str, Any]] = []
    stack: list[tuple[str, Any, Any]] = [("", upstream, shadow)]
    while stack and len(out) < limit:
        where, u, s = stack.pop()
        if isinstance(u, dict) and isinstance(s, dict):
            for k in sorted(u.keys() | s.keys(), reverse=True):
                if k not in s:
                    out.append({"where": f"{where}/{k}", "upstream": u[k], "shadow": "(absent)"})
                elif k not in u:
                    out.append({"where": f"{where}/{k}", "upstream": "(absent)", "shadow": s[k]})
                else:
                    stack.append((f"{where}/{k}", u[k], s[k]))
        elif isinstance(u, list) and isinstance(s, list) and len(u) == len(s):
            stack.extend(
                (f"{where}/{i}", a, b)
                for i, (a, b) in reversed(list(enumerate(zip(u, s, strict=True))))
            )
        elif u != s or type(u) is not type(s):
            out.append({"where": where or "/", "upstream": u, "shadow": s})
    return out


def _assumptions(doc: dict[str, Any], start: Any) -> list[str]:
    """Every `x-tagfake-assumption` reachable from `start`, following `$ref`s."""
    found: list[str] = []
    seen: set[int] = set()
    stack: list[Any] = [start]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                target: Any = doc
                for part in ref[2:].split("/"):
                    target = target.get(part, {}) if isinstance(target, dict) else {}
                stack.append(target)
            text = node.get("x-tagfake-assumption")
            if isinstance(text, str):
                found.append(" ".join(text.split()))
            stack.extend(v for k, v in reversed(node.items()) if k not in {"example", "examples"})
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return found


def rules_for(
    contract: VendorContract,
    op: OperationContract | None,
    keys: set[str],
    statuses: tuple[int, ...] = (),
) -> list[str]:
    """The documented rule (summary, description) and the `x-tagfake-assumption`s the operation
    involves: its own and its parameters', its request body's, those of the two answers'
    statuses, then its other answers'; within each, those naming a differing field first."""
    if op is None:
        return ["no operation of the spec matches this request"]
    doc = contract.document
    raw = op.raw
    responses = raw.get("responses") or {}
    wanted = [str(s) for s in statuses]
    groups = [
        {k: v for k, v in raw.items() if k not in {"responses", "requestBody"}},
        raw.get("requestBody"),
        *[responses.get(code) for code in wanted],
        {code: r for code, r in responses.items() if str(code) not in wanted},
    ]
    found: list[str] = []
    for group in groups:
        texts = [t for t in _assumptions(doc, group) if t not in found]
        texts.sort(key=lambda t: not any(k and k.lower() in t.lower() for k in keys))
        found += texts
    head = f"{op.operation_id} ({op.method.upper()} {op.path}): {raw.get('summary', '')}"
    described = " ".join(str(raw.get("description", "")).split())
    if described:
        head += f" — {described[:400]}"
    return [head, *(f"x-tagfake-assumption: {t}" for t in dict.fromkeys(found))]
