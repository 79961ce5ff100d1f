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
                    lines.append("      failing requests:")
                    lines += [f"        {x}" for x in r.example.splitlines()[-8:]]
                if r.curl:
                    lines.append("      reproduce:")
                    lines += [f"        {c}" for c in r.curl[-8:]]
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
            out.text = (
                f"{r.title}\njudged on: {r.judges}\n"
                f"{r.examples_run} examples, {r.requests} requests"
            )
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
        parts.append(f"failing requests (shrunk):\n{r.example}")
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
.differs{background:#fde2e4}details{margin:.3em 0}nav ul{margin:.2em 0}
code{background:#f3f3f3;padding:0 .2em;border-radius:2px}
"""

_LABELS = (
    ("passed", "passed"),
    ("failed", "failed"),
    ("error", "errors"),
    ("skipped", "skipped"),
    ("incomplete", "incomplete"),
)


def inline(text: str) -> str:
    """Escaped, with `code` spans (the titles' and messages' Markdown) as <code>."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: nothing to render
        return html.escape(text)
    return "".join(
        f"<code>{html.escape(p)}</code>" if i % 2 else html.escape(p) for i, p in enumerate(parts)
    )


def _anchor(r: CheckResult) -> str:
    return "check-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in r.id)


def _counts_text(c: Counter[str]) -> str:
    return ", ".join(f"{c[k]} {label}" for k, label in _LABELS if c[k] or k in ("passed", "failed"))


def html_report(run: SuiteRun) -> str:
    total = counts(run.results)
    e = html.escape
    verdict = "PASSED" if run.ok else "FAILED"
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>tagfake contract {e(run.run_id)}</title><style>{_CSS}</style></head><body>",
        f"<h1>tagfake contract run <code>{e(run.run_id)}</code></h1>",
        "<section id='summary'><h2>Summary</h2>",
        f"<p>Target: <code>{e(run.target)}</code> · {run.seconds:.1f}s · "
        f"<span class='{'passed' if run.ok else 'failed'}'>{verdict}</span> · "
        f"{_counts_text(total)} · {sum(v.requests for v in run.vendors)} requests</p>",
        "<table><tr><th>vendor</th><th>passed</th><th>failed</th><th>errors</th>"
        "<th>skipped</th><th>incomplete</th><th>observations differing</th><th>requests</th>"
        "</tr>",
    ]
    for v in run.vendors:
        c = counts(v.results)
        differ = sum(o.as_assumed is False for o in v.observations)
        probed = sum(o.observed is not None for o in v.observations)
        out.append(
            f"<tr><td><a href='#{e(v.vendor)}'>{e(v.vendor)}</a></td>"
            + "".join(f"<td class='{k if c[k] else ''}'>{c[k]}</td>" for k, _ in _LABELS)
            + f"<td>{differ} of {probed} probed</td><td>{v.requests}</td></tr>"
        )
    out.append("</table>")
    if run.failed:
        out.append("<p>Failures:</p><ul>")
        for r in run.failed:
            out.append(
                f"<li><a href='#{_anchor(r)}'><code>{e(r.id)}</code></a> — {inline(r.message)}</li>"
            )
        out.append("</ul>")
    out.append("</section>")
    out.append("<nav id='contents'><h2>Contents</h2><ul>")
    for v in run.vendors:
        out.append(f"<li><a href='#{e(v.vendor)}'>{e(v.vendor)}</a><ul>")
        out.append(f"<li><a href='#{e(v.vendor)}-checks'>checks</a></li>")
        if v.observations:
            out.append(f"<li><a href='#{e(v.vendor)}-observations'>observations</a></li>")
        if v.notes:
            out.append(f"<li><a href='#{e(v.vendor)}-notes'>notes</a></li>")
        out.append("</ul></li>")
    out.append("</ul></nav>")
    for v in run.vendors:
        out.append(_vendor_html(v))
    out.append("</body></html>")
    return "\n".join(out)


def _failure_html(r: CheckResult) -> str:
    e = html.escape
    inner = ""
    if r.example:
        inner += "<p>Failing example (the requests, shrunk):</p><pre>" + e(r.example) + "</pre>"
    if r.curl:
        inner += (
            "<p>Reproduce (bash; ids the run created are read from the answers with "
            "<code>jq</code>):</p><pre class='curl'>" + e("\n".join(r.curl)) + "</pre>"
        )
    if r.details:
        inner += "<pre>" + e("\n".join(r.details)) + "</pre>"
    return f"<details open><summary>failing example</summary>{inner}</details>"


def _vendor_html(v: VendorRun) -> str:
    e = html.escape
    c = counts(v.results)
    out = [
        f"<h2 id='{e(v.vendor)}'>{e(v.vendor)}</h2>",
        f"<p class='muted'>{e(v.base_url)} · {v.requests} requests · {_counts_text(c)}</p>",
        f"<table id='{e(v.vendor)}-checks'><tr><th>check</th><th>property</th><th>result</th>"
        "<th>judged on</th><th>examples</th><th>requests</th><th>seconds</th></tr>",
    ]
    for r in v.results:
        body = inline(r.title)
        if r.message:
            body += f"<br><span class='{r.outcome}'>{inline(r.message)}</span>"
        if r.outcome in ("failed", "error") and (r.example or r.curl or r.details):
            body += _failure_html(r)
        out.append(
            f"<tr id='{_anchor(r)}' class='check'><td><code>{e(r.check)}</code></td>"
            f"<td>{body}</td><td class='{r.outcome} outcome'>{r.outcome}</td>"
            f"<td>{e(r.judges)}</td><td>{r.examples_run}</td>"
            f"<td>{r.requests}</td><td>{r.seconds:.2f}</td></tr>"
        )
    out.append("</table>")
    if v.observations:
        out.append(
            f"<h3 id='{e(v.vendor)}-observations'>Observations (x-tagfake-assumption)</h3>"
            "<table><tr><th>where</th><th>assumption</th><th>what the target did</th>"
            "<th>verdict</th></tr>"
        )
        for o in v.observations:
            cls = " class='differs'" if o.as_assumed is False else ""
            did = inline(o.observed or "")
            if o.as_assumed is False and o.curl:
                did += (
                    "<details><summary>reproduce</summary><pre class='curl'>"
                    + e("\n".join(o.curl))
                    + "</pre></details>"
                )
            out.append(
                f"<tr{cls}><td><code>{e(o.pointer)}</code></td><td>{inline(o.assumption)}</td>"
                f"<td>{did}</td><td><span class='badge'>{e(o.verdict)}</span></td></tr>"
            )
        out.append("</table>")
    if v.notes:
        out.append(
            f"<h3 id='{e(v.vendor)}-notes'>Notes</h3><ul>"
            + "".join(f"<li>{inline(n)}</li>" for n in v.notes)
            + "</ul>"
        )
    return "\n".join(out)
