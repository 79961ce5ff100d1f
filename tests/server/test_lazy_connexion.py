"""Operations and the dashboard are answered without connexion; connexion's part of the app
(unknown paths, spec files, Swagger UI, the index) is built on the first request that needs it,
once, also when several such requests arrive together."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

from tagfake.settings import Settings
from tagfake.testing.server import ThreadedServer

ROOT = Path(__file__).resolve().parents[2]
ZAPINI = {"Authorization": "Bearer 1|acmeUserToken7Qv2Lk9pXw3Rt5Ny8Bd4Hs6Jm1Fc0"}

# In a fresh interpreter: whether connexion is loaded is a property of the whole process.
SESSION = """
import json, sys
from starlette.testclient import TestClient
from tagfake.app import create_app
from tagfake.settings import Settings

app = create_app(Settings())
http = TestClient(app, base_url="http://127.0.0.1")
auth = {"Authorization": "Bearer 1|acmeUserToken7Qv2Lk9pXw3Rt5Ny8Bd4Hs6Jm1Fc0"}
seen = {}
seen["list"] = http.get("/zapini/api/v1/tags", headers=auth).status_code
tag = {"name": "Lazy", "color": "#ef4444"}
seen["create"] = http.post("/zapini/api/v1/tags", json=tag, headers=auth).status_code
seen["health"] = http.get("/__admin/health").status_code
seen["reset"] = http.post("/__admin/reset", json={}).status_code
seen["dashboard"] = http.get("/__admin/ui/").status_code
seen["connexion_after_operations"] = "connexion" in sys.modules
missing = http.get("/zapini/api/v1/nothing-here", headers=auth)
seen["unknown"] = [missing.status_code, missing.json()]
seen["spec"] = http.get("/zapini/api/v1/openapi.json").status_code
seen["connexion_after_unknown"] = "connexion" in sys.modules
print(json.dumps(seen))
"""


def test_operations_and_the_dashboard_never_load_connexion() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SESSION],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert [seen[k] for k in ("list", "create", "health", "reset", "dashboard")] == [
        200,
        201,
        200,
        200,
        200,
    ]
    assert seen["connexion_after_operations"] is False
    # The first request connexion answers builds its part: the vendor's own 404 envelope.
    assert seen["unknown"][0] == 404
    assert seen["unknown"][1]["success"] is False
    assert seen["spec"] == 200
    assert seen["connexion_after_unknown"] is True


def test_requests_arriving_together_build_connexion_once_and_all_get_their_answer() -> None:
    with ThreadedServer(Settings()) as server:
        app = server.app
        builds: list[int] = []
        build = app.rest._build

        def counted() -> object:
            builds.append(1)
            return build()

        app.rest._build = counted
        answers: list[int] = []
        errors: list[BaseException] = []

        def fetch(path: str) -> None:
            try:
                request = urllib.request.Request(server.url + path, headers=ZAPINI)
                with urllib.request.urlopen(request, timeout=30) as answer:
                    answers.append(answer.status)
            except urllib.error.HTTPError as error:
                answers.append(error.code)
            except BaseException as exc:  # reported below, not lost in the thread
                errors.append(exc)

        paths = ["/zapini/api/v1/openapi.json", "/nexor/api/public/openapi.json"] * 3
        paths += ["/zapini/api/v1/unknown"] * 2
        threads = [threading.Thread(target=fetch, args=(p,)) for p in paths]
        # Operations keep being answered while connexion's part is being built.
        threads += [threading.Thread(target=fetch, args=("/zapini/api/v1/tags",))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors
        assert sorted(answers) == sorted([200] * 6 + [404] * 2 + [200])
        assert builds == [1]
