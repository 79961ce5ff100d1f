"""A user's plain install — `pip install tagfake`, runtime dependencies only, no extras — imports,
builds its app and answers `serve --help` without a single warning under `python -W error`
(teams run pytest with `filterwarnings = error`; the container logs JSON lines only)."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.clean_install

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import importlib.util
from tagfake.app import create_app
from tagfake.settings import Settings
import tagfake.server, tagfake.testing.client, tagfake.contract.spec
app = create_app(Settings(validation="enforce"))
app.rest.get()  # connexion's part, built (and connexion imported) on first use
extras = [m for m in ("pytest", "hypothesis", "httpx2") if importlib.util.find_spec(m)]
assert not extras, f"not a plain install: {extras}"
print("clean")
"""


@pytest.fixture(scope="module")
def plain_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("plain") / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(where)
    python = where / "bin" / "python"
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(ROOT)],
        check=True,
        env=env,
        timeout=240,
    )
    return python


def run(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-W", "error", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(sys.prefix).anchor,  # not the checkout: the installed package only
    )


def test_the_plain_install_imports_and_builds_its_app_warning_free(plain_venv: Path) -> None:
    result = run(plain_venv, "-c", CHECK)
    assert result.returncode == 0 and result.stdout.strip() == "clean", result.stderr
    assert result.stderr == ""


def test_serve_help_is_warning_free(plain_venv: Path) -> None:
    result = run(plain_venv, "-m", "tagfake.cli", "serve", "--help")
    assert result.returncode == 0, result.stderr
    assert "--body-timeout" in result.stdout or "usage: tagfake serve" in result.stdout
    assert result.stderr == ""
