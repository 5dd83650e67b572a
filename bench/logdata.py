"""A realistic log of N records, built once through the real store and cached in bench/out/.

What it holds (for N = 1,000,000):

- ~2,000 `company.registered` records (N / 500), then, in time order:
- `event.reported` (~88%): payloads shaped exactly as `Timeline.build_report` makes them;
  the typed fields, location and amounts come from `timeline.commands.field_changes`, the
  function that validates `--field NAME=VALUE`, over realistic values (3.5亿英镑, 40 GWh,
  ...). Titles are English or Chinese. 1-3 companies each, chosen with a mild skew
  (weight ∝ 1/√rank), so a few companies are large and most have a few hundred events.
  70% carry an idempotency key (as feed items do). `refs` are set as `Timeline.add_event`
  sets them: the company ids.
- `event.corrected` (~5%), `event.retracted` (~2%), `event.source_added` (~5%): about an
  event reported shortly before (85%, an age of ~1,000 events on average) or any earlier
  one (15%). A tenth of the corrections change the companies and carry them as refs,
  as `Timeline.correct_event` does.
- `company.merged` (~120 per million records, refs to both companies; later events name
  the survivor), `company.aliased` and `company.renamed` (~150 each per million).

Records are appended in batches of 500 through `SQLiteRecordStore.append`, the batch append
a feed poll uses, with a clock that moves forward a little per batch (two years in all), so
`recorded_at` increases and every index (refs, keys, stream versions) is the real one.
"""

from __future__ import annotations

import random
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from timeline import companies as co
from timeline import events as ev
from timeline.commands import field_changes
from timeline.dates import format_timestamp, parse_date
from timeline.records import NewRecord
from timeline.storage.sqlite import SQLiteDatabase, SQLiteRecordStore
from timeline.upcasting import current_schema

from bench.common import out_dir, remove_db

GENERATOR_VERSION = 2
APPEND_BATCH = 500
SEED = 20261121

_SYLLABLES = ["volt", "cell", "ion", "lith", "ener", "gy", "power", "tech", "ano", "cath",
              "sol", "grid", "nova", "max", "ampe", "rex", "sino", "terra", "blue", "green"]
_SUFFIXES = ["Battery", "Energy", "Power", "Materials", "Motors", "Technology", "New Energy",
             "Cells", "Automotive", "Mining"]
_FORMS = ["Co., Ltd.", "Inc.", "AG", "GmbH", "plc", "SE", "Corp.", "AB", "KK", "Ltd"]
_ZH = "宁德时代比亚迪国轩高科亿纬锂能远景动力蜂巢能源中创新航欣旺达孚能科技赣锋锂业天齐华友钴业容百"
_ZH_SUFFIX = ["新能源", "电池", "动力", "科技", "能源", "材料"]
_COUNTRIES = ["CN", "JP", "KR", "US", "DE", "FR", "GB", "SE", "HU", "PL", "IN", "ID", "CA", "AU"]
_CITIES = {"CN": ["Ningde", "Hefei", "Changzhou", "Yibin"], "JP": ["Osaka", "Ibaraki"],
           "KR": ["Ochang", "Ulsan"], "US": ["Kentucky", "Michigan", "Georgia", "Nevada"],
           "DE": ["Erfurt", "Salzgitter", "Grünheide"], "FR": ["Douvrin", "Dunkirk"],
           "GB": ["Sunderland", "Somerset"], "SE": ["Skellefteå"], "HU": ["Debrecen", "Göd"],
           "PL": ["Wrocław"], "IN": ["Gujarat"], "ID": ["Karawang"], "CA": ["Ontario"],
           "AU": ["Perth"]}
_ZH_CITIES = ["宁德", "合肥", "常州", "宜宾", "德布勒森", "桑德兰", "埃尔福特"]
_MONEY = ["3.5亿英镑", "£320m", "US$1.2bn", "350000000 GBP", "12亿元人民币", "€2bn", "$450 million",
          "约50亿元", "1.8 billion euros", "KRW 500 billion"]
_CAPACITY = ["8 GWh", "40 GWh", "8千兆瓦时", "20吉瓦时", "500 MWh", "100 GWh", "12.5 GWh"]
_PRODUCTS = ["LFP cells", "NMC 811 cells", "sodium-ion cells", "cathode material", "battery packs",
             "磷酸铁锂电池", "4680 cylindrical cells"]
_STATUSES = ["announced", "announced", "announced", "approved", "started", "completed", "rumored"]
_PUBLISHERS = [("reuters", "en"), ("electrive", "en"), ("36kr", "zh"), ("cls", "zh"),
               ("nikkei", "en"), ("handelsblatt", "de"), ("gg-lb", "zh")]

_EN_TITLES = {
    "acquisition": "{a} to acquire {b} in deal worth {money}",
    "investment": "{a} invests {money} in {b}",
    "partnership": "{a} and {b} form battery joint venture",
    "supply_deal": "{a} signs {cap} cell supply deal with {b}",
    "factory": "{a} to build {cap} battery plant in {city}",
    "factory_closure": "{a} closes battery plant in {city}",
    "bankruptcy": "{a} files for insolvency protection",
    "policy": "{a} announces battery subsidy of {money}",
    "recall": "{a} recalls vehicles over battery fire risk",
    "ipo": "{a} raises {money} in stock market debut",
    "leadership_change": "{a} appoints new chief executive",
    "founding": "{a} founded to make {product}",
    "rebrand": "{a} renames itself {b}",
}
_ZH_TITLES = {
    "acquisition": "{a}拟以{money}收购{b}",
    "investment": "{a}向{b}投资{money}",
    "partnership": "{a}与{b}成立电池合资公司",
    "supply_deal": "{a}与{b}签署{cap}电池供货协议",
    "factory": "{a}宣布在{city}建设{cap}电池工厂",
    "factory_closure": "{a}关闭{city}电池工厂",
    "bankruptcy": "{a}申请破产保护",
    "policy": "{a}发布{money}电池补贴政策",
    "recall": "{a}因电池起火风险召回车辆",
    "ipo": "{a}上市募资{money}",
    "leadership_change": "{a}任命新任首席执行官",
    "founding": "{a}成立，生产{product}",
    "rebrand": "{a}更名为{b}",
}
_TYPE_WEIGHTS = {"acquisition": 8, "investment": 14, "partnership": 12, "supply_deal": 16,
                 "factory": 20, "factory_closure": 3, "bankruptcy": 2, "policy": 6, "recall": 3,
                 "ipo": 3, "leadership_change": 8, "founding": 3, "rebrand": 2}


def log_path(records: int) -> Path:
    return out_dir() / f"log-{records}-v{GENERATOR_VERSION}.db"


@dataclass
class _Company:
    id: str
    name: str
    merged_into: str | None = None


@dataclass
class _Event:
    id: str
    type: str
    companies: list[str]
    retracted: bool = False


@dataclass
class Generator:
    """Makes the records of a realistic log, in order, deterministically from a seed."""

    records: int
    seed: int = SEED
    rng: random.Random = field(init=False)
    companies: list[_Company] = field(default_factory=list)
    by_id: dict[str, _Company] = field(default_factory=dict)
    weights: list[float] = field(default_factory=list)
    events: list[_Event] = field(default_factory=list)
    event_ids: set[str] = field(default_factory=set)
    changes_pool: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    produced: int = 0
    serial: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    # -- companies ----------------------------------------------------------------------

    def _company_spec(self, index: int) -> co.CompanySpec:
        rng = self.rng
        stem = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
        name = f"{stem.capitalize()} {rng.choice(_SUFFIXES)} {rng.choice(_FORMS)}"
        aliases = [f"{stem.upper()}{index}"]
        if rng.random() < 0.4:
            zh = "".join(rng.choice(_ZH) for _ in range(rng.randint(2, 4)))
            aliases.append(f"{zh}{rng.choice(_ZH_SUFFIX)}{index}")
        return co.CompanySpec(id=f"{stem}-{index:04d}", name=f"{name} {index}", aliases=aliases,
                              country=rng.choice(_COUNTRIES))

    def _register(self, index: int) -> NewRecord:
        spec = self._company_spec(index)
        self.companies.append(_Company(spec.id, spec.name))
        self.by_id[spec.id] = self.companies[-1]
        self.weights.append(1 / (index + 1) ** 0.5)
        return NewRecord(stream=co.stream_of(spec.id), kind=co.REGISTERED,
                         data=spec.model_dump(exclude_none=True), meta=self._meta(),
                         key=f"company:{spec.id}:registered", refs=(spec.id,))

    def _pick_companies(self, count: int) -> list[str]:
        chosen: list[str] = []
        while len(chosen) < count:
            company = self.rng.choices(self.companies, self.weights)[0]
            while company.merged_into is not None:
                company = self.by_id[company.merged_into]
            if company.id not in chosen:
                chosen.append(company.id)
        return chosen

    # -- payloads -----------------------------------------------------------------------

    def _meta(self) -> dict[str, Any]:
        actor = "feeds" if self.rng.random() < 0.8 else "curator:ana"
        return {"actor": actor, "correlation": str(uuid.UUID(int=self.rng.getrandbits(128)))}

    def _field_options(self, etype: ev.EventType) -> list[tuple[str, str]]:
        rng = self.rng
        country = rng.choice(_COUNTRIES)
        options: list[tuple[str, str]] = [("country", country)]
        if rng.random() < 0.6:
            options.append(("city", rng.choice(_CITIES[country])))
        if rng.random() < 0.5:
            options.append(("status", rng.choice(_STATUSES)))
        if rng.random() < 0.3:
            options.append(("summary", "The company said the project would create jobs and "
                                       "supply carmakers in the region from 2027."))
        if rng.random() < 0.4:
            options.append(("tags", rng.choice(["lfp,europe", "sodium-ion", "ev,subsidy", "gigafactory"])))
        model_fields = etype.fields.model_fields
        for name in model_fields:
            if rng.random() < 0.6:
                value = self._typed_value(name)
                if value is not None:
                    options.append((name, value))
        if "capacity_gwh" not in model_fields and rng.random() < 0.2:
            options.append(("capacity_gwh", rng.choice(_CAPACITY)))
        if rng.random() < 0.2:
            options.append(("amount", rng.choice(_MONEY)))
        return options

    def _typed_value(self, name: str) -> str | None:
        rng = self.rng
        if name in ("price", "amount", "value", "investment", "debt", "cost", "raised"):
            return rng.choice(_MONEY)
        if name.endswith("_gwh"):
            return rng.choice(_CAPACITY)
        if name == "stake_pct":
            return str(rng.choice([10, 25, 51, 80, 100]))
        if name in ("jobs", "jobs_cut", "units"):
            return str(rng.randrange(100, 20000))
        if name == "product":
            return rng.choice(_PRODUCTS)
        if name == "phase":
            return rng.choice(["announced", "under construction", "operating", "expanded"])
        if name == "scope":
            return rng.choice(["joint venture", "rnd", "strategic", "supply"])
        if name == "instrument":
            return rng.choice(["subsidy", "tax credit", "tariff", "law", "target"])
        if name == "round":
            return rng.choice(["Series A", "Series B", "Series C", "strategic"])
        if name == "effective_date":
            return None  # not generated: it was refused when these logs were first cached
        if name == "exchange":
            return rng.choice(["SZSE", "HKEX", "NYSE", "KRX"])
        if name == "ticker":
            return f"{rng.randrange(100000, 999999)}"
        if name == "person":
            return rng.choice(["Zeng Yuqun", "Wang Chuanfu", "Peter Carlsson", "李明"])
        if name in ("from_title", "to_title"):
            return rng.choice(["CEO", "CFO", "chair", "CTO"])
        if name in ("procedure",):
            return rng.choice(["Chapter 11", "administration", "破产重整"])
        if name in ("term",):
            return rng.choice(["2025-2030", "five years"])
        if name in ("former_name", "new_name"):
            return rng.choice(["Volt Energy", "Nova Cells", "远景AESC"])
        return None

    def _changes(self, etype: ev.EventType) -> dict[str, Any]:
        """Validated changes, from a pool filled by the app's own `field_changes`."""
        pool = self.changes_pool.setdefault(etype.name, [])
        if len(pool) < 200:
            pool.append(field_changes(etype, self._field_options(etype), current_fields={}))
        return self.rng.choice(pool)

    def _source(self, event_id: str, when: datetime) -> dict[str, Any]:
        publisher, language = self.rng.choice(_PUBLISHERS)
        self.serial += 1
        quote = ("据报道，该公司计划投资建设新的电池生产基地，预计2027年投产。" if language == "zh"
                 else "The company said it plans to invest in a new battery plant, "
                      "with production expected to start in 2027.")
        return {"url": f"https://{publisher}.example/news/{self.serial}-{event_id}",
                "publisher": publisher, "language": language,
                "published": format_timestamp(when - timedelta(hours=self.rng.randrange(1, 72))),
                "quote": quote, "confidence": round(self.rng.uniform(0.6, 1.0), 2)}

    def _title(self, etype: str, names: list[str], changes: dict[str, Any]) -> str:
        rng = self.rng
        zh = rng.random() < 0.4
        template = (_ZH_TITLES if zh else _EN_TITLES)[etype]
        return template.format(
            a=names[0], b=names[1] if len(names) > 1 else names[0],
            money=rng.choice(_MONEY), cap=rng.choice(_CAPACITY),
            city=rng.choice(_ZH_CITIES) if zh else rng.choice(_CITIES[rng.choice(_COUNTRIES)]),
            product=rng.choice(_PRODUCTS),
        )

    def _report(self, when: datetime) -> NewRecord:
        rng = self.rng
        etype = ev.event_type(rng.choices(list(_TYPE_WEIGHTS), list(_TYPE_WEIGHTS.values()))[0])
        count = 1 if len(etype.roles) == 1 and rng.random() < 0.7 else rng.choice([1, 2, 2, 3])
        ids = self._pick_companies(min(count, len(self.companies)))
        roles = [etype.roles[min(i, len(etype.roles) - 1)] for i in range(len(ids))]
        names = [self.by_id[i].name for i in ids]
        while True:
            event_id = f"ev-{rng.getrandbits(40):010x}"
            if event_id not in self.event_ids:
                break
        self.event_ids.add(event_id)
        year = rng.randrange(2008, 2027)
        precision = rng.random()
        date_text = (f"{year}" if precision < 0.1 else f"{year}-{rng.randrange(1, 13):02d}"
                     if precision < 0.4 else f"{year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}")
        date = parse_date(date_text)
        changes = self._changes(etype)
        # The shape of Timeline.build_report, key for key.
        payload: dict[str, Any] = {
            "id": event_id, "type": etype.name, "date": str(date), "date_note": date.note,
            "title": self._title(etype.name, names, changes),
            "companies": [{"company": c, "role": r} for c, r in zip(ids, roles)],
            "sources": [self._source(event_id, when) for _ in range(rng.choice([1, 1, 1, 2]))],
        }
        payload.update(changes)
        payload.setdefault("status", "announced")
        payload = ev.reported_payload(payload)
        self.events.append(_Event(event_id, etype.name, ids))
        key = f"feed:{rng.choice(_PUBLISHERS)[0]}:{rng.getrandbits(64):016x}" if rng.random() < 0.7 else None
        return NewRecord(stream=ev.stream_of(event_id), kind=ev.REPORTED, data=payload,
                         schema=current_schema(ev.REPORTED), meta=self._meta(), key=key,
                         refs=tuple(ids))

    def _target(self) -> _Event | None:
        """An event to correct, retract or add a source to: mostly a recent one."""
        rng = self.rng
        for _ in range(10):
            if rng.random() < 0.85:
                age = min(int(rng.expovariate(1 / 1000)), len(self.events) - 1)
                event = self.events[-1 - age]
            else:
                event = rng.choice(self.events)
            if not event.retracted:
                return event
        return None

    def _follow_up(self, when: datetime) -> NewRecord | None:
        rng = self.rng
        event = self._target()
        if event is None:
            return None
        stream = ev.stream_of(event.id)
        roll = rng.random()
        if roll < 0.42:
            etype = ev.event_type(event.type)
            changes: dict[str, Any] = dict(self._changes(etype)) if rng.random() < 0.5 else {
                "status": rng.choice(["approved", "started", "completed", "cancelled"])}
            refs: tuple[str, ...] = ()
            if rng.random() < 0.1:
                ids = self._pick_companies(min(len(event.companies) + 1, len(self.companies)))
                changes["companies"] = [{"company": c, "role": etype.roles[min(i, len(etype.roles) - 1)]}
                                        for i, c in enumerate(ids)]
                event.companies = ids
                refs = tuple(ids)
            return NewRecord(stream=stream, kind=ev.CORRECTED, meta=self._meta(), refs=refs,
                             data={"changes": changes, "reason": "the company's filing gives other figures"})
        if roll < 0.59:
            event.retracted = True
            return NewRecord(stream=stream, kind=ev.RETRACTED, meta=self._meta(),
                             data={"reason": "duplicate of an earlier report"})
        return NewRecord(stream=stream, kind=ev.SOURCE_ADDED, meta=self._meta(),
                         data={"source": self._source(event.id, when)},
                         key=f"feed:source:{rng.getrandbits(64):016x}")

    def _company_change(self) -> NewRecord | None:
        rng = self.rng
        live = [c for c in rng.sample(self.companies, min(20, len(self.companies))) if not c.merged_into]
        if len(live) < 2:
            return None
        company = live[0]
        stream = co.stream_of(company.id)
        roll = rng.random()
        if roll < 0.25:
            into = live[1]
            company.merged_into = into.id
            return NewRecord(stream=stream, kind=co.MERGED, meta=self._meta(),
                             data={"into": into.id, "reason": "acquired"}, refs=(company.id, into.id))
        if roll < 0.6:
            self.serial += 1
            alias = f"{company.name.split()[0]} {rng.choice(_ZH_SUFFIX)} {self.serial}"
            return NewRecord(stream=stream, kind=co.ALIASED, meta=self._meta(), data={"alias": alias},
                             key=f"company:{company.id}:alias:{co.lookup_key(alias)}",
                             refs=(company.id,))
        self.serial += 1
        company.name = f"{company.name.split()[0]} Group {self.serial}"
        return NewRecord(stream=stream, kind=co.RENAMED, meta=self._meta(),
                         data={"name": company.name}, refs=(company.id,))

    # -- the whole log ------------------------------------------------------------------

    def batches(self, start: datetime, span: timedelta) -> Any:
        """(moment, records) batches until `records` records were produced."""
        n_companies = max(20, self.records // 500)
        n_batches = max(1, -(-self.records // APPEND_BATCH))
        step = span / n_batches
        when = start
        pending: list[NewRecord] = []
        for index in range(min(n_companies, self.records)):
            pending.append(self._register(index))
        produced = 0
        company_changes = max(2, self.records // 2500)
        while produced < self.records:
            room = self.records - produced
            while len(pending) < min(APPEND_BATCH, room):
                roll = self.rng.random()
                record: NewRecord | None
                if roll < 0.12 and len(self.events) > 10:
                    record = self._follow_up(when)
                elif roll < 0.12 + company_changes / self.records:
                    record = self._company_change()
                else:
                    record = self._report(when)
                if record is not None:
                    pending.append(record)
            batch, pending = pending[:APPEND_BATCH], pending[APPEND_BATCH:]
            produced += len(batch)
            yield when, batch
            when += step


def build(records: int, path: Path | None = None, quiet: bool = False) -> Path:
    """The log of `records` records, from the cache when it is there."""
    target = path or log_path(records)
    if target.exists():
        return target
    partial = target.with_suffix(".partial")
    remove_db(partial)
    db = SQLiteDatabase(partial)
    db.migrate()
    moment = [datetime(2024, 1, 1, tzinfo=timezone.utc)]
    store = SQLiteRecordStore(db, clock=lambda: format_timestamp(moment[0]))
    generator = Generator(records)
    done = 0
    for when, batch in generator.batches(moment[0], timedelta(days=730)):
        moment[0] = when
        store.append(batch)
        done += len(batch)
        if not quiet and done % 100_000 < APPEND_BATCH:
            print(f"  building the log: {done:,} / {records:,} records", file=sys.stderr, flush=True)
    store.index_refs()  # as the app's first catch-up would
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    partial.rename(target)
    remove_db(partial)  # a clean close leaves no -wal/-shm; this is only in case
    return target

