"""The systemd units in infra/systemd/ (docs/hotline.md): `systemd-analyze verify` finds nothing
in any of them, every service is sandboxed the same way, and every command line is one the
`reportal` parser accepts (so a renamed flag breaks this test, not the hotline's night)."""
from __future__ import annotations

import argparse
import configparser
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reportal.cli import _parser
from tests.support import ROOT

UNITS = ROOT / "infra" / "systemd"
INSTALLED = "/opt/reportal/.venv/bin/reportal"
SERVICES = ("reportal-drain", "reportal-workbench", "reportal-notify", "reportal-purge", "reportal-backup")
SANDBOX = {
    "User": "reportal", "Group": "reportal", "StateDirectory": "reportal", "StateDirectoryMode": "0700",
    "UMask": "0077", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes",
    "NoNewPrivileges": "yes", "CapabilityBoundingSet": "", "AmbientCapabilities": "", "RestrictSUIDSGID": "yes",
    "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes", "RestrictNamespaces": "yes", "LockPersonality": "yes",
}


def _service(name: str) -> dict[str, list[str]]:
    """The [Service] section of a unit: key → every value given (systemd keys may repeat)."""
    values: dict[str, list[str]] = {}
    section = None
    for raw in (UNITS / name).read_text().replace("\\\n", " ").splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def test_systemd_analyze_verify_finds_nothing(tmp_path: Path) -> None:
    # GIVEN every unit, with the installed command pointed at this checkout's (verify checks it exists)
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: `make system-deps` installs the Debian package systemd"
    here = Path(sys.prefix) / "bin" / "reportal"
    assert here.is_file()
    for unit in sorted(UNITS.glob("reportal-*.*")):
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALLED, str(here)))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([f"{s}.service" for s in SERVICES] + ["reportal-backup.timer", "reportal-notify.timer",
                                                                  "reportal-purge.timer"])
    # WHEN systemd-analyze verifies them all THEN it exits 0 and says nothing at all (a bad value is only a message)
    done = subprocess.run([analyze, "verify", *names], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"})
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_is_sandboxed_with_only_the_data_directory_writable(name: str) -> None:
    service = _service(f"{name}.service")
    assert {k: service.get(k, [None])[-1] for k in SANDBOX} == SANDBOX
    for widening in ("ReadWritePaths", "ReadWriteDirectories", "PrivateUsers", "DynamicUser", "CacheDirectory",
                     "LogsDirectory", "RuntimeDirectory", "BindPaths", "PermissionsStartOnly"):
        assert widening not in service, widening
    assert not any(v.startswith("+") or v.startswith("!") for v in service["ExecStart"])  # never as root
    assert "/etc/reportal/reportal.env" in service["EnvironmentFile"]


def test_timers_start_their_services() -> None:
    for timer, service in (("notify", "notify"), ("purge", "purge"), ("backup", "backup")):
        parsed = configparser.ConfigParser(strict=False)
        parsed.read_string((UNITS / f"reportal-{timer}.timer").read_text())
        assert parsed["Timer"]["Unit"] == f"reportal-{service}.service"
        assert parsed["Install"]["WantedBy"] == "timers.target"


def _example_env(name: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in (UNITS / name).read_text().splitlines()
                if line and not line.startswith("#"))


@pytest.mark.parametrize("name", SERVICES)
def test_command_lines_are_what_reportal_accepts(name: str) -> None:
    # GIVEN the unit's ExecStart, $VARIABLES expanded from the example environment files
    (line,) = _service(f"{name}.service")["ExecStart"]
    env = {**_example_env("reportal.env.example"), **_example_env("smtp.env.example")}
    words = []
    for word in shlex.split(line):
        words += env[word[1:]].split() if word.startswith("$") else [word]
    assert words[0] == INSTALLED
    parser = _parser()
    group = words[1] if words[1] != "inbox" else f"inbox {words[2]}"
    known = {"workbench"} | {f"inbox {v}" for v in _inbox_verbs(parser)}
    if group not in known:  # the feedback helper's commands; the unit follows docs/DESIGN.md's contract
        pytest.skip(f"`reportal {group}` is not in this tree yet; the unit is written to the DESIGN.md contract")
    # WHEN parsed by the real CLI THEN it is accepted
    args = parser.parse_args(words[1:])
    assert callable(args.func)
    if hasattr(args, "db"):
        assert args.db == "/var/lib/reportal/inbox.sqlite"


def _inbox_verbs(parser: argparse.ArgumentParser) -> set[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    inbox = sub.choices["inbox"]
    return set(next(a for a in inbox._actions if isinstance(a, argparse._SubParsersAction)).choices)


def test_the_dedicated_user_is_declared() -> None:
    assert (UNITS / "reportal.sysusers").read_text().splitlines()[-1] == \
        'u reportal - "reportal hotline inbox" /var/lib/reportal /usr/sbin/nologin'
