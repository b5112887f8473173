"""Function figures: cold import + init against its floor, and warm CPU per report.

- cold:  a fresh interpreter imports `lambda/handler.py` (the deploy root: imports, settings,
         site data, recipients, the SQS client); the floor, as DESIGN.md defines it, is a fresh
         interpreter importing boto3 and creating an SQS client. (The handler builds its client
         from botocore without boto3's layers.) Two probes time importing the Powertools logger
         and the logger plus `event_handler`, to show what the resolver's import costs.
         Both clocks start at the first line of the child, so interpreter start-up (common to
         both) is left out. Runs alternate handler / floor; the first pair warms the disk cache.
- warm:  the handler built once in a child process with the queue client stubbed (no network),
         then the CPU time (`time.thread_time`) of each call for a valid report: parse,
         validate, normalize, seal (age, X25519), send (stub), 303. Median and p99.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.machine import median, percentile

__all__ = ["measure_cold", "measure_warm"]

_COLD = {
    "handler": "import sys; sys.path.insert(0, 'lambda'); import handler",
    "floor": "import boto3; boto3.client('sqs')",
    # Not budgets: what routing through Powertools' event handler adds to its logger, which the
    # function imports anyway (the package __init__ imports every resolver and event class).
    "logger": "from aws_lambda_powertools import Logger",
    "resolver": "from aws_lambda_powertools import Logger\n"
                "from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver",
}
_PROBES = ("logger", "resolver")
_CHILD = ("import time; t0, c0 = time.perf_counter(), time.process_time()\n{code}\n"
          "import json; print(json.dumps([time.perf_counter() - t0, time.process_time() - c0]))")


def _env(data_dir: Path, recipient: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REPORTAL_", "POWERTOOLS_"))}
    env.update({
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "eu-west-2",
        "REPORTAL_QUEUE_URL": "https://sqs.eu-west-2.amazonaws.com/123456789012/reportal-reports",
        "REPORTAL_RECIPIENTS": recipient, "REPORTAL_DATA_DIR": str(data_dir),
    })
    return env


def _recipient() -> str:
    from pyrage import x25519

    return str(x25519.Identity.generate().to_public())


def _cold_once(root: Path, kind: str, env: dict[str, str]) -> tuple[float, float]:
    proc = subprocess.run([sys.executable, "-c", _CHILD.format(code=_COLD[kind])], cwd=root, env=env,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"cold start of the {kind} failed:\n{proc.stderr[-4000:]}")
    wall, cpu = json.loads(proc.stdout.strip().splitlines()[-1])
    return wall, cpu


def measure_cold(root: Path, data_dir: Path, runs: int = 11) -> dict[str, Any]:
    """Median milliseconds of `runs` cold starts of the handler and of the floor (fresh
    interpreters, alternating), in wall and CPU time; the ratios handler / floor (budget
    ≤ 1.25); and what importing `aws_lambda_powertools.event_handler` costs beyond the
    Powertools logger (`resolver_import…_ms`)."""
    env = _env(data_dir, _recipient())
    for kind in _COLD:  # warm the page cache and write .pyc files
        _cold_once(root, kind, env)
    samples: dict[str, list[tuple[float, float]]] = {kind: [] for kind in _COLD}
    for run in range(runs):
        for kind in samples:
            if kind not in _PROBES or run % 2 == 0:  # the probes explain; every other run will do
                samples[kind].append(_cold_once(root, kind, env))
    figures: dict[str, Any] = {"runs": runs}
    for clock, index in (("", 0), ("_cpu", 1)):
        handler = median([s[index] for s in samples["handler"]])
        floor = median([s[index] for s in samples["floor"]])
        resolver = median([s[index] for s in samples["resolver"]]) - median([s[index] for s in samples["logger"]])
        figures.update({f"cold{clock}_ms": round(handler * 1000, 1), f"floor{clock}_ms": round(floor * 1000, 1),
                        f"ratio{clock}": round(handler / floor, 2), f"resolver_import{clock}_ms": round(resolver * 1000, 1)})
    return figures


class _StubSQS:
    """Accepts every message, as SQS would, without a network round trip."""

    def __init__(self) -> None:
        self.sent = 0

    def send_message(self, **kwargs: Any) -> dict[str, str]:
        self.sent += 1
        return {"MessageId": f"00000000-0000-4000-8000-{self.sent:012d}"}


def _warm_child(data_dir: Path, calls: int, out: Path) -> None:
    from reportal.local_aws import function_url_event
    from reportal.submit.app import make_handler
    from reportal.submit.settings import Settings

    site = json.loads((data_dir / "site.json").read_text(encoding="utf-8"))
    portal = sorted(site)[0]
    env = _env(data_dir, _recipient())
    sqs = _StubSQS()
    handler = make_handler(Settings.from_env(env), sqs)
    body = urlencode([
        ("portal", portal), ("lang", site[portal]["languages"][0]),
        ("url", "hxxps://example[.]com/gallery/album?id=12345&page=2"), ("url", "www.example.net/v/abcdef"),
        ("kind", "image"), ("notes", "The images are in the third album; a login is needed. " * 4),
        ("referrer", "https://forum.example.org/thread/987"), ("email", ""), ("trap", ""),
    ]).encode("ascii")
    event = function_url_event("POST", "/submit", {"Content-Type": "application/x-www-form-urlencoded"}, body)
    cpu, wall = [], []
    for i in range(calls + calls // 10):  # the first tenth warms caches and is not counted
        c0, t0 = time.thread_time(), time.perf_counter()
        answer = handler(event, None)
        c1, t1 = time.thread_time(), time.perf_counter()
        if answer["statusCode"] != 303:
            raise RuntimeError(f"the benchmark report was refused: {answer['statusCode']} {answer.get('body', '')[:300]}")
        if i >= calls // 10:
            cpu.append(c1 - c0)
            wall.append(t1 - t0)
    if sqs.sent != calls + calls // 10:
        raise RuntimeError("not every report reached the (stub) queue")
    out.write_text(json.dumps({"cpu": cpu, "wall": wall}), encoding="utf-8")


def measure_warm(root: Path, data_dir: Path, calls: int = 2000) -> dict[str, Any]:
    """CPU milliseconds per report over `calls` calls of one warm handler (median, p99)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "warm.json"
        proc = subprocess.run([sys.executable, "-m", "bench.function", "warm", str(data_dir), str(calls), str(out)],
                              cwd=root, env=_env(data_dir, "unused"), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"warm benchmark failed:\n{proc.stderr[-4000:]}")
        samples = json.loads(out.read_text(encoding="utf-8"))
    return {
        "calls": calls,
        "warm_cpu_ms_median": round(median(samples["cpu"]) * 1000, 3),
        "warm_cpu_ms_p99": round(percentile(samples["cpu"], 99) * 1000, 3),
        "warm_wall_ms_median": round(median(samples["wall"]) * 1000, 3),
    }


if __name__ == "__main__":
    _, mode, data, count, target = sys.argv
    if mode != "warm":
        sys.exit(f"unknown mode {mode!r}")
    _warm_child(Path(data), int(count), Path(target))
