"""`timeline --help` and `timeline COMMAND --help` describe every command and option, each
command with an example (after sqlite-utils' test_commands_have_help)."""

from __future__ import annotations

import inspect

import click
import pytest

from timeline.cli import cli

from tests.conftest import run_main


def _walk(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _walk(command, (*path, name))


def _kept_as_written(help_text: str) -> list[str]:
    """The lines of the help's `\\b` blocks (examples, tables), which click must print
    as they are written rather than rewrap."""
    kept: list[str] = []
    keeping = False
    for line in inspect.cleandoc(help_text).splitlines():
        if line.strip() == "\b":
            keeping = True
        elif not line.strip():
            keeping = False
        elif keeping:
            kept.append(line.strip())
    return kept


COMMANDS = list(_walk(cli))
CURATION = {"init", "add", "correct", "retract", "companies", "show", "events", "log", "verify",
            "rebuild", "search"}


def test_every_command_of_the_design_exists():
    assert CURATION <= {path[0] for path, _ in COMMANDS}
    assert {"add", "alias", "list", "rename", "merge"} <= set(cli.commands["companies"].commands)


@pytest.mark.parametrize(("path", "command"), [((), cli), *COMMANDS],
                         ids=["timeline"] + [" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help_with_an_example_and_every_option_has_help(path, command):
    assert command.help and command.help.strip(), f"{path} has no help text"
    assert command.get_short_help_str().strip()
    example_lines = [line.strip() for line in command.help.splitlines()
                     if line.strip().startswith("timeline ")]
    assert example_lines, f"`timeline {' '.join(path)}` has no example in its help"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"option {param.opts} of `timeline {' '.join(path)}` has no help"
    result = run_main([*path, "--help"])
    assert result.exit_code == 0
    assert "Usage: timeline" in result.stdout
    shown = {line.strip() for line in result.stdout.splitlines()}
    rewrapped = [line for line in _kept_as_written(command.help) if line not in shown]
    assert not rewrapped, f"`timeline {' '.join(path)} --help` rewraps {rewrapped}"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.opts[-1] in result.stdout


def test_the_examples_in_help_use_only_commands_that_exist():
    names = {path[0] for path, _ in COMMANDS}
    for path, command in [((), cli), *COMMANDS]:
        for line in (command.help or "").splitlines():
            words = line.strip().split()
            if words[:1] == ["timeline"]:
                rest = words[1:]
                while rest and rest[0] in ("--config", "--db"):    # global options first
                    rest = rest[2:]
                assert rest and rest[0] in names, f"example {line.strip()!r} in {path}"


def test_the_add_help_lists_every_event_type():
    from timeline.events import EVENT_TYPES

    text = run_main(["add", "--help"]).stdout
    for name in EVENT_TYPES:
        assert name in text
