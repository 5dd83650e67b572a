"""The figures and names a type's own fields are made of.

Money and capacities come from `timeline.quantities` (one grammar for the CLI and for
articles); this module adds what only articles need: a stake ("51% stake", "26%股权"), jobs
("create 1,000 jobs", "2000个工作岗位"), recalled units ("20,000 vehicles", "12万辆"), the
product ("NCM811", "LFP", "Megapack"), a stock exchange and ticker, a bankruptcy procedure,
a policy instrument, people and titles for leadership changes, and the names of a rebrand.

Every finder takes the text and a span, so that the caller decides the scope (a clause, a
sentence) and nothing is searched twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from feeds.extract.lazy import AnyWord, for_lowered, lowered
from feeds.extract.phrases import Phrases
from timeline.quantities import CAPACITY_PATTERN, MONEY_PATTERN, Amount, capacity_from_match, money_from_match

__all__ = [
    "money_in", "capacities_in", "stake_pct", "count_near", "jobs_in", "jobs_cut_in", "units_in",
    "product_in", "exchange_in", "ticker_in",
    "procedure_in", "titles_in", "person_near", "rebrand_names",
]

# The grammar of `timeline.quantities`, searched the fast way (see `feeds.extract.phrases`).
_MONEY = Phrases([MONEY_PATTERN.pattern], MONEY_PATTERN.flags)
_CAPACITY = Phrases([CAPACITY_PATTERN.pattern], CAPACITY_PATTERN.flags)


def _capacity_units() -> AnyWord | None:
    """The capacity grammar's units alone: no unit in a span, no capacity in it (most
    sentences with a digit name none, and the grammar tried at every number costs more
    than a look for the units)."""
    found = re.search(r"\(\?P<unit>((?:[^()\\]|\\.)*)\)$", CAPACITY_PATTERN.pattern)
    if found is None:
        return None
    units = [re.sub(r"\\(.)", r"\1", unit) for unit in found.group(1).split("|")]
    if any(re.escape(unit) != escaped for unit, escaped in zip(units, found.group(1).split("|"))):
        return None  # not a plain list of words any more
    return AnyWord(units)


_CAPACITY_UNITS = _capacity_units()
_DIGIT = re.compile(r"\d")
_YEAR_ONLY = re.compile(r"(?:19|20)\d\d\s*年?")
_APPROX_BEFORE = re.compile(r"(?:约为|约合|约达|大约为|预计为|接近)\s*$")


def _table(entries: tuple[tuple[re.Pattern[str], object], ...]) -> Phrases:
    """All `entries` searched in one pass (see `_first_listed`)."""
    return Phrases([p.pattern for p, _ in entries])


_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_EN_SCALE = {"thousand": Decimal(1000), "k": Decimal(1000), "million": Decimal(10) ** 6,
             "m": Decimal(10) ** 6, "mn": Decimal(10) ** 6}
_ZH_SCALE = {"千": Decimal(1000), "万": Decimal(10000), "十万": Decimal(100000),
             "百万": Decimal(10) ** 6, "千万": Decimal(10) ** 7}

_STAKE = re.compile(
    rf"(?P<a>{_NUM})\s?%\s*(?:的)?\s*(?:stake|interest|equity|shareholding|holding|ownership"
    rf"|of\s+(?:the\s+)?(?:shares|stock|equity|company)|股权|股份|权益|的股权|的股份)"
    rf"|(?:stake|股权|股份|持股|持股比例)\s*(?:of\s+|为|达|至)?\s*(?P<b>{_NUM})\s?%",
    re.I,
)
# Each count pattern opens with a lookahead for the characters its matches can start with
# (a qualifier, a digit, a Chinese noun): a necessary condition, so the matches are the same,
# but the engine turns most positions away with one character test instead of trying
# every alternative there.
_JOBS = re.compile(
    rf"(?=[uasmon\d员雇工])(?:"
    rf"(?<!cut\s)(?<!cuts\s)(?<!off\s)(?:up\s+to\s+|about\s+|around\s+|some\s+|more\s+than\s+|over\s+"
    rf"|nearly\s+|almost\s+)?"
    rf"(?P<n>{_NUM})\s*(?P<s>thousand|k\b)?\s+(?:new\s+|direct\s+|skilled\s+|local\s+|full-time\s+)?"
    rf"(?:jobs|workers|employees|positions|staff|roles|people)\b"
    rf"|(?P<zn>{_NUM})\s*(?P<zs>万|千)?\s*(?:个|名)?(?:工作岗位|就业岗位|岗位|就业机会|员工|工人|雇员|职位)"
    rf"|(?:员工|雇员|工人)\s*(?:约|近|超过)?\s*(?P<yn>{_NUM})\s*(?P<ys>万|千)?\s*(?:人|名))",
    re.I,
)
_JOBS_CUT = re.compile(
    rf"(?=[clse\d裁削减])(?:"
    rf"(?:cut(?:s|ting)?|lay(?:s|ing)?\s+off|laid\s+off|shed(?:s|ding)?|eliminat(?:e|es|ed|ing))\s+"
    rf"(?:about\s+|around\s+|some\s+|nearly\s+|almost\s+|up\s+to\s+"
    rf"|more\s+than\s+)?(?P<n>{_NUM})\s*(?P<s>thousand|k\b)?"
    rf"|(?P<yn>{_NUM})\s*(?P<ys>thousand|k\b)?\s+(?:jobs|workers|employees|positions|staff|roles|people)\b"
    rf"(?=[^.;]{{0,40}}\b(?:cut|lost|affected|redundan|laid\s+off|lose|go)\w*)"
    rf"|(?:裁员|裁减|裁撤|削减|减少)\s*(?:约|近|超过)?\s*(?P<zn>{_NUM})\s*(?P<zs>万|千)?\s*(?:个|名)?(?:人|岗位|个岗位|工作岗位|员工)?)",
    re.I,
)
_UNITS = re.compile(
    rf"(?=\d)(?:"
    rf"(?P<n>{_NUM})\s*(?P<s>million|thousand)?\s+(?:[\w-]+\s+){{0,3}}?"
    rf"(?:vehicles|cars|SUVs|trucks|units|EVs|buses|pickups|hybrids|models|scooters|battery\s+packs|packs)\b"
    rf"|(?P<zn>{_NUM})\s*(?P<zs>万|千)?\s*(?:辆|台|套))",
    re.I,
)
# Cheap checks before the costly patterns: no job word, no jobs figure.
_JOB_WORDS = AnyWord("jobs|workers|employees|positions|staff|roles|people|岗位|员工|工人|雇员|就业|裁员|裁减|裁撤|职位"
                     .split("|"))
_UNIT_WORDS = AnyWord("vehicles|cars|SUVs|trucks|units|EVs|buses|pickups|hybrids|models|scooters|packs|辆|台|套".split("|"))
_CURRENCY_WORDS = (r"(?:usd|eur|gbp|cny|rmb|jpy|krw|hkd|chf|sek|nok|dkk|pln|huf|czk|cad|aud|inr|idr"
                   r"|sgd|mxn|brl|try|dollars?|euros?|pounds?|yuan|renminbi|yen|won)")
_CURRENCY_HINT = re.compile(rf"[$€£¥￥₩元币镑郎]|(?<![A-Za-z]){_CURRENCY_WORDS}(?![A-Za-z])", re.I)
# The same test in two cheaper parts: the signs (one character class: the engine's fast
# scan), then the words in the lower-cased span, case-sensitively (see `feeds.extract.lazy`).
_CURRENCY_SIGN = re.compile(r"[$€£¥￥₩元币镑郎]")
_CURRENCY_WORD = re.compile(rf"(?<![a-z]){_CURRENCY_WORDS}(?![a-z])")


def _currency_hint(text: str, start: int, end: int) -> bool:
    """`_CURRENCY_HINT.search(text, start, end)`, faster."""
    if _CURRENCY_SIGN.search(text, start, end) is not None:
        return True
    context = max(0, start - 1)  # the character before the span, for the lookbehind
    span = lowered(text, context, end)
    if span is None:
        return _CURRENCY_HINT.search(text, start, end) is not None
    return _CURRENCY_WORD.search(span, start - context) is not None
_PRODUCTS: tuple[tuple[re.Pattern[str], str | None], ...] = tuple(
    (re.compile(p, re.I), label) for p, label in (
        (r"N[CM][MC]\s?-?\s?(?:811|622|523|955|9\.5\.5|111)", None),
        (r"(?<![A-Za-z])LMFP(?![A-Za-z])|磷酸锰铁锂", "LMFP"),
        (r"(?<![A-Za-z])LFP(?![A-Za-z])|磷酸铁锂|lithium iron phosphate", "LFP"),
        (r"(?<![A-Za-z])NCA(?![A-Za-z])", "NCA"),
        (r"钠离子|sodium-ion", "sodium-ion"),
        (r"半固态|固态电池|solid-state", "solid-state"),
        (r"(?<!\d)4680(?!\d)|46-series|大圆柱", "4680 cells"),
        (r"Megapacks?", "Megapack"),
        (r"三元锂电池|三元电池|三元|(?<![A-Za-z])NMC(?![A-Za-z])|(?<![A-Za-z])NCM(?![A-Za-z])", "NCM"),
        (r"储能电池|储能|energy[- ]storage", "energy storage"),
        (r"正极材料|cathode(?:\s+materials?)?", "cathode"),
        (r"负极材料|anode(?:\s+materials?)?", "anode"),
        (r"动力电池|电芯|battery\s+cells|cells", "battery cells"),
        (r"battery\s+packs|电池包", "battery packs"),
    )
)
_EXCHANGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), name) for p, name in (
        (r"Nasdaq\s+Stockholm|斯德哥尔摩证券交易所", "Nasdaq Stockholm"),
        (r"Korea\s+Exchange|(?<![A-Za-z])KRX(?![A-Za-z])|KOSPI|韩国交易所|韩交所", "KRX"),
        (r"Nasdaq|纳斯达克", "Nasdaq"),
        (r"New\s+York\s+Stock\s+Exchange|(?<![A-Za-z])NYSE(?![A-Za-z])|纽交所|纽约证券交易所", "NYSE"),
        (r"Shenzhen\s+Stock\s+Exchange|ChiNext|深交所|深圳证券交易所|创业板", "SZSE"),
        (r"Shanghai\s+Stock\s+Exchange|STAR\s+Market|上交所|上海证券交易所|科创板", "SSE"),
        (r"Hong\s+Kong\s+(?:Stock\s+)?Exchange|HKEX|港交所|香港联交所|联交所|港股", "HKEX"),
        (r"London\s+Stock\s+Exchange|(?<![A-Za-z])LSE(?![A-Za-z])|伦敦证券交易所", "LSE"),
        (r"Tokyo\s+Stock\s+Exchange|东京证券交易所|东证", "TSE"),
        (r"Frankfurt\s+Stock\s+Exchange|法兰克福证券交易所", "FWB"),
    )
)
_TICKER = re.compile(
    r"(?:ticker|stock\s+code|symbol|股票代码|证券代码|代码)\s*(?:[:：]|为|是|is)?\s*[\"“(（]?(?P<a>[A-Z0-9]{2,8}(?:\.[A-Z]{1,3})?)"
    r"|[(（](?:NYSE|NASDAQ|Nasdaq|KRX|KOSPI|SZSE|SSE|HKEX|LSE|TSE)\s*[:：]\s*(?P<b>[A-Z0-9]{1,8}(?:\.[A-Z]{1,3})?)[)）]"
)
_PROCEDURES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), name) for p, name in (
        (r"Chapter\s+11", "Chapter 11"),
        (r"Chapter\s+7", "Chapter 7"),
        (r"Chapter\s+15", "Chapter 15"),
        (r"\badministration\b|\badministrators?\b", "administration"),
        (r"receivership", "receivership"),
        (r"reconstruction", "reconstruction"),
        (r"破产重整|司法重整|重整|reorgani[sz]ation", "reorganization"),
        (r"破产清算|清算|liquidat", "liquidation"),
        (r"破产保护|creditor\s+protection|bankruptcy\s+protection", "bankruptcy protection"),
        (r"insolven", "insolvency"),
        (r"破产|bankrupt", "bankruptcy"),
    )
)
_PRODUCT_TABLE = _table(_PRODUCTS)
_EXCHANGE_TABLE = _table(_EXCHANGES)
_PROCEDURE_TABLE = _table(_PROCEDURES)
_TITLES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), name) for p, name in (
        (r"chief\s+executive(?:\s+officer)?|(?<![A-Za-z])CEO(?![A-Za-z])|首席执行官|行政总裁", "CEO"),
        (r"chief\s+financial\s+officer|(?<![A-Za-z])CFO(?![A-Za-z])|首席财务官|财务总监", "CFO"),
        (r"chief\s+technology\s+officer|(?<![A-Za-z])CTO(?![A-Za-z])|首席技术官", "CTO"),
        (r"chief\s+operating\s+officer|(?<![A-Za-z])COO(?![A-Za-z])|首席运营官", "COO"),
        (r"chair(?:man|woman|person)?\b|董事长|董事会主席", "chairman"),
        (r"vice\s+president|副总裁", "vice president"),
        (r"\bpresident\b|总裁", "president"),
        (r"managing\s+director|总经理", "managing director"),
    )
)
_TITLE_ANY = re.compile("|".join(p.pattern for p, _ in _TITLES), re.I)
_EN_NAME = re.compile(r"\b[A-Z][a-z]+(?:[\s-](?:van|von|de|der|af)\b)?(?:\s+[A-Z][a-zA-Z'’-]+){1,2}\b")
_NOT_NAME = re.compile(
    r"\b(?:Chief|Executive|Officer|Financial|Technology|Operating|President|Chairman|Board|"
    r"January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|The|Group|Energy|Motor|Motors|"
    r"Company|Corporation|Inc|Ltd|Solution|Battery|Batteries|Systems|Technologies|Capital|"
    r"Holdings|Automotive|Commission|Union|Act|Exchange|Stock|Chapter)\b"
)
_ZH_NAME_STOP = re.compile(r"(?:将|已|正式|于|拟|由|的|兼|和|与|及|被|获|宣布|表示|此前|曾)")
_REBRAND_NEW_EN = re.compile(
    r"(?i:renam(?:e|es|ed|ing)|re-?brand(?:s|ed|ing)?)\s+(?i:itself\s+|it\s+|the\s+company\s+)?(?i:as\s+|to\s+)?"
    r"[\"“‘']?(?P<n>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3})"
    r"|(?i:new\s+name|now\s+known\s+as|now\s+called)\s*,?\s*[\"“‘']?(?P<m>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3})"
)
_REBRAND_FROM_EN = re.compile(
    r"\bfrom\s+[\"“‘']?(?P<f>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3})[\"”’']?\s+to\s+[\"“‘']?(?P<t>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3})"
)
_REBRAND_NEW_ZH = re.compile(r"(?:更名为|改名为|易名为|升级为|更名|改名)\s*[“\"「『]?(?P<n>[^，。；”\"」』、\s]{1,20}?)[”\"」』]?(?=[，。；、\s]|$|后|以)")
_REBRAND_FROM_ZH = re.compile(r"(?:将|由|原名|原)\s*[“\"「『]?(?P<f>[^，。；”\"」』、\s]{1,20}?)[”\"」』]?\s*(?:正式)?(?:更名|改名|易名)")


def _value(number: str, scale: Decimal | None) -> Decimal:
    return Decimal(number.replace(",", "")) * (scale or Decimal(1))


def stake_pct(text: str, start: int, end: int) -> float | None:
    """The first stake percentage in the span: "51% stake", "26%股权", "持股26%"."""
    if text.find("%", start, end) < 0:
        return None  # every spelling has one
    match = _STAKE.search(text, start, end)
    if match is None:
        return None
    value = float(match["a"] or match["b"])
    return value if 0 < value <= 100 else None


def count_near(pattern: re.Pattern[str], text: str, start: int, end: int,
               anchor: int, words: re.Pattern[str] | AnyWord | None = None) -> int | None:
    """The count matched by `pattern` nearest to `anchor` in the span (named groups n/s,
    zn/zs, yn/ys are number and scale). `words`, when given, is a cheap test (a pattern or
    `AnyWord`) the span must pass for `pattern` to be worth running."""
    if words is not None and not (_DIGIT.search(text, start, end) and words.search(text, start, end)):
        return None
    best: tuple[int, int] | None = None
    # the same matches on the lower-cased span, faster (the groups only hold digits and
    # scale words, which are read lower-cased anyway)
    folded = _FOLDED_COUNTS.get(pattern)
    offset = max(0, start - _LOOKBEHIND)
    span = lowered(text, offset, end) if folded is not None else None
    matches: Iterable[re.Match[str]]
    if folded is not None and span is not None:
        matches = folded.finditer(span, start - offset)
    else:
        offset = 0
        matches = pattern.finditer(text, start, end)
    for match in matches:
        groups = match.groupdict()
        for num, scale in (("n", "s"), ("zn", "zs"), ("yn", "ys")):
            if groups.get(num):
                word = (groups.get(scale) or "").lower()
                factor = _EN_SCALE.get(word) or _ZH_SCALE.get(word)
                amount = _value(groups[num], factor)
                distance = abs(offset + match.start() - anchor)
                if amount == int(amount) and (best is None or distance < best[1]):
                    best = (int(amount), distance)
                break
    return best[0] if best else None


# The count patterns for lower-cased text (see `feeds.extract.lazy.for_lowered`), and how
# far their lookbehinds read ("(?<!cuts\s)").
_FOLDED_COUNTS: dict[re.Pattern[str], re.Pattern[str]] = {p: for_lowered(p) for p in (_JOBS, _JOBS_CUT, _UNITS)}
_LOOKBEHIND = 8


def jobs_in(text: str, start: int, end: int, anchor: int) -> int | None:
    """Jobs created near `anchor`: "create 1,000 jobs", "2000个工作岗位" (never a job cut)."""
    return count_near(_JOBS, text, start, end, anchor, _JOB_WORDS)


def jobs_cut_in(text: str, start: int, end: int, anchor: int) -> int | None:
    """Jobs cut near `anchor`: "cut 1,600 jobs", "3,000 jobs are affected", "裁员1600人"."""
    return count_near(_JOBS_CUT, text, start, end, anchor, _JOB_WORDS)


def units_in(text: str, start: int, end: int, anchor: int) -> int | None:
    """Vehicles or units recalled near `anchor`: "20,000 vehicles", "12万辆"."""
    return count_near(_UNITS, text, start, end, anchor, _UNIT_WORDS)


def _first_listed(table: Phrases, text: str, start: int, end: int) -> tuple[int, re.Match[str]] | None:
    """(index, match) of the earliest-listed entry of `table` found anywhere in the span:
    one pass, and the list order is the order of preference."""
    return min(table.finditer(text, start, end), key=lambda pair: pair[0], default=None)


def product_in(text: str, start: int, end: int) -> str | None:
    """The most specific product the span names: "NCM811" before "NCM" before "cells"."""
    found = _first_listed(_PRODUCT_TABLE, text, start, end)
    if found is None:
        return None
    index, match = found
    label = _PRODUCTS[index][1]
    return label or re.sub(r"[\s-]", "", match.group()).upper().replace("NMC", "NCM")


def exchange_in(text: str, start: int, end: int) -> str | None:
    found = _first_listed(_EXCHANGE_TABLE, text, start, end)
    return _EXCHANGES[found[0]][1] if found else None


def ticker_in(text: str, start: int, end: int) -> str | None:
    match = _TICKER.search(text, start, end)
    return (match["a"] or match["b"]) if match else None


def procedure_in(text: str, start: int, end: int) -> str | None:
    found = _first_listed(_PROCEDURE_TABLE, text, start, end)
    return _PROCEDURES[found[0]][1] if found else None


def titles_in(text: str, start: int, end: int) -> list[tuple[int, str]]:
    """(offset, normalised title) for every title in the span, in order."""
    found: list[tuple[int, str]] = []
    for pattern, name in _TITLES:
        for match in pattern.finditer(text, start, end):
            if not any(abs(match.start() - s) < 3 for s, _ in found):
                found.append((match.start(), name))
    return sorted(found)


def _zh_person(text: str, start: int, anchor: int, taken: Iterable[tuple[int, int]]) -> str | None:
    """The 2-4 character name just before a Chinese verb of office ("曾毓群卸任", "周佳出任")."""
    cut = max(start, anchor - 10)
    for s, e in taken:
        if s < anchor and e > cut:
            cut = max(cut, e)
    for match in _TITLE_ANY.finditer(text, cut, anchor):
        cut = max(cut, match.end())
    segment = text[cut:anchor]
    pieces = _ZH_NAME_STOP.split(segment)
    candidates = [p for p in pieces if p]
    if not candidates:
        return None
    name = candidates[-1] if pieces[-1] else ""
    if not name:
        name = candidates[-1]
    return name if 2 <= len(name) <= 4 and all("\u4e00" <= ch <= "\u9fff" for ch in name) else None


def _zh_person_after(text: str, anchor: int, end: int) -> str | None:
    """"任命张三为首席执行官": the name between an appointing verb and 为/担任."""
    match = re.match(r"\s*([\u4e00-\u9fff]{2,4}?)(?:为|担任|出任|接任)", text[anchor:end])
    return match.group(1) if match else None


def person_near(text: str, start: int, end: int, anchor: int, anchor_end: int,
                taken: Iterable[tuple[int, int]], zh: bool) -> str | None:
    """The person a leadership change is about: the nearest personal name to the verb that
    is not a company mention, a title or a date."""
    spans = list(taken)
    if zh:
        after = _zh_person_after(text, anchor_end, end)
        return after or _zh_person(text, start, anchor, spans)
    best: tuple[int, str] | None = None
    for match in _EN_NAME.finditer(text, start, end):
        name = match.group()
        if _NOT_NAME.search(name) or any(match.start() < e and s < match.end() for s, e in spans):
            continue
        distance = min(abs(match.start() - anchor_end), abs(match.end() - anchor))
        if best is None or distance < best[0]:
            best = (distance, name)
    return best[1] if best else None


def rebrand_names(text: str, start: int, end: int, zh: bool) -> tuple[str | None, str | None]:
    """(former name, new name) of a rebrand, as the text wrote them."""
    if zh:
        new = _REBRAND_NEW_ZH.search(text, start, end)
        old = _REBRAND_FROM_ZH.search(text, start, end)
        return (old["f"] if old else None), (new["n"] if new else None)
    pair = _REBRAND_FROM_EN.search(text, start, end)
    if pair is not None:
        return pair["f"], pair["t"]
    new = _REBRAND_NEW_EN.search(text, start, end)
    return None, ((new["n"] or new["m"]) if new else None)


def money_in(text: str, start: int, end: int) -> list[tuple[re.Match[str], Amount]]:
    """Every sum of money in text[start:end], except years the grammar could misread.

    "约为10亿美元" and "约合" are approximate too, though a word stands between 约 and the sum.
    Only spans with a digit and a currency are searched: the money grammar is the costliest
    pattern of all.
    """
    found: list[tuple[re.Match[str], Amount]] = []
    if not (_DIGIT.search(text, start, end) and _currency_hint(text, start, end)):
        return found
    for _, match in _MONEY.finditer(text, start, end):
        amount = money_from_match(match)
        if _YEAR_ONLY.fullmatch(match.group().strip()):
            continue
        if not amount.approximate and _APPROX_BEFORE.search(text, max(0, match.start() - 4), match.start()):
            amount = amount.model_copy(update={"approximate": True})
        found.append((match, amount))
    return found


def capacities_in(text: str, start: int, end: int) -> list[tuple[re.Match[str], float]]:
    """Every capacity in text[start:end], in GWh, where it stood."""
    if not _DIGIT.search(text, start, end):
        return []
    if _CAPACITY_UNITS is not None and not _CAPACITY_UNITS.search(text, start, end):
        return []
    return [(m, capacity_from_match(m)) for _, m in _CAPACITY.finditer(text, start, end)]

