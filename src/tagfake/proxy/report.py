"""The proxy report: what broke the spec, and where the upstream and the shadow answered
differently (with the documented rule or assumption involved and both answers). Written at the
end as report.json and report.html; the console gets a summary. Bounded: the first `keep`
findings of each kind are kept, the rest only counted."""

from __future__ import annotations

import html
import json
import threading
from pathlib import Path
from typing import Any

from tagfake import __version__


class ProxyReport:
    def __init__(self, vendor: str, upstream: str, shadow: bool, keep: int = 500) -> None:
        self.vendor = vendor
        self.upstream = upstream
        self.shadow = shadow
        self.keep = keep
        self.counts = {
            "requests": 0,
            "forwarded": 0,
            "upstream_errors": 0,
            "refused": 0,
            "with_violations": 0,
            "compared": 0,
            "different": 0,
        }
        self.violations: list[dict[str, Any]] = []
        self.differences: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, entry: dict[str, Any], proxy: dict[str, Any] | None) -> None:
        """One exchange: `entry` as the journal has it (method, path, status, violations)."""
        with self._lock:
            c = self.counts
            c["requests"] += 1
            if proxy is None:
                return
            c["forwarded"] += bool(proxy.get("forwarded"))
            c["upstream_errors"] += "error" in proxy
            c["refused"] += "refused" in proxy
            if entry["violations"]:
                c["with_violations"] += 1
                if len(self.violations) < self.keep:
                    self.violations.append(
                        {**entry, "upstream_status": proxy.get("upstream_status")}
                    )
            comparison = proxy.get("comparison")
            if comparison is not None:
                c["compared"] += 1
                if comparison.get("differences"):
                    c["different"] += 1
                    if len(self.differences) < self.keep:
                        self.differences.append({**entry, **comparison})

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "tagfake": __version__,
                "vendor": self.vendor,
                "upstream": self.upstream,
                "shadow": self.shadow,
                "counts": dict(self.counts),
                "violations": list(self.violations),
                "differences": list(self.differences),
            }

    def summary(self) -> str:
        d = self.to_dict()
        c = d["counts"]
        lines = [
            f"tagfake proxy report ({d['vendor']} via {d['upstream']}): {c['requests']} requests, "
            f"{c['forwarded']} forwarded, {c['refused']} refused, "
            f"{c['upstream_errors']} upstream errors, "
            f"{c['with_violations']} with violations"
            + (f", {c['compared']} compared, {c['different']} different" if d["shadow"] else "")
        ]
        for v in d["violations"][:20]:
            lines.append(f"  violation  {v['method']} {v['path']} -> {v['status']}")
            lines.extend(f"      {text}" for text in v["violations"])
        for diff in d["differences"][:20]:
            lines.append(
                f"  different  {diff['operation_id']} {diff['method']} {diff['path']}: upstream "
                f"{diff['upstream']['status']}, shadow {diff['shadow']['status']}"
            )
            lines.extend(
                f"      {x['where']}: {x['upstream']!r} vs {x['shadow']!r}"
                for x in diff["differences"][:5]
            )
            for rule in diff["rules"][:3]:
                lines.append(f"      rule: {rule}")
        return "\n".join(lines)

    def write(self, folder: Path) -> tuple[Path, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        doc = self.to_dict()
        as_json = folder / "report.json"
        as_json.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
        page = folder / "report.html"
        page.write_text(render_html(doc), encoding="utf-8")
        return as_json, page


def _pre(value: Any) -> str:
    return f"<pre>{html.escape(json.dumps(value, indent=2, ensure_ascii=False))}</pre>"


def render_html(doc: dict[str, Any]) -> str:
    e = html.escape
    c = doc["counts"]
    rows = []
    for v in doc["violations"]:
        items = "".join(f"<li>{e(t)}</li>" for t in v["violations"])
        rows.append(
            f"<tr><td>{e(str(v['operation_id']))}</td><td>{e(v['method'])} {e(v['path'])}</td>"
            f"<td>{v['status']}</td><td><ul>{items}</ul></td></tr>"
        )
    diffs = []
    for d in doc["differences"]:
        where = "".join(
            f"<li><code>{e(x['where'])}</code>: upstream {e(repr(x['upstream']))}, "
            f"shadow {e(repr(x['shadow']))}</li>"
            for x in d["differences"]
        )
        rules = "".join(f"<li>{e(r)}</li>" for r in d["rules"])
        diffs.append(
            f"<section><h3>{e(str(d['operation_id']))} — {e(d['method'])} {e(d['path'])}</h3>"
            f"<ul>{where}</ul><p>Rules involved:</p><ul>{rules}</ul>"
            f"<table><tr><th>upstream ({d['upstream']['status']})</th>"
            f"<th>shadow ({d['shadow']['status']})</th></tr>"
            f"<tr><td>{_pre(d['upstream']['body'])}</td><td>{_pre(d['shadow']['body'])}</td></tr>"
            "</table></section>"
        )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>tagfake proxy report</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{border:1px solid #ccc;"
        "padding:4px;vertical-align:top}table{border-collapse:collapse}pre{margin:0}</style>"
        f"</head><body><h1>tagfake proxy report: {e(doc['vendor'])}</h1>"
        f"<p>upstream {e(doc['upstream'])}; {c['requests']} requests, {c['forwarded']} "
        f"forwarded, {c['upstream_errors']} upstream errors, {c['with_violations']} with "
        f"violations; shadow: {'on' if doc['shadow'] else 'off'}, {c['compared']} compared, "
        f"{c['different']} different</p>"
        "<h2>Violations of the spec</h2><table><tr><th>operation</th><th>request</th>"
        f"<th>status</th><th>violations</th></tr>{''.join(rows)}</table>"
        f"<h2>Differences between upstream and shadow</h2>{''.join(diffs) or '<p>none</p>'}"
        "</body></html>"
    )
