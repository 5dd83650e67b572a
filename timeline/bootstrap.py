"""The composition root: the one place where settings, storage, projections and
adapters are wired together. The CLI, the service and the tests all start here.

Defaults are built inside `bootstrap`, never at import time, and whatever was opened is
closed again if set-up fails half-way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from timeline.commands import Curation
from timeline.config import Settings, load_settings
from timeline.errors import StorageError
from timeline.items import ItemsProjection
from timeline.projections import CompaniesProjection, EventsProjection, ProjectionRunner
from timeline.queries import LiveQueries
from timeline.replay import Replayer
from timeline.review import ReviewProjection, ReviewQueries
from timeline.storage.schema import OPERATIONAL_TABLES
from timeline.storage.sqlite import Clock, SQLiteDatabase, SQLiteRecordStore, run_script

DEFAULT_CONFIG = "config.toml"


@dataclass
class App:
    settings: Settings
    db: SQLiteDatabase
    store: SQLiteRecordStore
    runner: ProjectionRunner
    timeline: Curation
    review: ReviewQueries
    queries: LiveQueries
    replayer: Replayer

    def close(self) -> None:
        self.db.close()

    def init(self) -> int:
        """Create or upgrade the database and register config.toml's companies.

        Returns the number of records appended (0 on a second run).
        """
        self.db.migrate()
        with self.db.transaction() as conn:
            for ddl in OPERATIONAL_TABLES.values():
                run_script(conn, ddl)
        self.runner.ensure_tables()
        self.runner.catch_up()
        return self.timeline.sync_companies(self.settings.companies)


def config_path(explicit: str | None) -> Path | None:
    """--config, else TIMELINE_CONFIG, else ./config.toml when it exists."""
    chosen = explicit or os.environ.get("TIMELINE_CONFIG")
    if chosen:
        return Path(chosen)
    default = Path(DEFAULT_CONFIG)
    return default if default.exists() else None


def database_path(settings: Settings, explicit: str | None) -> Path:
    """--db, else TIMELINE_DB, else [storage] path (relative to config.toml)."""
    chosen = explicit or os.environ.get("TIMELINE_DB")
    return Path(chosen) if chosen else settings.resolve(settings.storage.path)


def bootstrap(config: str | None = None, db: str | None = None, *, actor: str = "cli",
              clock: Clock | None = None, settings: Settings | None = None,
              create: bool = True) -> App:
    """Wire the app; with `create=False` a database that does not exist yet is refused
    rather than created (a mistyped --db would otherwise read as an empty timeline)."""
    settings = settings or load_settings(config_path(config))
    database = SQLiteDatabase(database_path(settings, db), create=create)
    try:
        store = SQLiteRecordStore(database, clock=clock)
        runner = ProjectionRunner(database, store, [CompaniesProjection(), EventsProjection(), ReviewProjection(),
                                                ItemsProjection()])
        return App(
            settings=settings, db=database, store=store, runner=runner,
            timeline=Curation(store, database, runner, actor=actor), queries=LiveQueries(database.conn),
            review=ReviewQueries(database.conn),
            replayer=Replayer(store),
        )
    except BaseException:
        database.close()
        raise


def open_app(config: str | None = None, db: str | None = None, *, actor: str = "cli",
             clock: Clock | None = None, create: bool = True, catch_up: bool = True) -> App:
    """Bootstrap and make sure the database is initialised (idempotent, cheap).

    Without `catch_up` the projections are left where they are: `verify` reads the log
    alone, and must work on a log whose records the projections cannot read."""
    app = bootstrap(config, db, actor=actor, clock=clock, create=create)
    try:
        if app.db.log_version() == 0 or not app.db.table_exists("events"):
            app.init()
        else:
            app.db.migrate()
            if catch_up:
                if (seen := app.runner.furthest()) > (head := app.store.head()):
                    raise StorageError(
                        f"the log ends at position {head}, but the projections had read up to "
                        f"{seen}: records were removed from its end, and what is written next "
                        "would take their place; restore the file from a backup, or accept the "
                        "log as it is with `timeline rebuild`")
                app.runner.ensure_tables()
                app.runner.catch_up()  # another process may have appended since
        return app
    except BaseException:
        app.close()
        raise
