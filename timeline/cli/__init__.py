"""The `timeline` command line.

One click group; each noun's commands live in their own module and register here.
Errors are mapped to exit codes in exactly one place (`main`): bad input exits 2 with a
message that names the field, anything the system could not do exits 1.
"""

from __future__ import annotations

import signal
import sqlite3
import sys
from dataclasses import dataclass, field

import click

from timeline.bootstrap import App, open_app
from timeline.errors import InputError, TimelineError


@dataclass
class Context:
    config: str | None
    db: str | None
    _app: App | None = field(default=None, repr=False)

    catch_up: bool = True  # a command reading only the log (verify) turns it off first

    @property
    def app(self) -> App:
        if self._app is None:
            # Only `init` creates a database; every other command needs one that exists.
            self._app = open_app(self.config, self.db, create=False, catch_up=self.catch_up)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()


pass_context = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", envvar="TIMELINE_CONFIG", metavar="PATH",
              help="config.toml to use (default: ./config.toml when present). Env: TIMELINE_CONFIG.")
@click.option("--db", envvar="TIMELINE_DB", metavar="PATH",
              help="SQLite file of the log (default: [storage] path of the config). Env: TIMELINE_DB.")
@click.version_option(package_name="timeline")
@click.pass_context
def cli(ctx: click.Context, config: str | None, db: str | None) -> None:
    """An event-sourced timeline of the battery and electric-vehicle industry.

    Curators add, correct and retract events; nothing is ever rewritten. Analysts read a
    company's timeline today, as of any date, or as it was known at any moment.

    \b
    Start with:
      timeline init
      timeline companies list
      timeline show aesc --as-of 2019
    """
    context = Context(config, db)
    ctx.obj = context
    ctx.call_on_close(context.close)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn timeline's errors into exit codes."""
    args = sys.argv[1:] if argv is None else argv
    if argv is None and hasattr(signal, "SIGPIPE"):
        # `timeline events | head`: stop at once when the reader does, as cat and grep do,
        # instead of an error on the next write (listings print as they go).
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    # Bytes that are not UTF-8 reach Python as lone surrogates, which nothing can store.
    if bad := next((a for a in args if any("\ud800" <= c <= "\udfff" for c in a)), None):
        shown = bad.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        click.echo(f"error: the argument '{shown}' is not UTF-8 text", err=True)
        sys.exit(2)
    try:
        status = cli.main(args=argv, prog_name="timeline", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.UsageError as exc:  # as every other bad input: one line, then the way out
        where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        click.echo(f"error: {exc.format_message().rstrip('.')}{where}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except InputError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    except TimelineError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    except sqlite3.DatabaseError as exc:
        if type(exc) is not sqlite3.DatabaseError:  # only "malformed": a damaged file
            raise
        click.echo(f"error: the database file is damaged ({exc}); restore it from a backup "
                   "(`timeline verify` on the copy checks its log)", err=True)
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(status if isinstance(status, int) else 0)


# Register the commands (import for their side effect on `cli`).
from timeline.cli import curation, intake, reading  # noqa: E402,F401
