"""``LocalRuntime``: the whole serverless stack of ``template.yaml`` in one process.

Moto serves the AWS APIs, an HTTP server plays API Gateway, another the Lambda Invoke API (moto's
runs functions in Docker), pollers play SQS event source mappings and a ticker plays EventBridge
Scheduler. ``a2n dev`` and the e2e tests both use it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

from a2n.execution import clock as engine_clock
from a2n.local.account_pages import DEV_PAGES_PREFIX, account_pages
from a2n.local.aws import MotoServer, RunningMoto
from a2n.local.clock import Clock, SystemClock
from a2n.local.functions import FunctionHost
from a2n.local.http import ApiGateway, HttpApiServer
from a2n.local.lambda_api import LambdaApiServer
from a2n.local.mailbox import MAILBOX_PATH, MailAnnouncer, Mailbox, MailboxMessage, mailbox_response
from a2n.local.scheduler import Scheduler
from a2n.local.sqs import SqsPoller
from a2n.local.template import Template, load_template
from a2n.settings import reset_settings

_log = logging.getLogger("a2n.local")


def shared_environment(template: Template) -> dict[str, str]:
    """One environment for every function (see ``LocalRuntime``); disagreements are reported.

    The first function (in template order) that sets a key decides its value.
    """
    merged: dict[str, str] = {}
    conflicts: set[str] = set()
    for function in template.functions.values():
        for key, value in function.environment.items():
            if key in merged and merged[key] != value:
                conflicts.add(key)
            merged.setdefault(key, value)
    if conflicts:
        keys = ", ".join(sorted(conflicts))
        _log.warning("functions disagree on %s; the first function's value is used", keys)
    return merged


# Local substitutions for what AWS gives each function: Lambda runs one invocation per container, so
# the settings default to a one-connection pool; here every function shares one process and runs
# invocations on many threads, so one connection would serialise them all.
LOCAL_CONCURRENCY = {"A2N_DATABASE_POOL_SIZE": "10", "A2N_DATABASE_MAX_OVERFLOW": "30"}

# The template creates a KMS key and a JWT signing secret; moto would hold them in memory only, so
# credentials sealed in one `a2n dev` run could not be opened in the next. Locally, key material lives
# in files under A2N_LOCAL_KEY_DIR (.a2n/keys) instead: empty values mean "unset" to the settings.
LOCAL_KEYS = {"A2N_KMS_KEY_ID": "", "A2N_JWT_SECRET_ARN": ""}


class ProcessEnvironment:
    """Applies variables to ``os.environ`` and puts the previous values back on ``restore``."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def apply(self, values: Mapping[str, str]) -> None:
        for key, value in values.items():
            self._saved.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        _forget_cached_config()

    def restore(self) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved.clear()
        _forget_cached_config()


def _forget_cached_config() -> None:
    """Settings, the DB engine, the AWS clients and what the engine timers know about their Scheduler
    are cached per process (per warm container on AWS); rebuild them all, so a runtime started after
    another (e.g. the e2e suite's second stack, on another moto port) never talks to the first one's."""
    import importlib
    import pkgutil

    import a2n.adapters
    from a2n.adapters import secrets
    from a2n.db.session import reset_engine
    from a2n.execution.timers import forget_ensured_sweeps

    reset_settings()
    reset_engine()
    # Every adapter that caches a client says so with reset_client(); finding them here means a new
    # adapter (the mailer, the sandbox invoker) cannot be forgotten in a list.
    for module in pkgutil.iter_modules(a2n.adapters.__path__):
        adapter = importlib.import_module(f"a2n.adapters.{module.name}")
        reset = getattr(adapter, "reset_client", None)
        if callable(reset):
            reset()
    secrets.clear_secret_cache()
    forget_ensured_sweeps()


class LocalRuntime:
    """Start with ``start()`` (or ``with``); ``stop()`` ends every thread and restores the env.

    Environment variables are process-global, so rather than swapping them per invocation (which
    would serialise all functions, and deadlock a handler that waits on another function) the
    runtime applies one merged environment at start: A2N functions of one stack share their config.
    """

    def __init__(
        self,
        template_path: Path | str,
        *,
        port: int = 0,
        clock: Clock | None = None,
        env_overrides: Mapping[str, str] | None = None,
        database_url: str | None = None,
        moto_port: int = 0,
        moto_endpoint: str | None = None,
        parameters: Mapping[str, str] | None = None,
        region: str = "us-east-1",
        stack_name: str = "a2n-local",
        serve: bool = True,
        on_mail: Callable[[MailboxMessage], None] | None = None,
    ) -> None:
        self.template_path = Path(template_path)
        self.clock = clock or SystemClock()
        # moto_endpoint: use that running moto (``a2n invoke`` beside ``a2n dev``) instead of our own.
        self.moto: MotoServer = (
            RunningMoto(moto_endpoint, region=region)
            if moto_endpoint
            else MotoServer(port=moto_port, region=region)
        )
        self._port = port
        self._env_overrides = dict(env_overrides or {})
        self._database_url = database_url
        self._parameters = dict(parameters or {})
        self._region = region
        self._stack_name = stack_name
        # serve=False: functions and moto only (``a2n invoke``) — no HTTP, pollers or scheduler.
        self._serve = serve
        self._env = ProcessEnvironment()
        self._queue_urls: dict[str, str] = {}
        self._pollers: list[SqsPoller] = []
        self._http: HttpApiServer | None = None
        self._lambda_api: LambdaApiServer | None = None
        self._scheduler: Scheduler | None = None
        self._functions: FunctionHost | None = None
        self.mailbox = Mailbox(region)
        # ``a2n dev`` prints each sent email's subject and links through this.
        self._on_mail = on_mail
        self._announcer: MailAnnouncer | None = None

    def start(self) -> LocalRuntime:
        self.moto.start()
        # The functions' engine runs on the runtime's clock, the one that fires the schedules: under
        # a ManualClock, a two-hour wait is due when the clock has moved two hours.
        engine_clock.use(self.clock.now)
        try:
            self._start_stack()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_stack(self) -> None:
        self._env.apply(self.moto.environment())
        draft = self._load(queue_urls=None)  # queue names first; their URLs come from moto
        self._queue_urls = self.moto.create_queues(draft.queues.values())
        template = self._load(queue_urls=self._queue_urls)
        self._functions = FunctionHost(template)
        # Lambda calls (the code node invoking its sandbox) work with serve=False too: `a2n invoke`.
        self._lambda_api = LambdaApiServer(self._functions)
        self._lambda_api.start()
        if not self._serve:
            self._env.apply(self._environment(template))
            self._verify_mail_sender()
            return
        gateway = ApiGateway(template, self._functions)
        gateway.local_routes[MAILBOX_PATH] = lambda request: mailbox_response(self.mailbox, request)
        gateway.local_routes.update(account_pages(gateway.handle))
        self._http = HttpApiServer(gateway, port=self._port)
        self._env.apply(self._environment(template))
        self._verify_mail_sender()
        self._http.start()
        if self._on_mail is not None:
            self._announcer = MailAnnouncer(self.mailbox, self._on_mail)
            self._announcer.start()
        for source in template.sqs_sources:
            if source.enabled:
                queue = template.queues[source.queue]
                url = self._queue_urls[queue.logical_id]
                # One poller per queue: more (Lambda starts five) measured slower here, as every
                # poller's 1 s long polls and wake-ups compete for the one process's GIL.
                poller = SqsPoller(source, queue, url, self.moto.sqs(), self._functions)
                poller.start()
                self._pollers.append(poller)
        self._scheduler = Scheduler(self._functions, self.clock, self.moto.scheduler())
        self._scheduler.start()

    def _verify_mail_sender(self) -> None:
        """SES sends only from verified identities; an operator verifies theirs once, here it is done
        at every start (moto forgets everything when it stops)."""
        from a2n.settings import get_settings

        self.mailbox.verify_sender(get_settings().mail_from)

    def _load(self, *, queue_urls: Mapping[str, str] | None) -> Template:
        return load_template(
            self.template_path,
            region=self._region,
            stack_name=self._stack_name,
            parameters=self._parameters,
            queue_urls=queue_urls,
        )

    def _environment(self, template: Template) -> dict[str, str]:
        env = {**shared_environment(template), **self.moto.environment(), **LOCAL_KEYS, **LOCAL_CONCURRENCY}
        if self._http is not None:
            env["A2N_PUBLIC_BASE_URL"] = self.url
            # Email links open the runtime's stand-in account pages, unless the developer points
            # them at a front end of their own.
            env["A2N_APP_BASE_URL"] = os.environ.get("A2N_APP_BASE_URL") or f"{self.url}{DEV_PAGES_PREFIX}"
        if self._lambda_api is not None:
            env["AWS_ENDPOINT_URL_LAMBDA"] = self._lambda_api.url
        if self._database_url:
            env["A2N_DATABASE_URL"] = self._database_url
            # The template asks for TLS (right for managed Postgres); "auto" drops it on loopback.
            env["A2N_DATABASE_SSL"] = "auto"
        return {**env, **self._env_overrides}

    def stop(self) -> None:
        if self._announcer is not None:
            self._announcer.stop()
            self._announcer = None
        if self._scheduler is not None:
            self._scheduler.stop()
        if self._pollers:
            # Each stop waits out its poller's long poll; in parallel that is one wait, not one per poller.
            with ThreadPoolExecutor(max_workers=len(self._pollers)) as stopping:
                list(stopping.map(SqsPoller.stop, self._pollers))
        self._pollers.clear()
        for server in (self._http, self._lambda_api):
            if server is not None:
                server.stop()
        self._http = self._lambda_api = None
        self.moto.stop()
        self._env.restore()
        engine_clock.use(None)

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._http is None:
            raise RuntimeError("the runtime is not started")
        return self._http.url

    @property
    def template(self) -> Template:
        return self.functions.template

    @property
    def functions(self) -> FunctionHost:
        if self._functions is None:
            raise RuntimeError("the runtime is not started")
        return self._functions

    @property
    def scheduler(self) -> Scheduler:
        if self._scheduler is None:
            raise RuntimeError("the runtime is not started")
        return self._scheduler

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Invoke a function directly, as ``aws lambda invoke`` would."""
        return self.functions.invoke(logical_id, event)

    def pollers(self, queue_logical_id: str) -> list[SqsPoller]:
        """The SQS pollers reading one queue of the template."""
        return [p for p in self._pollers if p.queue.logical_id == queue_logical_id]

    def queue_url(self, logical_id: str) -> str:
        return self._queue_urls[logical_id]

    def aws_client(self, service: str) -> Any:
        """A boto3 client bound to this runtime's moto server (for tests and tooling)."""
        return self.moto.client(service)
