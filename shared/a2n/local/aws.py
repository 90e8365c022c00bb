"""Moto in server mode on loopback: the AWS APIs (SQS, Scheduler, KMS, Secrets Manager) for local runs.

Code reaches it through the standard ``AWS_ENDPOINT_URL``, so the same boto3 calls run locally and
on AWS. The runtime creates every queue of the template here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_scheduler import EventBridgeSchedulerClient
    from mypy_boto3_sqs import SQSClient

    from a2n.local.template import Queue

FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class MotoServer:
    """A moto server thread bound to 127.0.0.1 (``port=0`` picks a free port)."""

    # Servers running in this process; they share moto's state (see ``reset``).
    _running = 0

    def __init__(self, *, port: int = 0, region: str = "us-east-1") -> None:
        self.region = region
        self._port = port
        self._server: Any = None

    def start(self) -> str:
        from moto.server import ThreadedMotoServer

        from a2n.local.ports import MOTO_REMEDY, ensure_port_free

        # moto's start() waits forever when its server thread cannot bind: check first.
        ensure_port_free(self._port, "moto (the local AWS APIs)", MOTO_REMEDY)
        # Moto's werkzeug logs every AWS call; the runtime logs what matters itself.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self._port, verbose=False)
        self._server.start()
        if MotoServer._running == 0:
            self.reset()  # never under another live server: that would wipe its queues
        MotoServer._running += 1
        return self.endpoint

    def reset(self) -> None:
        """Forget every AWS resource. Moto keeps its state per process, not per server, so a
        runtime started after another in the same process would otherwise see its queues and
        schedules (the same reset ``mock_aws`` does on entry)."""
        import urllib.request

        url = f"{self.endpoint}/moto-api/reset"  # our own loopback server, always http
        request = urllib.request.Request(url, method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310
            pass

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
            MotoServer._running -= 1

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("moto server is not running")
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def environment(self) -> dict[str, str]:
        """What a process needs so that boto3 talks to this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            **FAKE_CREDENTIALS,
        }

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def sqs(self) -> SQSClient:
        client: SQSClient = self.client("sqs")
        return client

    def scheduler(self) -> EventBridgeSchedulerClient:
        client: EventBridgeSchedulerClient = self.client("scheduler")
        return client

    def create_queues(self, queues: Iterable[Queue]) -> dict[str, str]:
        """Create (idempotently) each queue, dead-letter queues first; logical id → queue URL."""
        sqs = self.sqs()
        pending = list(queues)
        arns_created: set[str] = set()
        urls: dict[str, str] = {}
        while pending:
            ready = [q for q in pending if q.dead_letter_arn in (None, *arns_created)]
            if not ready:
                missing = ", ".join(q.logical_id for q in pending)
                raise RuntimeError(f"dead-letter queues not found for: {missing}")
            for queue in ready:
                attributes: Any = queue.attributes  # names are SQS attribute names by construction
                created = sqs.create_queue(QueueName=queue.name, Attributes=attributes)
                urls[queue.logical_id] = created["QueueUrl"]
                arns_created.add(queue.arn)
                pending.remove(queue)
        return urls


class RunningMoto(MotoServer):
    """The moto server of a running ``a2n dev``, used by another process (``a2n invoke``): never
    started, reset or stopped from here."""

    def __init__(self, endpoint: str, *, region: str = "us-east-1") -> None:
        super().__init__(region=region)
        self._endpoint = endpoint.rstrip("/")

    def start(self) -> str:
        import urllib.error
        import urllib.request

        from a2n.errors import ConfigurationError

        try:  # any answer means a server is there; moto answers its root with a 200 or a 404
            urllib.request.urlopen(f"{self._endpoint}/moto-api/", timeout=5).close()  # noqa: S310
        except urllib.error.HTTPError:
            pass
        except OSError as error:
            raise ConfigurationError(
                f"The moto server of `a2n dev` at {self._endpoint} does not answer ({error}); "
                "is that `a2n dev` still running?"
            ) from None
        return self._endpoint

    def stop(self) -> None:
        """Not ours to stop."""

    @property
    def endpoint(self) -> str:
        return self._endpoint
