"""Which database a command uses, and what happens when that is not a usable one: only
`init` creates a database; any other command on a path that holds none, or holds something
else, exits 2 naming the path and creates nothing."""

from __future__ import annotations

import pytest

from tests.conftest import run_main, write_config


def test_a_command_on_a_database_that_does_not_exist_exits_2_and_creates_nothing(tmp_path):
    config = write_config(tmp_path)
    missing = tmp_path / "typo" / "timline.db"
    for args in (["show", "aesc"], ["log"], ["verify"],
                 ["add", "factory", "--company", "catl", "--date", "2022", "--title", "x"]):
        result = run_main(["--config", str(config), "--db", str(missing), *args])
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert "does not exist; create it with `timeline init`" in result.stderr
        assert not missing.parent.exists()


@pytest.mark.parametrize("what", ["text file", "folder"])
def test_a_database_path_that_is_not_a_database_exits_2_without_a_traceback(tmp_path, what):
    path = tmp_path / "notes.db"
    if what == "folder":
        path.mkdir()
    else:
        path.write_text("meeting notes, not a database\n" * 100, encoding="utf-8")
    for command in ("init", "show"):
        result = run_main(["--config", str(write_config(tmp_path)), "--db", str(path), command, "aesc"]
                          if command == "show" else
                          ["--config", str(write_config(tmp_path)), "--db", str(path), command])
        assert result.exit_code == 2, (result.stdout, result.stderr)
        assert result.stderr.startswith(f"error: db: {str(path)!r}")
        assert "Traceback" not in result.stderr
