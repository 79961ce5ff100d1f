"""The Markdown report: every figure beside its ratio to tagfake."""

from __future__ import annotations

import json
import statistics
from typing import Any

from bench import RESULTS_DIR
from bench.targets import BASELINE, TIMES


def ratio(value: float | None, base: float | None) -> str:
    if value is None or base is None or base == 0:
        return "—"
    return f"{value / base:.2f}{TIMES}"


def _cell(value: float | None, base: float | None, fmt: str) -> str:
    if value is None:
        return "—"
    return f"{format(value, fmt)} ({ratio(value, base)})"


def summary_table(report: dict[str, Any]) -> str:
    measured: dict[str, Any] = report["targets"]
    base = measured.get(BASELINE)

    def rps(entry: dict[str, Any] | None, key: str) -> float | None:
        if entry is None or key not in entry["scenarios"]:
            return None
        value: float = entry["scenarios"][key]["rps"]
        return value

    def fig(entry: dict[str, Any] | None, key: str) -> float | None:
        if entry is None:
            return None
        value: float = entry[key]
        return value

    rows = [
        "| target | GET zapini /tags req/s | PUT nexor /leads/tags req/s "
        "| POST zapini /tags (create) req/s "
        "| startup to first 200 (s) | peak RSS (MiB) | socket errors / non-2xx |",
        "|---|---|---|---|---|---|---|",
    ]
    for entry in measured.values():
        rows.append(
            f"| {entry['label']} "
            f"| {_cell(rps(entry, 'get'), rps(base, 'get'), ',.0f')} "
            f"| {_cell(rps(entry, 'put'), rps(base, 'put'), ',.0f')} "
            f"| {_cell(rps(entry, 'create'), rps(base, 'create'), ',.0f')} "
            f"| {_cell(fig(entry, 'startup_s'), fig(base, 'startup_s'), '.2f')} "
            f"| {_cell(fig(entry, 'peak_rss_mib'), fig(base, 'peak_rss_mib'), ',.0f')} "
            f"| {entry['errors']} / {entry['non_2xx']} |"
        )
    return "\n".join(rows)


def detail_table(report: dict[str, Any]) -> str:
    rows = [
        "| target | scenario | req/s median (min-max) | p50 ms | p99 ms | server CPU s "
        "| req per server CPU-s | idle RSS MiB | peak RSS MiB | check status "
        "| others' CPU share (max) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for entry in report["targets"].values():
        for r in entry["scenarios"].values():
            per_cpu = f"{r['rps_per_cpu_s']:,.0f}" if r["rps_per_cpu_s"] else "—"
            rows.append(
                f"| {entry['label']} | {r['method']} {r['path']} "
                f"| {r['rps']:,.0f} ({r['rps_min']:,.0f}-{r['rps_max']:,.0f}) "
                f"| {r['p50_ms']:.1f} | {r['p99_ms']:.1f} "
                f"| {r['server_cpu_s']:.1f} | {per_cpu} "
                f"| {r['idle_rss_mib']:,.0f} | {r['peak_rss_mib']:,.0f} "
                f"| {', '.join(map(str, r['check_status']))} "
                f"| {r['other_cpu_share_max']:.0%} |"
            )
    return "\n".join(rows)


def efficiency_table(report: dict[str, Any]) -> str:
    """Requests per CPU-second of the server: less sensitive than req/s to how many cores a
    server can use, and to what else runs on the machine."""
    measured: dict[str, Any] = report["targets"]
    base = measured.get(BASELINE)

    def fig(entry: dict[str, Any] | None, key: str) -> float | None:
        if entry is None or key not in entry["scenarios"]:
            return None
        value: float | None = entry["scenarios"][key]["rps_per_cpu_s"]
        return value

    def cores(entry: dict[str, Any]) -> str:
        runs = [r for s in entry["scenarios"].values() for r in s["samples"]]
        return f"{statistics.median(r['server_cpu_s'] / r['duration_s'] for r in runs):.2f}"

    rows = [
        "| target | GET req per server CPU-s | PUT req per server CPU-s "
        "| create req per server CPU-s | cores the server kept busy (median) |",
        "|---|---|---|---|---|",
    ]
    for entry in measured.values():
        rows.append(
            f"| {entry['label']} "
            f"| {_cell(fig(entry, 'get'), fig(base, 'get'), ',.0f')} "
            f"| {_cell(fig(entry, 'put'), fig(base, 'put'), ',.0f')} "
            f"| {_cell(fig(entry, 'create'), fig(base, 'create'), ',.0f')} "
            f"| {cores(entry)} |"
        )
    return "\n".join(rows)


# Each tagfake target beside the bare-ASGI app on the same HTTP server.
LIMITS = {
    "tagfake": "bare-uvicorn",
    "tagfake-off": "bare-uvicorn",
    "tagfake-granian": "bare-granian",
}


def limit_table(report: dict[str, Any]) -> str:
    """tagfake's share of the most its HTTP server can answer, and its ratio to each peer."""
    measured: dict[str, Any] = report["targets"]
    peers = [n for n in ("wiremock", "mockserver") if n in measured]
    head = "| target | scenario | req/s | bare ASGI, same server | share of the limit |"
    head += "".join(f" {measured[n]['label']} |" for n in peers) + " p99 ms |"
    rows = [head, "|---" * (6 + len(peers)) + "|"]
    for name, limit in LIMITS.items():
        if name not in measured:
            continue
        for key, r in measured[name]["scenarios"].items():
            bare = measured.get(limit, {}).get("scenarios", {}).get(key)
            bare_rps = bare["rps"] if bare else None
            cells = [f"{r['rps']:,.0f}", f"{bare_rps:,.0f}" if bare_rps else "—"]
            cells.append(f"{r['rps'] / bare_rps:.0%}" if bare_rps else "—")
            for n in peers:
                peer = measured[n]["scenarios"].get(key)
                cells.append(ratio(r["rps"], peer["rps"]) if peer else "—")
            cells.append(f"{r['p99_ms']:.1f}")
            label = measured[name]["label"]
            rows.append(f"| {label} | {r['method']} {r['path']} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def fill_table(report: dict[str, Any]) -> str:
    """The same request's req/s on a fresh store and after creating scenario.fill entities."""
    rows = [
        "| target | scenario | req/s, first window | entities created | req/s after "
        "| after / first | p99 ms after |",
        "|---|---|---|---|---|---|---|",
    ]
    for entry in report["targets"].values():
        for r in entry["scenarios"].values():
            for s in r["samples"]:
                f = s.get("filled")
                if not f:
                    continue
                share = f"{f['ratio_to_first']:.2f}{TIMES}" if f["ratio_to_first"] else "—"
                rows.append(
                    f"| {entry['label']} | {r['method']} {r['path']} | {s['rps']:,.0f} "
                    f"| {f['created_before']:,} | {f['rps']:,.0f} | {share} | {f['p99_ms']:.1f} |"
                )
    return "\n".join(rows) if len(rows) > 2 else ""


def startup_table(report: dict[str, Any]) -> str:
    rows = ["| target | median (s) | samples (s) |", "|---|---|---|"]
    for entry in report["targets"].values():
        samples = ", ".join(f"{x:.2f}" for x in entry["startup_samples_s"])
        rows.append(f"| {entry['label']} | {entry['startup_s']:.2f} | {samples} |")
    return "\n".join(rows)


def markdown(report: dict[str, Any]) -> str:
    a = report["settings"]
    threads = f"{a['threads']} wrk threads" if a["load_generator"] == "wrk" else "one process"
    retried = (
        f"A measurement during which other processes took over {a['idle_share']:.0%} of the "
        f"CPU was repeated (up to {a['noisy_retries']} times) and the quietest attempt kept. "
        if a["noisy_retries"]
        else ""
    )
    pinned = a.get("pinned")
    where = (
        f"Each server pinned to core(s) {pinned['server_cpus']}, wrk and the bench to "
        f"{pinned['load_cpus']}: req/s is per core. "
        if pinned
        else ""
    )
    lines = [
        f"# tagfake benchmark, {report['started_utc']}",
        "",
        f"Load: {a['load_generator']}, {a['duration_s']} s per scenario after a "
        f"{a['warmup_s']} s warm-up, {a['connections']} connections, {threads}, "
        f"{a['repeat']} round(s), each on a fresh server process (req/s: median of the rounds; "
        f"peak RSS: the highest; errors: the sum). {retried}Ratios are target / tagfake "
        f"(validation report): above 1{TIMES} means more req/s, "
        "but also a slower start-up and more memory.",
        "",
        where + "The share of the limit is tagfake's req/s over a bare ASGI app's answering the "
        "same bytes on the same HTTP server; the peer columns are tagfake / peer.",
        "",
        limit_table(report),
        "",
        summary_table(report),
        "",
        "## Per scenario",
        "",
        detail_table(report),
        "",
        "## Requests per CPU-second of the server",
        "",
        efficiency_table(report),
        "",
        "## Flat in the store's size: the create again after filling the store",
        "",
        fill_table(report) or "(no scenario with a fill measured)",
        "",
        "## Start-up: spawn to first 200, polled every 10 ms",
        "",
        startup_table(report),
        "",
        "## Machine and versions",
        "",
    ]
    lines += [f"- {k}: {v}" for k, v in report["machine"].items()]
    lines += [f"- {k}: {v}" for k, v in report["versions"].items()]
    if report["not_measured"]:
        lines += ["", "## Not measured", ""]
        lines += [f"- {k}: {v}" for k, v in report["not_measured"].items()]
    if report["notes"]:
        lines += ["", "## Notes", ""]
        lines += [f"- {n}" for n in report["notes"]]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- main


def write_results(stem: str, doc: dict[str, Any], text: str) -> None:
    """bench/results/<stem>.json (the raw figures) and .md (their report)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{stem}.json").write_text(json.dumps(doc, indent=2) + "\n")
    (RESULTS_DIR / f"{stem}.md").write_text(text)
    print(f"wrote bench/results/{stem}.json and .md")
