"""A specs directory that cannot be served is refused at start with one line — file, line, what
— and exit code 2, as a bad fixture is; never a traceback."""

from __future__ import annotations

import re
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


# name → (how to break the specs, the message with {line} for the line it names, and what that
# line of the broken file holds — the line is found, not hard-coded, so the specs may change)
BREAKAGES: dict[str, tuple[Callable[[Path], None], str, str | None]] = {
    "yaml-syntax": (
        _replace("zapini.openapi.yaml", "paths:\n", "paths:\n  bad: [unclosed\n"),
        "zapini.openapi.yaml:{line}: not valid YAML: did not find expected ',' or ']'",
        None,  # libyaml names the line after the unclosed flow sequence
    ),
    "not-openapi": (
        _write("nexor.openapi.yaml", "- a list\n"),
        "nexor.openapi.yaml:{line}: not an OpenAPI document (no `paths` mapping)",
        "- a list",
    ),
    "dangling-ref": (
        _replace(
            "zapini.openapi.yaml",
            "'400': {$ref: '#/components/responses/BadRequest'}",
            "'400': {$ref: '#/components/responses/Nope'}",
        ),
        "zapini.openapi.yaml:{line}: paths./tags.get.responses.400: "
        "$ref #/components/responses/Nope points at nothing",
        "'400': {$ref: '#/components/responses/Nope'}",
    ),
    "unknown-operation": (
        _replace("zapini.openapi.yaml", "operationId: createTag\n", "operationId: createTagz\n"),
        "zapini.openapi.yaml:{line}: operationId 'createTagz' is no operation tagfake implements",
        "operationId: createTagz",
    ),
    "missing-operation-id": (
        _replace("healvi.openapi.yaml", "      operationId: getProfile\n", ""),
        "healvi.openapi.yaml:{line}: paths./profiles/{{id}}.get: "
        "every operation needs an operationId",
        "get:",
    ),
    "bad-schema": (
        _replace("commbox.openapi.yaml", "type: object", "type: objekt"),
        'commbox.openapi.yaml:{line}: paths./tags.post.requestBody: "objekt" is not valid',
        "requestBody:",
    ),
    "missing-spec": (_remove("admin.openapi.yaml"), "admin.openapi.yaml: cannot be read", None),
    "no-version": (
        _write("nexor.openapi.yaml", "paths: {}\n"),
        "nexor.openapi.yaml:{line}: not OpenAPI 3 (no `openapi: 3.x`)",
        "paths: {}",
    ),
    "not-utf8": (
        _write("nexor.openapi.yaml", b"openapi: 3.0.3\n# \xff\n"),
        "nexor.openapi.yaml: not UTF-8 text (byte 17)",
        None,
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
    root = broken_specs(tmp_path, name)
    monkeypatch.setenv("TAGFAKE_SPECS_DIR", str(root))
    assert main(["serve", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tagfake: bad spec: "), err
    assert "Traceback" not in err and "Error" not in err
    _, expected, marker = BREAKAGES[name]
    found = re.search(r"([a-z]+\.openapi\.yaml):(\d+): ", err)
    if "{line}" not in expected:
        assert expected in err, err
        return
    assert found is not None, err
    line = int(found.group(2))
    assert expected.format(line=line) in err, err
    if marker is not None:
        assert marker in (root / found.group(1)).read_text().splitlines()[line - 1], (line, err)


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
