"""Inbox figure: reports/s opened and stored from a local moto-server queue.

A child process (the "queue host") runs moto's `ThreadedMotoServer` on a free port, so the
queue has a core of its own as SQS would be another machine. It makes the envelopes with the
real handler (stub queue client, sealed to a fresh identity) and puts them on two queues:
`reports`, drained by `reportal.inbox.drain.drain()` into a fresh SQLite store, and `floor`,
emptied by a bare ReceiveMessage (10) + DeleteMessageBatch loop: the queue's own cost.

The queues are filled through moto's backend rather than SendMessage, and three moto 5.2.5
methods that scan the whole queue are replaced in the queue host by equivalent ones that do
not (`_constant_time_moto`): unpatched, moto recomputes every queue attribute (three passes
over every message) for each message it sends or receives, and scans every message for each
receipt handle it deletes, so 5,000 messages take tens of minutes and the figure would
measure moto. SQS itself does none of this. Receiving and deleting go over HTTP as usual.
"""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.machine import median

__all__ = ["measure_inbox"]



def _envelopes(data_dir: Path, recipient: str, count: int) -> list[str]:
    from bench.function import _env
    from reportal.local_aws import function_url_event
    from reportal.submit.app import make_handler
    from reportal.submit.settings import Settings

    bodies: list[str] = []

    class Capture:
        def send_message(self, **kwargs: Any) -> dict[str, str]:
            bodies.append(kwargs["MessageBody"])
            return {"MessageId": f"00000000-0000-4000-8000-{len(bodies):012d}"}

    site = json.loads((data_dir / "site.json").read_text(encoding="utf-8"))
    portals = sorted(site)
    handler = make_handler(Settings.from_env(_env(data_dir, recipient)), Capture())
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for i in range(count):
        portal = portals[i % len(portals)]
        body = urlencode([
            ("portal", portal), ("lang", site[portal]["languages"][i % len(site[portal]["languages"])]),
            ("url", f"https://example-{i % 97}.com/gallery/{i}?page=2"), ("kind", "image"),
            ("notes", "Third album; a login is needed."), ("trap", ""),
        ]).encode("ascii")
        answer = handler(function_url_event("POST", "/submit", headers, body), None)
        if answer["statusCode"] != 303:
            raise RuntimeError(f"envelope {i} was refused: {answer['statusCode']}")
    return bodies


def _constant_time_moto() -> None:
    """Replace three moto 5.2.5 SQS methods that are O(queue length) per message by versions
    with the same results for this benchmark's use (standard queues, no delays, deletes of
    messages still in flight)."""
    from moto.core.utils import unix_time, unix_time_millis
    from moto.sqs.models import Queue, SQSBackend

    def messages(self: Queue) -> list:  # visible and not delayed, with one clock reading
        now = unix_time_millis()
        return [m for m in self._messages if now > m.visible_at and not now < m.delayed_until]

    def retained(self: SQSBackend, queue_name: str, message: Any) -> bool:  # no attribute rebuild
        period = int(self.get_queue(queue_name).message_retention_period)
        return period + message.sent_timestamp / 1000 > unix_time()

    scan_all = Queue.delete_message

    def delete_message(self: Queue, receipt_handle: str) -> None:  # look among in-flight first
        if receipt_handle not in self.deleted_messages:
            for message in list(self._pending_messages):
                if message.had_receipt_handle(receipt_handle):
                    self._pending_messages.discard(message)
                    self.deleted_messages.update(message.all_receipt_handles)
                    self._messages.remove(message)
                    return
        scan_all(self, receipt_handle)

    Queue.messages = property(messages)  # type: ignore[assignment]
    Queue.delete_message = delete_message  # type: ignore[method-assign]
    SQSBackend.is_message_valid_based_on_retention_period = retained  # type: ignore[method-assign]


def _serve(data_dir: Path, recipient: str, count: int, rounds: int, ready: Path) -> None:
    """The queue host: queues ``reports-<k>`` and ``floor-<k>`` for each round k, each holding
    the same `count` envelopes; serve until stdin closes."""
    import boto3
    from moto.server import ThreadedMotoServer
    from moto.sqs.models import Message, sqs_backends

    from reportal.local_aws import create_queues

    _constant_time_moto()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server.get_host_and_port()[1]
    sqs = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{port}", region_name="eu-west-2",
                       aws_access_key_id="bench", aws_secret_access_key="bench")
    names = [f"{kind}-{k}" for k in range(rounds) for kind in ("reports", "floor")]
    urls = {name: create_queues(sqs, name) for name in names}
    account = urls[names[0]].rstrip("/").split("/")[-2]
    bodies = _envelopes(data_dir, recipient, count)
    backend = sqs_backends[account]["eu-west-2"]
    for name in names:
        queue = backend.get_queue(name)
        for i, body in enumerate(bodies):
            message = Message(f"{name}-{i:08d}", body)
            message.message_attributes = {"v": {"DataType": "String", "StringValue": "1"}}
            message.mark_sent(delay_seconds=0)
            queue.add_message(message)
    ready.write_text(json.dumps({"port": port, "urls": urls, "messages": len(bodies)}), encoding="utf-8")
    sys.stdin.read()  # until the parent closes the pipe
    server.stop()


def _empty(sqs: Any, url: str) -> int:
    """The floor: receive 10 and delete them, until the queue is empty; return the count."""
    count = 0
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                       MessageAttributeNames=["v"]).get("Messages", [])
        if not messages:
            return count
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
        count += len(messages)


def measure_inbox(root: Path, data_dir: Path, count: int = 5000, rounds: int = 3,
                  time_limit_s: float = 60.0) -> dict[str, Any]:
    """Drain `count` envelopes from a local moto server into a fresh store, then empty the
    floor's queue of as many; up to `rounds` times, alternating, while the section has taken
    less than `time_limit_s` (at least one round). Returns medians: reports/s (wall clock,
    the queue host included), the floor's messages/s, the ratio of times, and the CPU
    milliseconds the inbox process itself spent per report (and the floor per message).
    Raises `RuntimeError` if a round did not store every report or the queue host fails."""
    import boto3

    from reportal.envelope import generate_identity, load_identities
    from reportal.inbox.drain import drain
    from reportal.inbox.store import Store

    began = time.perf_counter()
    samples: list[tuple[float, float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        recipient = generate_identity(tmp / "keys" / "bench.key")
        ready, log = tmp / "ready.json", (tmp / "host.log").open("w")
        host = subprocess.Popen(
            [sys.executable, "-m", "bench.inbox", str(data_dir), recipient, str(count), str(rounds), str(ready)],
            cwd=root, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log, text=True)
        try:
            while not ready.exists():
                if host.poll() is not None:
                    raise RuntimeError(f"the queue host stopped:\n{(tmp / 'host.log').read_text()[-4000:]}")
                time.sleep(0.05)
            time.sleep(0.05)  # the file is written in one call; let it land
            info = json.loads(ready.read_text(encoding="utf-8"))
            sqs = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{info['port']}", region_name="eu-west-2",
                               aws_access_key_id="bench", aws_secret_access_key="bench")
            identities = load_identities(tmp / "keys" / "bench.key")
            for k in range(rounds):
                if k and time.perf_counter() - began > time_limit_s:
                    break
                store = Store(tmp / f"inbox-{k}.sqlite")
                start, cpu = time.perf_counter(), time.process_time()
                stats = drain(sqs, info["urls"][f"reports-{k}"], identities, store, once=True, wait_seconds=0)
                drain_s, drain_cpu = time.perf_counter() - start, time.process_time() - cpu
                stored = store.count()
                store.close()
                start, cpu = time.perf_counter(), time.process_time()
                emptied = _empty(sqs, info["urls"][f"floor-{k}"])
                floor_s, floor_cpu = time.perf_counter() - start, time.process_time() - cpu
                if stats.stored != count or stored != count or emptied != count:
                    raise RuntimeError(f"round {k}: stored {stats.stored} (store holds {stored}), "
                                       f"floor emptied {emptied}, of {count}")
                samples.append((drain_s, drain_cpu, floor_s, floor_cpu))
        finally:
            host.stdin.close()  # type: ignore[union-attr]
            host.wait(timeout=30)
            log.close()
    drain_s, drain_cpu, floor_s, floor_cpu = (median([s[i] for s in samples]) for i in range(4))
    return {
        "envelopes": count, "rounds": len(samples), "drain_s": round(drain_s, 3),
        "reports_per_s": round(count / drain_s), "floor_s": round(floor_s, 3),
        "floor_per_s": round(count / floor_s), "ratio": round(drain_s / floor_s, 2),
        # CPU of the inbox process alone (the queue host excluded), per report: its own ceiling.
        "drain_cpu_ms_per_report": round(drain_cpu / count * 1000, 3),
        "floor_cpu_ms_per_message": round(floor_cpu / count * 1000, 3),
    }


if __name__ == "__main__":
    _data, _recipient, _count, _rounds, _ready = sys.argv[1:]
    _serve(Path(_data), _recipient, int(_count), int(_rounds), Path(_ready))
