"""Every table, index and trigger, in one ordered place.

`MIGRATIONS[n]` takes the database from version n to n+1 (kept in `PRAGMA user_version`).
Projection tables are not migrated: they are derived, so a change to them bumps
`PROJECTION_VERSION` and `init` rebuilds them from the log.
"""

from __future__ import annotations

LOG_MIGRATIONS: list[str] = [
    # 0 -> 1: the log, its reference index, projection checkpoints.
    """
    CREATE TABLE records (
        position    INTEGER PRIMARY KEY,
        stream      TEXT    NOT NULL,
        version     INTEGER NOT NULL CHECK (version >= 1),
        kind        TEXT    NOT NULL,
        schema      INTEGER NOT NULL CHECK (schema >= 1),
        data        TEXT    NOT NULL,
        meta        TEXT    NOT NULL,
        recorded_at TEXT    NOT NULL,
        key         TEXT    UNIQUE,
        hash        TEXT    NOT NULL,
        UNIQUE (stream, version)
    );

    -- Append-only, enforced by the database itself: no UPDATE, no DELETE, no gaps.
    -- Payloads are JSON by construction (timeline.jsontext) and guarded by the hash chain.
    CREATE TRIGGER records_no_update BEFORE UPDATE ON records
    BEGIN SELECT RAISE(ABORT, 'records are append-only: UPDATE is refused'); END;
    CREATE TRIGGER records_no_delete BEFORE DELETE ON records
    BEGIN SELECT RAISE(ABORT, 'records are append-only: DELETE is refused'); END;
    -- Transaction time never runs backwards, so "known at T" is always a prefix of the log
    -- (found by binary search on position: no index on recorded_at is needed).
    CREATE TRIGGER records_in_order BEFORE INSERT ON records
    WHEN NEW.position IS NOT (SELECT coalesce(max(position), 0) + 1 FROM records)
      OR NEW.recorded_at < coalesce(
           (SELECT recorded_at FROM records WHERE position = NEW.position - 1), '')
    BEGIN SELECT RAISE(ABORT, 'records must be appended at the next position, never earlier in time'); END;

    -- What each record is about (company ids): lets a replay read one company's records.
    CREATE TABLE record_refs (
        ref      TEXT    NOT NULL,
        position INTEGER NOT NULL REFERENCES records (position),
        PRIMARY KEY (ref, position)
    ) WITHOUT ROWID;
    CREATE TRIGGER record_refs_no_update BEFORE UPDATE ON record_refs
    BEGIN SELECT RAISE(ABORT, 'record_refs are append-only: UPDATE is refused'); END;
    CREATE TRIGGER record_refs_no_delete BEFORE DELETE ON record_refs
    BEGIN SELECT RAISE(ABORT, 'record_refs are append-only: DELETE is refused'); END;

    CREATE TABLE checkpoints (
        projection TEXT PRIMARY KEY,
        position   INTEGER NOT NULL,
        version    INTEGER NOT NULL
    );
    """,
    # 1 -> 2: `record_refs` is no longer written by the append itself: each record names
    # what it is about in its meta (`refs`), and the index is caught up from the log after
    # the append, like a projection (a single-record append then writes one page fewer).
    # Readers join the index up to its position with a scan of the few records after it.
    # Every record already in the log was indexed by its append: the index starts there.
    """
    CREATE TABLE log_indexes (
        name     TEXT PRIMARY KEY,
        position INTEGER NOT NULL
    );
    INSERT INTO log_indexes (name, position)
        SELECT 'refs', coalesce(max(position), 0) FROM records;
    """,
    # 2 -> 3: the order trigger looks up one row instead of two. Positions have been
    # gapless from the first record on (this trigger's own doing), and the primary key
    # refuses a position taken; so a new position whose predecessor exists is the next
    # one, and only the first record has none. Same rule, half the work per record.
    """
    DROP TRIGGER records_in_order;
    CREATE TRIGGER records_in_order BEFORE INSERT ON records
    WHEN NEW.position IS NULL OR NOT (NEW.position = 1 OR EXISTS (SELECT 1 FROM records
              WHERE position = NEW.position - 1 AND recorded_at <= NEW.recorded_at))
    BEGIN SELECT RAISE(ABORT, 'records must be appended at the next position, never earlier in time'); END;
    """,
    # 3 -> 4: INSERT OR REPLACE can no longer rewrite history. A conflict it resolves by
    # deleting the older row fires no DELETE trigger (unless a connection turns on
    # recursive_triggers), so an insert that would meet a record already in the log (at its
    # position, its stream version or its key) is refused before it is tried: the next
    # position is max + 1, the next version of a stream is its last + 1 (versions are
    # gapless too), and a key is new. recorded_at must read as a UTC timestamp, since every
    # later record is held to be no earlier than it. The store checks all of this before it
    # appends; these guard the file against everything else.
    """
    DROP TRIGGER records_in_order;
    CREATE TRIGGER records_in_order BEFORE INSERT ON records
    WHEN NEW.position IS NOT (SELECT coalesce(max(position), 0) + 1 FROM records)
      OR NEW.recorded_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:*Z'
      OR NEW.recorded_at < coalesce(
           (SELECT recorded_at FROM records WHERE position = NEW.position - 1), '')
    BEGIN SELECT RAISE(ABORT, 'records must be appended at the next position, never earlier in time'); END;
    CREATE TRIGGER records_never_replaced BEFORE INSERT ON records
    WHEN NEW.version IS NOT (SELECT coalesce(max(version), 0) + 1 FROM records
                             WHERE stream = NEW.stream)
      OR (NEW.key IS NOT NULL AND EXISTS (SELECT 1 FROM records WHERE key = NEW.key))
    BEGIN SELECT RAISE(ABORT, 'records are append-only: a stream takes its next version, and a key is new (nothing in the log is replaced)'); END;
    """,
    # 4 -> 5: the same rules as one trigger. The last record is looked up once, for both
    # its position and its time, and the trigger program runs once per insert rather than
    # twice (1.5-2 µs per record of a batch, about a twentieth of its append).
    """
    DROP TRIGGER records_in_order;
    DROP TRIGGER records_never_replaced;
    CREATE TRIGGER records_appended_only BEFORE INSERT ON records
    WHEN coalesce((SELECT position = NEW.position - 1 AND recorded_at <= NEW.recorded_at
                   FROM records ORDER BY position DESC LIMIT 1), NEW.position = 1) IS NOT 1
      OR NEW.recorded_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:*Z'
      OR NEW.version IS NOT (SELECT coalesce(max(version), 0) + 1 FROM records
                             WHERE stream = NEW.stream)
      OR (NEW.key IS NOT NULL AND EXISTS (SELECT 1 FROM records WHERE key = NEW.key))
    BEGIN SELECT RAISE(ABORT, 'records are append-only: a record takes the next position, its stream''s next version and a new key, never earlier in time than the last (nothing in the log is replaced)'); END;
    """,
]

LOG_VERSION = len(LOG_MIGRATIONS)
# The triggers of the current version that refuse anything but appends.
LOG_GUARDS = ("records_no_update", "records_no_delete", "records_appended_only")

# Bump when any projection table below changes shape or meaning: `init` then rebuilds.
PROJECTION_VERSION = 6

PROJECTION_TABLES: dict[str, str] = {
    "companies": """
    CREATE TABLE companies (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        country     TEXT,
        merged_into TEXT,
        state       TEXT NOT NULL
    );
    CREATE TABLE company_aliases (
        key     TEXT PRIMARY KEY,
        alias   TEXT NOT NULL,
        company TEXT NOT NULL
    );
    CREATE INDEX company_aliases_company ON company_aliases (company);
    """,
    # An event's rowid is the position of the record that reported it. `state` is NULL
    # while nothing has changed the event since: its state is then the reported record's
    # (`timeline.projections.event_state`). Company timelines are keyed by the event too,
    # so that a rebuild appends every table in order; the indexes serve the reads.
    "events": """
    CREATE TABLE events (
        rowid      INTEGER PRIMARY KEY,
        id         TEXT NOT NULL,
        type       TEXT NOT NULL,
        date_sort  TEXT NOT NULL,
        retracted  INTEGER NOT NULL,
        state      TEXT
    );
    CREATE UNIQUE INDEX events_id ON events (id);
    CREATE INDEX events_type ON events (type, date_sort);
    CREATE TABLE company_events (
        event   INTEGER NOT NULL,
        company TEXT NOT NULL,
        PRIMARY KEY (event, company)
    ) WITHOUT ROWID;
    CREATE INDEX company_events_company ON company_events (company, event);
    -- Contentless: the index keeps no copy of the texts (they are in the log), so an
    -- event's old texts are deleted by handing them back (`EventsProjection._write`).
    CREATE VIRTUAL TABLE events_fts USING fts5 (
        title, summary, quotes, content = '',
        tokenize = 'porter unicode61 remove_diacritics 2'
    );
    """,
}

PROJECTION_TABLES["review"] = """
    CREATE TABLE proposals (
        id         TEXT PRIMARY KEY,
        status     TEXT NOT NULL,
        confidence REAL NOT NULL,
        made_at    TEXT NOT NULL,
        cluster    TEXT NOT NULL,
        state      TEXT NOT NULL
    );
    CREATE INDEX proposals_status ON proposals (status, confidence);
    CREATE INDEX proposals_cluster ON proposals (cluster);
    """

PROJECTION_TABLES["items"] = """
    CREATE TABLE feed_items (
        feed        TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        key         TEXT,
        PRIMARY KEY (feed, fingerprint)
    ) WITHOUT ROWID;
    """

PROJECTION_DROPS: dict[str, list[str]] = {
    "items": ["feed_items"],
    "review": ["proposals"],
    "companies": ["companies", "company_aliases"],
    "events": ["events", "company_events", "events_fts"],
}

# Operational state beside the log: caches and schedules, never history. Created by `init`,
# never rebuilt from the log, safe to lose (a lost feed_state only means a full re-fetch).
OPERATIONAL_TABLES: dict[str, str] = {
    "feed_state": """
    CREATE TABLE IF NOT EXISTS feed_state (
        name                 TEXT PRIMARY KEY,
        url                  TEXT NOT NULL,
        etag                 TEXT,
        last_modified        TEXT,
        last_fetch_at        TEXT,
        last_success_at      TEXT,
        last_status          INTEGER,
        last_error           TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        next_poll_at         TEXT,
        stopped              INTEGER NOT NULL DEFAULT 0,
        items_total          INTEGER NOT NULL DEFAULT 0
    );
    """,
}
