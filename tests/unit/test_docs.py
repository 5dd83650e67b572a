"""The README documents every setting of config.toml, and the shipped config is valid."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from timeline.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _settings() -> list[tuple[str, str]]:
    found = []
    for section, info in Settings.model_fields.items():
        if section == "base_dir":
            continue
        annotation = info.annotation
        models = [a for a in getattr(annotation, "__args__", (annotation,))
                  if isinstance(a, type) and issubclass(a, BaseModel)]
        for model in models:
            for name, field in model.model_fields.items():
                found.append((section, field.alias or name))
    return found


@pytest.mark.parametrize(("section", "key"), _settings())
def test_every_setting_is_documented_in_the_readme(section: str, key: str) -> None:
    assert f"`{section}`" in README or f"[{section}]" in README or f"[[{section}]]" in README
    assert f"`{key}`" in README, f"[{section}] {key} is not explained in README.md"


def test_the_shipped_config_is_valid_and_names_real_feeds() -> None:
    settings = load_settings(ROOT / "config.toml")
    assert settings.companies and settings.feeds
    for feed in settings.feeds:
        if "://" not in feed.url:
            assert settings.resolve(feed.url).exists(), feed.url
