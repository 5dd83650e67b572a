"""config.toml, declared once: every setting with its default and its meaning.

A broken file is an `ConfigError` naming the key and what is wrong with it, never a
traceback. Secrets are not settings: the SMTP password comes from TIMELINE_SMTP_PASSWORD.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError,
                      field_validator, model_validator)

from timeline.companies import CompanySpec, CountryCode, lookup_key
from timeline.events import EVENT_TYPES
from timeline.errors import ConfigError, validation_message

# An address mail can be sent to: something, one @, a domain with a dot; no spaces.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_INTERVAL = re.compile(r"^(\d+)\s*([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


# The longest wait the service takes between two polls or retries: past it, a date computed
# from the interval (`3000000d`) would overflow, and a feed would never be polled again.
LONGEST_WAIT = 30 * 86400


def parse_interval(text: str) -> int:
    """`30m` -> 1800 seconds."""
    match = _INTERVAL.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not an interval such as 30s, 30m, 6h or 1d")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds > LONGEST_WAIT:
        raise ValueError(f"{text!r} is longer than 30d")
    return seconds


def email_address(value: str) -> str:
    if not _EMAIL.fullmatch(value.strip()):
        raise ValueError(f"{value!r} is not an email address such as analyst@example.org")
    return value.strip()


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StorageSettings(Section):
    path: str = Field("var/timeline.db", description="The SQLite file holding the log and its projections.")


# A feed address without a scheme is a file; one that starts with a host name, an IP
# address or a port (www.example.org/feed, 127.0.0.1:8000/feed) may have been meant for
# the web. File names end as files do.
_HOST_FIRST = re.compile(r"^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}"
                         r"|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\])(?::\d+)?(?:/|$)")
_FILE_ENDINGS = frozenset({"xml", "rss", "atom", "rdf", "json", "txt", "html", "htm", "md",
                           "feed", "csv"})


def reads_as_web_address(address: str) -> bool:
    """Whether a feed address without a scheme starts as a web address does:
    `www.example.org/feed`, `example.org`, `127.0.0.1:8000/feed`; not `feeds/news.xml` nor
    `news.rss`. Said when no file is there (`feeds.pipeline`): a folder may be named so."""
    if not _HOST_FIRST.match(address):
        return False
    host = address.split("/")[0]
    return ":" in host or not host[0].isalpha() or host.rsplit(".", 1)[1].lower() not in _FILE_ENDINGS


class FeedSettings(Section):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")] = Field(
        description="A short unique name, used by `timeline feeds poll NAME`.")
    url: str = Field(description="An http(s) URL, or a local file path (relative to config.toml).")
    language: Literal["zh", "en"] | None = Field(None, description="A hint for extraction when the feed does not say.")
    interval: str = Field("30m", description="How often the service polls it: 30s, 30m, 6h, 1d.")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        text = value.strip()
        parts = urlsplit(text)
        if "://" in text or len(parts.scheme) > 1:  # (one letter is a Windows drive)
            try:
                port_ok = parts.port is None or parts.port > 0
            except ValueError:
                port_ok = False
            if parts.scheme.lower() not in ("http", "https") or not parts.hostname or not port_ok:
                raise ValueError(f"{value!r} is neither an http(s) URL nor a local file path")
        elif not text:
            raise ValueError("must not be empty")
        return text

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: str) -> str:
        parse_interval(value)
        return value

    @property
    def interval_seconds(self) -> int:
        return parse_interval(self.interval)


class FetchSettings(Section):
    connect_timeout: float = Field(10.0, gt=0, le=600, allow_inf_nan=False,
                                   description="Seconds to wait for a connection.")
    read_timeout: float = Field(30.0, gt=0, le=3600, allow_inf_nan=False,
                                description="Seconds to wait for the whole response body.")
    max_bytes: int = Field(5_000_000, gt=0, description="Largest feed body accepted, in bytes.")
    max_redirects: int = Field(5, ge=0, description="Redirects followed before giving up.")
    per_host: int = Field(2, ge=1, description="Concurrent requests to one host at most.")
    concurrency: int = Field(16, ge=1, description="Concurrent feed fetches at most.")
    user_agent: str = Field("timeline/0.1 (+https://github.com/timeline)",
                            description="The User-Agent sent with every request.")

    @field_validator("user_agent")
    @classmethod
    def _user_agent(cls, value: str) -> str:
        if not value or len(value) > 200 or not all(" " <= c <= "~" for c in value):
            raise ValueError(f"{value!r} is not a User-Agent: printable ASCII, one line, at "
                             "most 200 characters, as an HTTP header must be")
        return value
    backoff_base: int = Field(300, ge=1, le=LONGEST_WAIT, description="Seconds of the first retry delay after a failure.")
    backoff_max: int = Field(86400, ge=1, le=LONGEST_WAIT, description="Ceiling of the retry delay, in seconds.")

    @model_validator(mode="after")
    def _base_within_max(self) -> FetchSettings:
        if self.backoff_base > self.backoff_max:
            raise ValueError(f"backoff_base ({self.backoff_base}) is longer than backoff_max "
                             f"({self.backoff_max})")
        return self


class ReviewSettings(Section):
    auto_accept: float = Field(0.8, ge=0, le=1, description="Confidence at or above which proposals are accepted without review.")


def _event_type(value: str) -> str:
    if value not in EVENT_TYPES:
        raise ValueError(f"{value!r} is not an event type; the types are {', '.join(sorted(EVENT_TYPES))}")
    return value


EventTypeName = Annotated[str, AfterValidator(_event_type)]


class RuleSettings(Section):
    name: Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
    types: list[EventTypeName] = Field(default_factory=list)
    companies: list[str] = Field(default_factory=list)
    countries: list[CountryCode] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    action: Literal["alert", "digest"] = "alert"
    min_amount: float | None = Field(None, ge=0, allow_inf_nan=False)
    min_capacity_gwh: float | None = Field(None, ge=0, allow_inf_nan=False)


class SubscriberSettings(Section):
    email: str
    companies: list[str] = Field(default_factory=list)
    types: list[EventTypeName] = Field(default_factory=list)
    countries: list[CountryCode] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    timezone: str = "UTC"
    language: Literal["en", "zh"] = "en"

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return email_address(value)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Berlin or "
                             "Asia/Shanghai") from None
        return value


class DigestSettings(Section):
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    hour: int = Field(8, ge=0, le=23)


class SmtpSettings(Section):
    host: Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None


class MailSettings(Section):
    from_: str = Field("timeline@example.org", alias="from")
    outbox: str = "var/outbox"

    @field_validator("from_")
    @classmethod
    def _from(cls, value: str) -> str:
        return email_address(value)


class WebSettings(Section):
    base_url: str = "http://127.0.0.1:8080"


class Settings(Section):
    storage: StorageSettings = StorageSettings()
    companies: list[CompanySpec] = Field(default_factory=list)
    feeds: list[FeedSettings] = Field(default_factory=list)
    fetch: FetchSettings = FetchSettings()
    review: ReviewSettings = ReviewSettings()
    rules: list[RuleSettings] = Field(default_factory=list)
    subscribers: list[SubscriberSettings] = Field(default_factory=list)
    digest: DigestSettings = DigestSettings()
    mail: MailSettings = MailSettings()
    smtp: SmtpSettings | None = None
    web: WebSettings = WebSettings()

    # Where the file was read from; relative paths in it are relative to this folder.
    base_dir: Path = Path(".")

    def resolve(self, path: str) -> Path:
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self.base_dir / candidate

    @field_validator("feeds")
    @classmethod
    def _unique_feeds(cls, feeds: list[FeedSettings]) -> list[FeedSettings]:
        _refuse_repeats("feed names", [f.name for f in feeds])
        return feeds


    @field_validator("rules")
    @classmethod
    def _unique_rules(cls, rules: list[RuleSettings]) -> list[RuleSettings]:
        _refuse_repeats("rule names", [r.name for r in rules])
        return rules

    @field_validator("subscribers")
    @classmethod
    def _unique_subscribers(cls, subscribers: list[SubscriberSettings]) -> list[SubscriberSettings]:
        _refuse_repeats("subscriber emails", [s.email.casefold() for s in subscribers])
        return subscribers

    @field_validator("companies")
    @classmethod
    def _unique_companies(cls, companies: list[CompanySpec]) -> list[CompanySpec]:
        _refuse_repeats("company ids", [c.id for c in companies])
        _refuse_shared_names(companies)
        return companies


def _refuse_repeats(what: str, values: list[str]) -> None:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"{what} must be unique; repeated: {', '.join(repeated)}")


def _refuse_shared_names(companies: list[CompanySpec]) -> None:
    """A name (id, name or alias, compared as lookups compare them) may belong to one
    company only: `init` would otherwise register the first and refuse the second."""
    owners: dict[str, str] = {}
    for company in companies:
        for name in dict.fromkeys([company.id, company.name, *company.aliases]):
            owner = owners.setdefault(lookup_key(name), company.id)
            if owner != company.id:
                raise ValueError(f"{name!r} names both {owner!r} and {company.id!r}; "
                                 "a name may belong to one company only")


def _where(error: Any) -> str:
    """Where in the file, then a colon (nothing for a rule of the whole file, whose message
    names the keys itself)."""
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: " if where else ""


def load_settings(path: str | Path | None) -> Settings:
    """Read config.toml; no file at all means every default."""
    if path is None:
        return Settings()
    file = Path(path)
    if not file.exists():
        raise ConfigError(f"config: {str(file)!r} does not exist; pass --config PATH or set TIMELINE_CONFIG")
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config: {file} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config: {file} is not UTF-8 text") from None
    try:
        return Settings.model_validate({**raw, "base_dir": file.resolve().parent})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"config: {file}: {_where(first)}{validation_message(first)}") from None


def smtp_password() -> str | None:
    return os.environ.get("TIMELINE_SMTP_PASSWORD")
