"""The long-running service: scheduled feed polls and projection catch-up.

The scheduler knows jobs, not feeds: the composition root hands it one callable per feed
and the interval to run it at, so this module stays free of HTTP and feed parsing. A job
that fails is logged and tried again at its next run; it never stops the others.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger("timeline.service")


@dataclass(frozen=True)
class Job:
    name: str
    seconds: int
    run: Callable[[], object]
    run_now: bool = True


def _guarded(job: Job) -> Callable[[], None]:
    def run() -> None:
        try:
            result = job.run()
            log.info("%s: %s", job.name, result)
        except Exception:  # a failing job is isolated and retried at its next run
            log.exception("%s failed; it will run again in %d s", job.name, job.seconds)
    return run


class Service:
    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self.stopped = threading.Event()

    def start(self) -> None:
        from datetime import datetime, timezone

        for job in self.jobs:
            self.scheduler.add_job(
                _guarded(job), "interval", seconds=job.seconds, id=job.name, name=job.name,
                max_instances=1, coalesce=True, misfire_grace_time=job.seconds,
                next_run_time=datetime.now(timezone.utc) if job.run_now else None,
            )
        self.scheduler.start()

    def stop(self, *_: object) -> None:
        self.stopped.set()

    def run_forever(self) -> None:
        """Start, then block until SIGINT or SIGTERM; shut the scheduler down cleanly."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        self.start()
        try:
            self.stopped.wait()
        finally:
            self.scheduler.shutdown(wait=True)
