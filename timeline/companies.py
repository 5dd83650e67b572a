"""Companies: stable ids, names and aliases in every script they are written in.

The same company is written `AESC`, `ＡＥＳＣ`, `aesc`, `远景动力` and `遠景動力`. Lookup keys
fold the differences that never change meaning — letter case, full/half width, traditional
and simplified Chinese characters, runs of spaces — and nothing more: "GM" and "GMC" stay
apart. Companies are registered, renamed, aliased and merged through records like events.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from timeline.chinese import simplified
from timeline.errors import InvalidField
from timeline.records import Record
from timeline.texts import one_line

COMPANY_STREAM_PREFIX = "company-"
REGISTERED = "company.registered"
ALIASED = "company.aliased"
RENAMED = "company.renamed"
MERGED = "company.merged"
COMPANY_KINDS = (REGISTERED, ALIASED, RENAMED, MERGED)

_COMPANY_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def _company_id(value: str) -> str:
    if not _COMPANY_ID.fullmatch(value):
        raise ValueError(f"{value!r} is not a company id: lowercase letters, digits, - and _, "
                         "starting with a letter or digit, at most 64 (e.g. catl, lg-energy)")
    return value


CompanyId = Annotated[str, AfterValidator(_company_id)]

# ISO 3166-1 alpha-2: the 249 codes assigned, and two more in common use (EU, reserved by
# ISO for the European Union, whose policies are news here; XK, Kosovo's code in use).
COUNTRY_CODES = frozenset("""
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW EU XK
""".split())


def country_code(value: str) -> str:
    """An ISO 3166 alpha-2 code, in capitals."""
    code = value.strip().upper()
    if code == "UK":
        raise ValueError("'UK' is not the ISO 3166 code of the United Kingdom: it is GB")
    if code not in COUNTRY_CODES:
        raise ValueError(f"{value!r} is not an ISO 3166 country code such as CN, GB or US")
    return code


CountryCode = Annotated[str, AfterValidator(country_code)]

_SPACES = re.compile(r"\s+")
NAME_LIMIT = 200


def company_name(field: str, value: str) -> str:
    """A company's name or alias as it is stored: one printable line of at most 200
    characters that can stand for a company in text (InvalidField naming `field`)."""
    try:
        return _checked_name(value)
    except ValueError as exc:
        raise InvalidField(field, str(exc)) from None


def _checked_name(value: str) -> str:
    text = one_line("it", value)
    if not text:
        raise ValueError("must not be empty")
    if len(text) > NAME_LIMIT:
        raise ValueError(f"is {len(text):,} characters long; at most {NAME_LIMIT}")
    if (problem := name_problem(text)) is not None:
        raise ValueError(f"{text!r} {problem}")
    return text


# Words that name no company on their own (places may: a government body is registered as
# one, "EU" for the European Commission): as a name or an alias, each would make every
# text that uses it "mention" the company (a note giving `aliases: [the, 电池]` did, and
# a company called "Said" took CATL's plant from "CATL said it will invest ...").
COMMON_WORDS = frozenset("""
    a about after all also an and any are as at be been before being but by can could did
    do does for from had has have he her his how if in into is it its just may more most
    new no not now of on one only or other our out over per said say says she so some such
    than that the their them then there these they this those to two up us was we were what
    when which while who will with would yet you
    ag co corp inc llc ltd plc sa se company companies group holding holdings unit
    battery batteries cell cells car cars ev evs electric energy factory gigafactory grid
    motor motors plant plants power storage technology vehicle vehicles gwh mwh kwh billion
    million percent deal news report
    电池 公司 集团 汽车 能源 科技 动力 新能源 股份 有限公司 控股 工厂 亿元 万元
    电动车 电动汽车 储能 项目 企业 新闻
""".split())


def name_problem(text: str) -> str | None:
    """Why `text` cannot stand for a company in text, or None: a single character, a
    common word, or no letter at all (`100`, `2024`) would be found in nearly every article."""
    key = lookup_key(text)
    if len(key) < 2:
        return "is too short to stand for a company in text (two characters at least)"
    if key in COMMON_WORDS or key.removesuffix("s") in COMMON_WORDS:
        return "is a common word, found in nearly every article: it cannot stand for a company"
    if not any(c.isalpha() for c in key):
        return "has no letter: it cannot stand for a company in text"
    return None


# A name and an alias alike: both are found in text.
CompanyName = Annotated[str, AfterValidator(_checked_name)]


class CompanySpec(BaseModel):
    """A company as config.toml and `companies add` declare it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: CompanyId
    name: CompanyName
    aliases: list[CompanyName] = Field(default_factory=list)
    country: CountryCode | None = None


def follow_merges(company_id: str, merged_into: Callable[[str], str | None]) -> str:
    """The company `company_id` lives on as: itself, or the survivor of its merges
    (`merged_into` names the company one was merged into; a cycle stops where it closes)."""
    seen = set()
    while company_id not in seen:
        seen.add(company_id)
        into = merged_into(company_id)
        if not into:
            return company_id
        company_id = into
    return company_id


def lookup_key(text: str) -> str:
    """The form under which names are compared: NFKC, casefolded, simplified Chinese."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _SPACES.sub(" ", folded).strip()
    return simplified(folded)


def stream_of(company_id: str) -> str:
    return COMPANY_STREAM_PREFIX + company_id


def names_of(state: dict[str, Any]) -> list[str]:
    """Every name a company answers to: its id, its name, former names and aliases."""
    return list(dict.fromkeys([state["id"], state["name"], *state["former_names"], *state["aliases"]]))


def fold_company(state: dict[str, Any] | None, record: Record) -> dict[str, Any] | None:
    """One step of a company's history. Pure: the input state is never modified."""
    kind, data = record.kind, record.data
    if kind == REGISTERED:
        return {
            "id": data["id"], "name": data["name"], "country": data.get("country"),
            "aliases": list(data.get("aliases", [])), "former_names": [],
            "merged_into": None, "absorbed": [], "registered_at": record.recorded_at,
        }
    if state is None:
        return None
    state = dict(state)
    if kind == ALIASED:
        state["aliases"] = [*state["aliases"], data["alias"]]
    elif kind == RENAMED:  # a name taken back is no longer a former one
        former = [*state["former_names"], state["name"]]
        state["former_names"] = [name for name in former if name != data["name"]]
        state["name"] = data["name"]
    elif kind == MERGED:
        state["merged_into"] = data["into"]
    return state
