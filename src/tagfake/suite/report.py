"""Reports of a run: a console summary, JUnit XML (xml.etree) and one self-contained HTML file."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime

from tagfake.suite.model import CheckResult, SuiteRun, VendorRun


def counts(results: list[CheckResult]) -> Counter[str]:
    return Counter(r.outcome for r in results)


def summary(run: SuiteRun) -> str:
    lines = [f"tagfake contract run {run.run_id} against {run.target} ({run.seconds:.1f}s)"]
    for v in run.vendors:
        c = counts(v.results)
        lines.append(
            f"  {v.vendor:8} {c['passed']} passed, {c['failed']} failed, {c['error']} errors, "
            f"{c['skipped']} skipped, {c['incomplete']} incomplete; {v.requests} requests"
        )
        for r in v.results:
            if r.outcome in ("failed", "error"):
                lines.append(f"    ✗ {r.check}: {r.message}")
                if r.example:
                    lines.append(f"      example: {r.example}")
                lines += [f"      {c}" for c in r.curl[-6:]]
        differ = [o for o in v.observations if o.as_assumed is False]
        probed = [o for o in v.observations if o.observed is not None]
        lines.append(
            f"    observations: {len(probed)} of {len(v.observations)} assumptions probed, "
            f"{len(differ)} differ"
        )
        lines += [f"      ≠ {o.observed}" for o in differ]
        lines += [f"    note: {n}" for n in v.notes]
    total = counts(run.results)
    lines.append(
        "RESULT: "
        + ("PASSED" if run.ok else "FAILED")
        + f" ({total['passed']} passed, {total['failed']} failed, {total['error']} errors, "
        f"{total['skipped']} skipped)"
    )
    return "\n".join(lines)


# -- JUnit XML --------------------------------------------------------------------------------
def junit_xml(run: SuiteRun) -> bytes:
    root = ET.Element("testsuites", name=f"tagfake contract {run.run_id}")
    _totals(root, run.results, run.seconds)
    for v in run.vendors:
        suite = ET.SubElement(root, "testsuite", name=f"contract.{v.vendor}")
        _totals(suite, v.results, sum(r.seconds for r in v.results))
        suite.set("timestamp", datetime.now(UTC).isoformat(timespec="seconds"))
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="base_url", value=v.base_url)
        ET.SubElement(props, "property", name="requests", value=str(v.requests))
        for o in v.observations:
            ET.SubElement(
                props,
                "property",
                name=f"observation {o.pointer}",
                value=f"{o.verdict}: {o.observed or '-'}",
            )
        for r in v.results:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"contract.{v.vendor}",
                name=r.check,
                time=f"{r.seconds:.3f}",
            )
            text = _detail_text(r)
            if r.outcome == "failed":
                ET.SubElement(case, "failure", message=r.message, type="Deviation").text = text
            elif r.outcome == "error":
                ET.SubElement(case, "error", message=r.message, type="Error").text = text
            elif r.outcome in ("skipped", "incomplete"):
                ET.SubElement(case, "skipped", message=f"{r.outcome}: {r.message}")
            out = ET.SubElement(case, "system-out")
            out.text = f"{r.title}\n{r.examples_run} examples, {r.requests} requests"
        notes = ET.SubElement(suite, "system-out")
        notes.text = "\n".join(v.notes)
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def _totals(node: ET.Element, results: list[CheckResult], seconds: float) -> None:
    c = counts(results)
    node.set("tests", str(len(results)))
    node.set("failures", str(c["failed"]))
    node.set("errors", str(c["error"]))
    node.set("skipped", str(c["skipped"] + c["incomplete"]))
    node.set("time", f"{seconds:.3f}")


def _detail_text(r: CheckResult) -> str:
    parts = [r.message]
    if r.example:
        parts.append(f"shrunk example: {r.example}")
    if r.curl:
        parts.append("reproduce:\n" + "\n".join(r.curl))
    if r.details:
        parts.append("\n".join(r.details))
    return "\n\n".join(parts)


# -- HTML -------------------------------------------------------------------------------------
_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
h1{font-size:1.4em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{text-align:left;padding:.3em .5em;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f6f6f6}.passed{color:#176f2c}.failed,.error{color:#b00020;font-weight:600}
.skipped,.incomplete{color:#8a6d00}pre{background:#f6f8fa;padding:.6em;overflow-x:auto;
white-space:pre-wrap;word-break:break-all;font-size:12px}.muted{color:#777}
.badge{display:inline-block;padding:0 .5em;border-radius:3px;background:#eee}
details{margin:.3em 0}
"""


def html_report(run: SuiteRun) -> str:
    total = counts(run.results)
    e = html.escape
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>tagfake contract {e(run.run_id)}</title><style>{_CSS}</style></head><body>",
        f"<h1>tagfake contract run <code>{e(run.run_id)}</code></h1>",
        f"<p>Target: <code>{e(run.target)}</code> · {run.seconds:.1f}s · ",
        f"<span class='{'passed' if run.ok else 'failed'}'>{'PASSED' if run.ok else 'FAILED'}"
        "</span> · "
        + ", ".join(
            f"{total[k]} {label}"
            for k, label in (
                ("passed", "passed"),
                ("failed", "failed"),
                ("error", "errors"),
                ("skipped", "skipped"),
            )
        )
        + "</p>",
    ]
    for v in run.vendors:
        out.append(_vendor_html(v))
    out.append("</body></html>")
    return "\n".join(out)


def _vendor_html(v: VendorRun) -> str:
    e = html.escape
    c = counts(v.results)
    out = [
        f"<h2 id='{e(v.vendor)}'>{e(v.vendor)}</h2>",
        f"<p class='muted'>{e(v.base_url)} · {v.requests} requests · {c['passed']} passed, "
        f"{c['failed']} failed, {c['error']} errors, {c['skipped']} skipped</p>",
        "<table><tr><th>check</th><th>property</th><th>result</th><th>examples</th>"
        "<th>requests</th><th>seconds</th></tr>",
    ]
    for r in v.results:
        body = f"{e(r.title)}"
        if r.message:
            body += f"<br><span class='{r.outcome}'>{e(r.message)}</span>"
        if r.outcome in ("failed", "error") and (r.example or r.curl or r.details):
            inner = ""
            if r.example:
                inner += f"<p>Shrunk example: <code>{e(r.example)}</code></p>"
            if r.curl:
                inner += "<p>Reproduce:</p><pre>" + e("\n".join(r.curl)) + "</pre>"
            if r.details:
                inner += "<pre>" + e("\n".join(r.details)) + "</pre>"
            body += f"<details open><summary>failing example</summary>{inner}</details>"
        out.append(
            f"<tr><td><code>{e(r.check)}</code></td><td>{body}</td>"
            f"<td class='{r.outcome}'>{r.outcome}</td><td>{r.examples_run}</td>"
            f"<td>{r.requests}</td><td>{r.seconds:.2f}</td></tr>"
        )
    out.append("</table>")
    if v.observations:
        out.append(
            "<h3>Observations (x-tagfake-assumption)</h3><table><tr><th>where</th>"
            "<th>assumption</th><th>what the target did</th><th>verdict</th></tr>"
        )
        for o in v.observations:
            out.append(
                f"<tr><td><code>{e(o.pointer)}</code></td><td>{e(o.assumption)}</td>"
                f"<td>{e(o.observed or '')}</td><td><span class='badge'>{e(o.verdict)}</span>"
                "</td></tr>"
            )
        out.append("</table>")
    if v.notes:
        out.append("<h3>Notes</h3><ul>" + "".join(f"<li>{e(n)}</li>" for n in v.notes) + "</ul>")
    return "\n".join(out)
