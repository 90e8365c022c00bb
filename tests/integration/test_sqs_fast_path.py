"""The lean SendMessageBatch path of a2n.adapters.sqs against moto's server over real HTTP: what it
sends arrives (bodies, delays), what SQS refuses is reported failed, and every transport failure
ends in boto3's hands or in failed ids — never in an exception or a lost message.

Requests go through a keep-alive front (keepalive_front.py) that records each sender's User-Agent:
botocore's says "Boto3/…", the lean path sends none — that is how a test tells the two paths apart.
"""

from __future__ import annotations

import math
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from keepalive_front import KeepAliveFront

from a2n.adapters import sqs_wire
from a2n.adapters.sqs import QueuedMessage, reset_client, send_messages
from a2n.local.aws import FAKE_CREDENTIALS, MotoServer
from a2n.settings import reset_settings

SEND_BATCH = "AmazonSQS.SendMessageBatch"
PointAt = Callable[..., None]


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    server = MotoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def front(moto: MotoServer) -> Iterator[KeepAliveFront]:
    parts = urlsplit(moto.endpoint)
    server = KeepAliveFront(str(parts.hostname), int(parts.port or 80))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def queue(moto: MotoServer) -> str:
    return moto.sqs().create_queue(QueueName=f"fast-{uuid.uuid4().hex[:12]}")["QueueUrl"]


@pytest.fixture
def point_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[PointAt]:
    """``point_at(endpoint, fast_path=True)``: the adapter's settings, as ``a2n dev`` sets them."""

    def point(endpoint: str, *, fast_path: bool = True) -> None:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        for name, value in {**FAKE_CREDENTIALS, "AWS_REGION": "us-east-1"}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("A2N_SQS_FAST_PATH", "true" if fast_path else "false")
        reset_settings()
        reset_client()

    yield point
    reset_client()
    reset_settings()


def messages(count: int, prefix: str = "m") -> list[QueuedMessage]:
    return [QueuedMessage(f"{prefix}{i}", f'{{"step":"{prefix}{i}-{uuid.uuid4()}"}}') for i in range(count)]


def receive_bodies(moto: MotoServer, queue_url: str, expected: int, limit_s: float = 10) -> list[str]:
    sqs, bodies = moto.sqs(), []
    deadline = time.monotonic() + limit_s
    while len(bodies) < expected and time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        bodies += [message["Body"] for message in answer.get("Messages", [])]
    return bodies


def batch_senders(front: KeepAliveFront) -> list[str]:
    """Who sent each SendMessageBatch the front saw: "lean" or "boto3"."""
    return [
        "boto3" if s.user_agent.startswith("Boto3") else "lean" for s in front.seen if s.target == SEND_BATCH
    ]


def fallback_warnings(caplog: pytest.LogCaptureFixture) -> int:
    return sum("SQS fast path failed" in record.getMessage() for record in caplog.records)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("count", [1, 10, 25])
def test_every_message_arrives_through_the_lean_path_in_batches_of_ten_on_one_connection(
    count: int, moto: MotoServer, front: KeepAliveFront, queue: str, point_at: PointAt
) -> None:
    point_at(front.url)
    sent = messages(count)

    assert send_messages(queue, sent) == set()

    assert sorted(receive_bodies(moto, queue, count)) == sorted(m.body for m in sent)
    assert batch_senders(front) == ["lean"] * math.ceil(count / 10)
    assert {s.connection for s in front.seen} == {1}  # one connection, kept alive across the chunks


def test_delay_seconds_are_honoured_and_clamped_to_what_sqs_accepts(
    moto: MotoServer, front: KeepAliveFront, queue: str, point_at: PointAt
) -> None:
    point_at(front.url)
    now, later = QueuedMessage("now", "now"), QueuedMessage("later", "later", 2)
    far = QueuedMessage("far", "far", 5000)  # unclamped, SQS would refuse this entry

    assert send_messages(queue, [now, later, far]) == set()

    assert receive_bodies(moto, queue, 1) == ["now"]  # "later" is not yet visible
    assert receive_bodies(moto, queue, 1) == ["later"]  # once its 2 s have passed
    assert receive_bodies(moto, queue, 1, limit_s=1) == []  # "far" waits its 900 s
    assert batch_senders(front) == ["lean"]


def test_without_an_endpoint_url_the_batch_goes_to_the_queue_urls_host(
    moto: MotoServer, front: KeepAliveFront, queue: str, point_at: PointAt, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(front.url)
    monkeypatch.delenv("AWS_ENDPOINT_URL")  # as on AWS
    reset_settings()
    queue_at_front = front.url + urlsplit(queue).path  # the queue's URL names the host to call
    sent = messages(3)

    assert send_messages(queue_at_front, sent) == set()

    assert sorted(receive_bodies(moto, queue, 3)) == sorted(m.body for m in sent)
    assert batch_senders(front) == ["lean"]


def test_an_entry_sqs_refuses_is_reported_failed_while_the_others_arrive(
    moto: MotoServer, front: KeepAliveFront, queue: str, point_at: PointAt
) -> None:
    # send_messages clamps delays, and a delay over 900 s is the one entry moto refuses on its own.
    point_at(front.url)
    entries = [
        {"Id": "good", "MessageBody": "good", "DelaySeconds": 0},
        {"Id": "bad", "MessageBody": "bad", "DelaySeconds": 901},
    ]

    assert sqs_wire.send_message_batch(queue, entries, region="us-east-1", endpoint_url=front.url) == {"bad"}

    assert receive_bodies(moto, queue, 2, limit_s=1) == ["good"]
    assert batch_senders(front) == ["lean"]


def test_a_batch_sqs_refuses_goes_to_boto3_and_is_reported_failed_while_other_chunks_arrive(
    moto: MotoServer, front: KeepAliveFront, point_at: PointAt
) -> None:
    small = moto.sqs().create_queue(
        QueueName=f"small-{uuid.uuid4().hex[:8]}", Attributes={"MaximumMessageSize": "1024"}
    )
    point_at(front.url)
    sent = [*messages(11), QueuedMessage("too-long", "x" * 2000)]  # chunk 2: m10 and too-long

    assert send_messages(small["QueueUrl"], sent) == {"m10", "too-long"}

    assert sorted(receive_bodies(moto, small["QueueUrl"], 10)) == sorted(m.body for m in sent[:10])
    assert batch_senders(front)[:2] == ["lean", "lean"]
    assert set(batch_senders(front)[2:]) == {"boto3"}  # the refused chunk went through botocore too


def test_an_unreachable_endpoint_reports_every_id_failed_and_raises_nothing(
    point_at: PointAt, queue: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # botocore's retries would only make this test slow
    point_at(f"http://127.0.0.1:{closed_port()}")
    sent = messages(12)

    assert send_messages(queue, sent) == {m.id for m in sent}
    assert fallback_warnings(caplog) == 2  # one per chunk: boto3 was tried too


def test_a_kept_alive_connection_the_server_closed_is_retried_once_on_a_fresh_one(
    moto: MotoServer, front: KeepAliveFront, queue: str, point_at: PointAt
) -> None:
    point_at(front.url)
    first, second = messages(1, "first"), messages(1, "second")
    assert send_messages(queue, first) == set()

    front.drop_connections()  # as a load balancer's idle timeout would, without a word to the client
    assert send_messages(queue, second) == set()

    assert sorted(receive_bodies(moto, queue, 2)) == sorted(m.body for m in first + second)
    assert batch_senders(front) == ["lean", "lean"]  # retried by the lean path, not handed to boto3
    assert [s.connection for s in front.seen] == [1, 2]


def test_moto_closing_every_connection_after_its_answer_costs_no_fallback(
    moto: MotoServer, queue: str, point_at: PointAt, caplog: pytest.LogCaptureFixture
) -> None:
    point_at(moto.endpoint)  # werkzeug answers "Connection: close" each time
    batches = [messages(3, f"b{n}-") for n in range(3)]

    assert [send_messages(queue, batch) for batch in batches] == [set(), set(), set()]

    assert len(receive_bodies(moto, queue, 9)) == 9
    assert fallback_warnings(caplog) == 0


def test_with_the_fast_path_off_boto3_sends_every_batch(
    moto: MotoServer, front: KeepAliveFront, queue: str, point_at: PointAt
) -> None:
    point_at(front.url, fast_path=False)
    sent = messages(12)

    assert send_messages(queue, sent) == set()

    assert sorted(receive_bodies(moto, queue, 12)) == sorted(m.body for m in sent)
    assert batch_senders(front) == ["boto3", "boto3"]
