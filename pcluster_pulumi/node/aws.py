"""AWS clients for the node programs, and the batching and bounded concurrency every call here relies on.

A ResumeProgram is a fresh interpreter per power-up on the head node, so client start-up is
paid on every scale-up. ``Clients`` therefore builds plain botocore clients (boto3 only for S3,
whose ``download_file`` boto3 adds) from a session whose loader reads the trimmed service
models shipped in ``aws_models/`` first (``tools/gen_node_models.py``: only the operations node
code calls, so EC2's 4 MB model becomes 80 KB), and short-lived programs may skip timestamp
parsing they never read. Credentials still come from the instance profile and
``AWS_ENDPOINT_URL`` (honoured by botocore) can point clients at moto in tests. Retries use
botocore's standard mode: throttling during a 1000-node scale-up must slow us, not fail us.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: API limits that size our batches.
RUN_INSTANCES_BATCH = 500
TERMINATE_BATCH = 1000
DESCRIBE_BATCH = 1000
DYNAMODB_WRITE_BATCH = 25
DYNAMODB_GET_BATCH = 100
#: An UPSERT counts twice against Route 53's 1000-record limit per change batch.
ROUTE53_CHANGE_BATCH = 500

#: Independent calls in flight at once (also each client's connection pool size): enough to
#: turn 40 DynamoDB batches into a handful of round trips, few enough to stay under API rate
#: limits (standard retries absorb the rest).
CONCURRENCY = 8
#: Route 53 allows 5 requests per second per account: change batches go at most this many at once.
ROUTE53_CONCURRENCY = 2

#: The trimmed botocore data (service models, paginators, endpoints) shipped with this package.
MODELS_DIR = Path(__file__).with_name("aws_models")
#: Searched before MODELS_DIR by the resume program only: DescribeInstances answers cut to the
#: addresses of launched instances (the keeper and day-2 commands read them in full).
RESUME_MODELS_DIR = Path(__file__).with_name("aws_models_resume")
#: Oldest botocore the trimmed models are used with (endpoint rule sets, today's model format);
#: an older botocore reads its own full models.
MIN_BOTOCORE_FOR_MODELS = (1, 28, 0)
_RETRIES = {"max_attempts": 8, "mode": "standard"}


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most size items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def in_parallel(function: Callable[[T], R], items: Sequence[T], limit: int = CONCURRENCY) -> list[R]:
    """function over items, at most limit at once; results in items' order.

    Every item runs even when another fails (each call's outcome stays its own); the first
    failure in items' order is then raised, as a sequential loop would have raised it. One
    item runs in the calling thread: small scale-ups start no thread at all.
    """
    if len(items) <= 1 or limit <= 1:
        return [function(item) for item in items]
    # Imported here, not at module top: only multi-batch runs need a thread pool (start-up time).
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(limit, len(items))) as pool:
        futures = [pool.submit(function, item) for item in items]
    for future in futures:
        error = future.exception()
        if error is not None:
            raise error
    return [future.result() for future in futures]


def _keep_text(value: str) -> str:
    """Timestamp "parser" of short-lived programs: they never read a timestamp, so skip dateutil."""
    return value


def models_usable(version: str) -> bool:
    """Whether the shipped trimmed models suit this botocore version (else its own full models)."""
    try:
        installed = tuple(int(part) for part in version.split(".")[:3])
    except ValueError:
        return False
    return installed >= MIN_BOTOCORE_FOR_MODELS and (MODELS_DIR / "manifest.json").is_file()


@dataclass
class Clients:
    """Lazily created clients for one region (each program creates only what it calls).

    ``parse_timestamps=False`` leaves response timestamps as the strings AWS sent: resume and
    suspend read none, and parsing three per launched instance is a measurable share of a
    1000-node resume. ``addresses_only=True`` (resume) also loads ``aws_models_resume``, where
    DescribeInstances answers hold only what a launch reads: ids, types and addresses.
    Client creation is locked, so threads may share one ``Clients``; callers that fan out
    still touch the client first, as botocore advises.
    """

    region: str
    parse_timestamps: bool = True
    addresses_only: bool = False
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _session: Any = field(default=None, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def _botocore_session(self) -> Any:
        if self._session is None:
            # Imported here, not at module top: the node programs build clients only once their
            # arguments and configuration are read, with the garbage collector off (start-up time).
            import botocore
            import botocore.session

            session = botocore.session.Session()
            if models_usable(botocore.__version__):
                search_paths = session.get_component("data_loader").search_paths
                search_paths.insert(0, str(MODELS_DIR))
                if self.addresses_only:
                    search_paths.insert(0, str(RESUME_MODELS_DIR))
            if not self.parse_timestamps:
                factory = session.get_component("response_parser_factory")
                factory.set_parser_defaults(timestamp_parser=_keep_text)
            self._session = session
        return self._session

    def _client(self, service: str) -> Any:
        with self._lock:
            if service not in self._cache:
                from botocore.config import Config  # start-up time: see _botocore_session

                session = self._botocore_session()
                config = Config(
                    retries=_RETRIES, connect_timeout=10, read_timeout=60, max_pool_connections=CONCURRENCY
                )
                if service == "s3":
                    # boto3 only for S3: its session adds download_file/upload_file to the client.
                    import boto3.session

                    factory: Any = boto3.session.Session(botocore_session=session).client
                else:
                    factory = session.create_client
                self._cache[service] = factory(service, region_name=self.region, config=config)
            return self._cache[service]

    @property
    def ec2(self) -> Any:
        """EC2: launches, terminations, instance status."""
        return self._client("ec2")

    @property
    def dynamodb(self) -> Any:
        """DynamoDB: the node ↔ instance table and the fleet status item."""
        return self._client("dynamodb")

    @property
    def route53(self) -> Any:
        """Route 53: A records of nodes in the cluster's private zone."""
        return self._client("route53")

    @property
    def secretsmanager(self) -> Any:
        """Secrets Manager: the munge key and the accounting database password."""
        return self._client("secretsmanager")

    @property
    def s3(self) -> Any:
        """S3: CustomActions scripts named by ``s3://`` URLs."""
        return self._client("s3")


def error_code(error: BaseException) -> str:
    """The AWS error code of a botocore ClientError, else the exception's class name."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(error).__name__


def error_message(error: BaseException) -> str:
    """The AWS error message of a botocore ClientError, else str(error)."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        message = response.get("Error", {}).get("Message")
        if message:
            return str(message)
    return str(error)
