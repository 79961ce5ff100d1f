"""tagfake's benchmark: throughput, start-up time and memory against the mock servers people
use instead (Prism, WireMock, MockServer) and against the bare-ASGI limit (a minimal app
answering the same bytes on the same HTTP server), all measured in the same run on the same
machine.

    .venv/bin/python -m bench                     # everything it can start, 10 s per scenario
    .venv/bin/python -m bench --pinned            # server on one core, wrk on another
    .venv/bin/python -m bench --quick             # 2 s per scenario, a smoke check
    .venv/bin/python -m bench --check             # only say which tools are there or missing
    .venv/bin/python -m bench --targets tagfake,prism --duration 5 --connections 64

It installs nothing by itself: a missing tool is named together with the command that gets it,
and its target is skipped. `--install-peers` runs that npm command (visibly) for the peers.
Peers are pinned in bench/peers.py and live in bench/.peers/, never globally.

For each target and scenario it starts a fresh server process, times spawn -> first 200
(polled every 10 ms), checks one request, warms up for 1 s, runs wrk for --duration seconds
and reads the server's peak RSS (VmHWM, summed over its process tree) before stopping it.
Results: a table on stdout and bench/results/<UTC date>.json + .md, every figure also as a
ratio to tagfake's (validation `report`, the default).

Modules: scenarios (the requests), targets (what is started, and how), peers (the pinned
mock servers and their stubs), bare_asgi (the limit), procs (processes, /proc), wrk (the
load), measure (runs and rounds), report (Markdown), machine (versions), cli (options, main).
`python -m bench.paired` pairs tagfake with the bare apps in adjacent windows;
`python -m bench.instructions` counts the instructions per served request under valgrind. Other
scripts in bench/ (store_costs.py, ui_pages.py, ...) stand alone.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PEERS_DIR = BENCH / ".peers"
RESULTS_DIR = BENCH / "results"
