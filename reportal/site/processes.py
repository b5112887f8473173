"""Two CPUs for one build: run one piece of work in a forked child while this process runs
another (rendering, writing). Plain `os.fork` and a pipe, so the child starts with everything
this process has already loaded (modules, compiled templates, catalogs): nothing is imported
or compiled twice, unlike a `multiprocessing` pool that spawns fresh interpreters.
"""
from __future__ import annotations

import os
import pickle
import traceback
from typing import Callable, TypeVar

__all__ = ["available", "beside"]

A = TypeVar("A")
B = TypeVar("B")


def available() -> int:
    """How many processes a build may use: 2 where the platform can fork and this process may
    run on two CPUs or more, else 1."""
    if not hasattr(os, "fork"):
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 2 if cpus >= 2 else 1


def beside(in_child: Callable[[], B], here: Callable[[], A]) -> tuple[A, B]:
    """Run `in_child()` in a forked child while this process runs `here()`; return both
    results (the child's pickled back through a pipe). An exception in either is raised here
    (the child's as it was raised there, or as a `RuntimeError` with its traceback when it
    cannot be pickled); the child is always waited for."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: work, send, leave without running any of the parent's cleanup
        status = 0
        try:
            os.close(read_end)
            try:
                payload = pickle.dumps(("ok", in_child()), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:  # sent to the parent, which raises it
                status = 1
                try:
                    payload = pickle.dumps(("error", exc))
                except Exception:
                    payload = pickle.dumps(("error", RuntimeError(traceback.format_exc())))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        mine = here()
    except BaseException:
        os.close(read_end)
        os.waitpid(pid, 0)
        raise
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    os.waitpid(pid, 0)
    kind, value = pickle.loads(payload) if payload else ("error", RuntimeError("the forked child died"))
    if kind == "error":
        raise value
    return mine, value
