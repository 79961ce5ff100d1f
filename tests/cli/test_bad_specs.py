"""A specs directory that cannot be served is refused at start with one line — file, line, what
— and exit code 2, as a bad fixture is; never a traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tagfake.cli import main
from tagfake.settings import Settings

SPECS = Settings().specs_dir


def _replace(file: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / file
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new, 1))

    return apply


def _remove(file: str) -> Callable[[Path], None]:
    return lambda root: (root / file).unlink()


def _write(file: str, text: str | bytes) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / file
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)

    return apply


BREAKAGES = {
    "yaml-syntax": (
        _replace("zapini.openapi.yaml", "paths:\n", "paths:\n  bad: [unclosed\n"),
        "zapini.openapi.yaml:38: not valid YAML: did not find expected ',' or ']'",
    ),
    "not-openapi": (
        _write("nexor.openapi.yaml", "- a list\n"),
        "nexor.openapi.yaml:1: not an OpenAPI document (no `paths` mapping)",
    ),
    "dangling-ref": (
        _replace(
            "zapini.openapi.yaml",
            "'400': {$ref: '#/components/responses/BadRequest'}",
            "'400': {$ref: '#/components/responses/Nope'}",
        ),
        "zapini.openapi.yaml:60: paths./tags.get.responses.400: "
        "$ref #/components/responses/Nope points at nothing",
    ),
    "unknown-operation": (
        _replace("zapini.openapi.yaml", "operationId: createTag\n", "operationId: createTagz\n"),
        "zapini.openapi.yaml:67: operationId 'createTagz' is no operation tagfake implements",
    ),
    "missing-operation-id": (
        _replace("healvi.openapi.yaml", "      operationId: getProfile\n", ""),
        "healvi.openapi.yaml:27: paths./profiles/{id}.get: every operation needs an operationId",
    ),
    "bad-schema": (
        _replace("commbox.openapi.yaml", "type: object", "type: objekt"),
        'commbox.openapi.yaml:75: paths./tags.post.requestBody: "objekt" is not valid',
    ),
    "missing-spec": (_remove("admin.openapi.yaml"), "admin.openapi.yaml: cannot be read"),
    "no-version": (
        _write("nexor.openapi.yaml", "paths: {}\n"),
        "nexor.openapi.yaml:1: not OpenAPI 3 (no `openapi: 3.x`)",
    ),
    "not-utf8": (
        _write("nexor.openapi.yaml", b"openapi: 3.0.3\n# \xff\n"),
        "nexor.openapi.yaml: not UTF-8 text (byte 17)",
    ),
}


def broken_specs(tmp_path: Path, name: str) -> Path:
    root = tmp_path / "specs"
    shutil.copytree(SPECS, root)
    BREAKAGES[name][0](root)
    return root


@pytest.mark.parametrize("name", list(BREAKAGES))
def test_a_broken_spec_is_refused_in_one_line(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TAGFAKE_SPECS_DIR", str(broken_specs(tmp_path, name)))
    assert main(["serve", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tagfake: bad spec: "), err
    assert BREAKAGES[name][1] in err, err
    assert "Traceback" not in err and "Error" not in err


def test_a_missing_specs_directory_is_refused_by_the_process(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tagfake.cli", "serve", "--port", "0"],
        env={"TAGFAKE_SPECS_DIR": str(tmp_path / "nowhere"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == (
        f"tagfake: bad spec: {tmp_path / 'nowhere'}: is not a directory of <vendor>.openapi.yaml\n"
    )
