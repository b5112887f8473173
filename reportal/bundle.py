"""The function's deployment package: handler, `reportal`, function data and pinned wheels
for the Lambda platform (python3.13, arm64), with precompiled bytecode where possible."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Callable, TextIO

__all__ = ["DeployError", "build_bundle"]

_PLATFORMS = ("manylinux_2_28_aarch64", "manylinux2014_aarch64")
_UNZIPPED_MAX = 250 * 1024 * 1024  # Lambda quota: a deployment package is at most 250 MB unzipped


class DeployError(Exception):
    """A deploy step failed; the message says which and what AWS answered."""


def _pip_install(requirements: Path, target: Path) -> None:
    """Install `requirements` as cp313 manylinux aarch64 wheels into `target` (needs PyPI)."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--target", str(target),
               "--implementation", "cp", "--python-version", "3.13", "--only-binary=:all:",
               *(f"--platform={p}" for p in _PLATFORMS), "-r", str(requirements)]
    if subprocess.run(command).returncode != 0:
        raise DeployError(f"pip could not install {requirements} as Lambda wheels (cp313, aarch64); "
                          "is PyPI reachable, and does each package publish such a wheel?")


def _python313() -> str | None:
    """Find a CPython 3.13 (bytecode is version-specific): $REPORTAL_PYTHON313, PATH, pyenv."""
    candidates = [os.environ.get("REPORTAL_PYTHON313"), shutil.which("python3.13"),
                  *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13")))]
    for python in filter(None, candidates):
        probe = [python, "-c", "import sys; sys.exit(sys.version_info[:2] != (3, 13))"]
        if subprocess.run(probe, capture_output=True).returncode == 0:
            return python
    return None


def build_bundle(root: Path, function_data: Path, out: Path, *,
                 install: Callable[[Path, Path], None] = _pip_install,
                 out_stream: TextIO = sys.stderr) -> Path:
    """Write the function zip to `out`: `handler.py`, the `reportal` package, `function_data/`
    and `lambda/requirements.txt` installed by `install(requirements, target)`.

    Bytecode is precompiled by a Python 3.13 if one is found, as unchecked-hash pycs naming
    /var/task/… sources: /var/task is read-only and zip times (2 s steps) defeat timestamp
    checks. Entries are sorted with fixed times, so equal inputs give an equal zip and
    CloudFormation sees no code change.
    Raises DeployError when an input is missing or the result passes Lambda's 250 MB limit."""
    for needed in (root / "lambda" / "handler.py", root / "lambda" / "requirements.txt", function_data):
        if not needed.exists():
            raise DeployError(f"{needed} not found (function data comes from `reportal build`)")
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp)
        install(root / "lambda" / "requirements.txt", staging)
        skip = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(root / "reportal", staging / "reportal", ignore=skip, dirs_exist_ok=True)
        shutil.copytree(function_data, staging / "function_data", ignore=skip)
        shutil.copy2(root / "lambda" / "handler.py", staging / "handler.py")
        python = _python313()
        if python:
            subprocess.run([python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
                            "-s", str(staging), "-p", "/var/task", str(staging)], capture_output=True)
        else:
            print("warning: no Python 3.13 found; bytecode not precompiled (slower cold starts)", file=out_stream)
        total = 0
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for path in sorted(p for p in staging.rglob("*") if p.is_file()):
                info = zipfile.ZipInfo(path.relative_to(staging).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = (0o755 if path.suffix == ".so" else 0o644) << 16
                data = path.read_bytes()
                total += len(data)
                zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    if total > _UNZIPPED_MAX:
        raise DeployError(f"function bundle is {total / 2**20:.0f} MiB unzipped; Lambda allows 250 MB")
    return out
