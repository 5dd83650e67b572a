"""A small gazetteer of the places battery and EV news is written about.

Not a geocoder: the cities, provinces, states and countries where cells, cathodes and cars
are made and regulated in China, Europe and North America (and a few in Japan and Korea),
in English and Chinese. A place resolves to an ISO 3166 country, a region and a city, so
"无锡" is `{"country": "CN", "region": "Jiangsu", "city": "Wuxi"}` and "Sunderland" is
`{"country": "GB", "region": "England", "city": "Sunderland"}`.

Names that are ordinary words or surnames in news ("Marshall", "Florence", "Holland",
"Washington", "Georgia" the country) are left out on purpose: a wrong place is worse than
none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Place", "PlaceMention", "find_places", "location_of"]


@dataclass(frozen=True, slots=True)
class Place:
    country: str
    region: str | None = None
    city: str | None = None

    @property
    def rank(self) -> int:
        """How specific the place is: a city beats a region beats a country."""
        return 2 if self.city else 1 if self.region else 0

    def as_location(self) -> dict[str, str]:
        location = {"country": self.country}
        if self.region:
            location["region"] = self.region
        if self.city:
            location["city"] = self.city
        return location


# (names, country, region, city)
_GAZETTEER: tuple[tuple[tuple[str, ...], str, str | None, str | None], ...] = (
    # China: cities
    (("无锡", "Wuxi"), "CN", "Jiangsu", "Wuxi"),
    (("江阴", "Jiangyin"), "CN", "Jiangsu", "Jiangyin"),
    (("常州", "Changzhou"), "CN", "Jiangsu", "Changzhou"),
    (("溧阳", "Liyang"), "CN", "Jiangsu", "Liyang"),
    (("南京", "Nanjing"), "CN", "Jiangsu", "Nanjing"),
    (("苏州", "Suzhou"), "CN", "Jiangsu", "Suzhou"),
    (("盐城", "Yancheng"), "CN", "Jiangsu", "Yancheng"),
    (("宁德", "Ningde"), "CN", "Fujian", "Ningde"),
    (("厦门", "Xiamen"), "CN", "Fujian", "Xiamen"),
    (("宜宾", "Yibin"), "CN", "Sichuan", "Yibin"),
    (("成都", "Chengdu"), "CN", "Sichuan", "Chengdu"),
    (("上海", "Shanghai"), "CN", "Shanghai", "Shanghai"),
    (("临港", "Lingang"), "CN", "Shanghai", "Shanghai"),
    (("北京", "Beijing"), "CN", "Beijing", "Beijing"),
    (("天津", "Tianjin"), "CN", "Tianjin", "Tianjin"),
    (("重庆", "Chongqing"), "CN", "Chongqing", "Chongqing"),
    (("深圳", "Shenzhen"), "CN", "Guangdong", "Shenzhen"),
    (("广州", "Guangzhou"), "CN", "Guangdong", "Guangzhou"),
    (("肇庆", "Zhaoqing"), "CN", "Guangdong", "Zhaoqing"),
    (("惠州", "Huizhou"), "CN", "Guangdong", "Huizhou"),
    (("合肥", "Hefei"), "CN", "Anhui", "Hefei"),
    (("滁州", "Chuzhou"), "CN", "Anhui", "Chuzhou"),
    (("西安", "Xi'an"), "CN", "Shaanxi", "Xi'an"),
    (("长沙", "Changsha"), "CN", "Hunan", "Changsha"),
    (("武汉", "Wuhan"), "CN", "Hubei", "Wuhan"),
    (("襄阳", "Xiangyang"), "CN", "Hubei", "Xiangyang"),
    (("郑州", "Zhengzhou"), "CN", "Henan", "Zhengzhou"),
    (("济南", "Jinan"), "CN", "Shandong", "Jinan"),
    (("青岛", "Qingdao"), "CN", "Shandong", "Qingdao"),
    (("杭州", "Hangzhou"), "CN", "Zhejiang", "Hangzhou"),
    (("宁波", "Ningbo"), "CN", "Zhejiang", "Ningbo"),
    (("鄂尔多斯", "Ordos"), "CN", "Inner Mongolia", "Ordos"),
    (("柳州", "Liuzhou"), "CN", "Guangxi", "Liuzhou"),
    (("贵阳", "Guiyang"), "CN", "Guizhou", "Guiyang"),
    (("西宁", "Xining"), "CN", "Qinghai", "Xining"),
    (("香港", "Hong Kong"), "HK", None, "Hong Kong"),
    # China: provinces
    (("江苏", "Jiangsu"), "CN", "Jiangsu", None),
    (("福建", "Fujian"), "CN", "Fujian", None),
    (("四川", "Sichuan"), "CN", "Sichuan", None),
    (("广东", "Guangdong"), "CN", "Guangdong", None),
    (("安徽", "Anhui"), "CN", "Anhui", None),
    (("浙江", "Zhejiang"), "CN", "Zhejiang", None),
    (("湖南", "Hunan"), "CN", "Hunan", None),
    (("湖北", "Hubei"), "CN", "Hubei", None),
    (("山东", "Shandong"), "CN", "Shandong", None),
    (("河南", "Henan"), "CN", "Henan", None),
    (("陕西", "Shaanxi"), "CN", "Shaanxi", None),
    (("青海", "Qinghai"), "CN", "Qinghai", None),
    (("江西", "Jiangxi"), "CN", "Jiangxi", None),
    (("广西", "Guangxi"), "CN", "Guangxi", None),
    (("贵州", "Guizhou"), "CN", "Guizhou", None),
    (("云南", "Yunnan"), "CN", "Yunnan", None),
    (("内蒙古", "Inner Mongolia"), "CN", "Inner Mongolia", None),
    # Europe
    (("德布勒森", "Debrecen"), "HU", "Hajdú-Bihar", "Debrecen"),
    (("塞格德", "Szeged"), "HU", "Csongrád-Csanád", "Szeged"),
    (("布达佩斯", "Budapest"), "HU", "Budapest", "Budapest"),
    (("Göd",), "HU", "Pest", "Göd"),
    (("Iváncsa",), "HU", "Fejér", "Iváncsa"),
    (("科马罗姆", "Komárom"), "HU", "Komárom-Esztergom", "Komárom"),
    (("阿恩施塔特", "Arnstadt"), "DE", "Thuringia", "Arnstadt"),
    (("埃尔福特", "Erfurt"), "DE", "Thuringia", "Erfurt"),
    (("图林根", "Thuringia"), "DE", "Thuringia", None),
    (("格伦海德", "Grünheide", "Gruenheide"), "DE", "Brandenburg", "Grünheide"),
    (("柏林", "Berlin"), "DE", "Berlin", "Berlin"),
    (("萨尔茨吉特", "Salzgitter"), "DE", "Lower Saxony", "Salzgitter"),
    (("哥廷根", "Göttingen", "Goettingen"), "DE", "Lower Saxony", "Göttingen"),
    (("Heide",), "DE", "Schleswig-Holstein", "Heide"),
    (("桑德兰", "Sunderland"), "GB", "England", "Sunderland"),
    (("布莱斯", "Blyth"), "GB", "England", "Blyth"),
    (("Cambois",), "GB", "England", "Cambois"),
    (("考文垂", "Coventry"), "GB", "England", "Coventry"),
    (("Bridgwater",), "GB", "England", "Bridgwater"),
    (("Northumberland",), "GB", "England", None),
    (("谢莱夫特奥", "Skellefteå", "Skelleftea"), "SE", "Västerbotten", "Skellefteå"),
    (("韦斯特罗斯", "Västerås", "Vasteras"), "SE", "Västmanland", "Västerås"),
    (("斯德哥尔摩", "Stockholm"), "SE", "Stockholm", "Stockholm"),
    (("哥德堡", "Gothenburg", "Göteborg"), "SE", "Västra Götaland", "Gothenburg"),
    (("弗罗茨瓦夫", "Wrocław", "Wroclaw"), "PL", "Lower Silesia", "Wrocław"),
    (("杜埃", "Douai"), "FR", "Hauts-de-France", "Douai"),
    (("敦刻尔克", "Dunkirk", "Dunkerque"), "FR", "Hauts-de-France", "Dunkirk"),
    (("Douvrin",), "FR", "Hauts-de-France", "Douvrin"),
    (("Navalmoral de la Mata",), "ES", "Extremadura", "Navalmoral de la Mata"),
    (("萨拉戈萨", "Zaragoza"), "ES", "Aragon", "Zaragoza"),
    (("Figueruelas",), "ES", "Aragon", "Figueruelas"),
    (("Sagunto",), "ES", "Valencia", "Sagunto"),
    (("Sines",), "PT", None, "Sines"),
    # North America
    (("De Soto",), "US", "Kansas", "De Soto"),
    (("堪萨斯州", "堪萨斯", "Kansas"), "US", "Kansas", None),
    (("Sparks",), "US", "Nevada", "Sparks"),
    (("里诺", "Reno"), "US", "Nevada", "Reno"),
    (("内华达州", "内华达", "Nevada"), "US", "Nevada", None),
    (("Smyrna",), "US", "Tennessee", "Smyrna"),
    (("Spring Hill",), "US", "Tennessee", "Spring Hill"),
    (("田纳西州", "田纳西", "Tennessee"), "US", "Tennessee", None),
    (("Bowling Green",), "US", "Kentucky", "Bowling Green"),
    (("肯塔基州", "肯塔基", "Kentucky"), "US", "Kentucky", None),
    (("South Carolina", "南卡罗来纳州"), "US", "South Carolina", None),
    (("North Carolina", "北卡罗来纳州"), "US", "North Carolina", None),
    (("Big Rapids",), "US", "Michigan", "Big Rapids"),
    (("Lansing",), "US", "Michigan", "Lansing"),
    (("底特律", "Detroit"), "US", "Michigan", "Detroit"),
    (("密歇根州", "密歇根", "Michigan"), "US", "Michigan", None),
    (("Lordstown",), "US", "Ohio", "Lordstown"),
    (("俄亥俄州", "俄亥俄", "Ohio"), "US", "Ohio", None),
    (("奥斯汀", "Austin"), "US", "Texas", "Austin"),
    (("休斯顿", "Houston"), "US", "Texas", "Houston"),
    (("得克萨斯州", "德克萨斯州", "得克萨斯", "德克萨斯", "Texas"), "US", "Texas", None),
    (("Manteno",), "US", "Illinois", "Manteno"),
    (("伊利诺伊州", "Illinois"), "US", "Illinois", None),
    (("佐治亚州", "Georgia"), "US", "Georgia", None),
    (("亚利桑那州", "Arizona"), "US", "Arizona", None),
    (("Queen Creek",), "US", "Arizona", "Queen Creek"),
    (("弗里蒙特", "Fremont"), "US", "California", "Fremont"),
    (("加州", "加利福尼亚州", "California"), "US", "California", None),
    (("Kokomo",), "US", "Indiana", "Kokomo"),
    (("Indiana",), "US", "Indiana", None),
    (("特拉华州", "Delaware"), "US", "Delaware", None),
    (("纽约", "New York"), "US", "New York", "New York"),
    (("蒙特雷", "Monterrey"), "MX", "Nuevo León", "Monterrey"),
    (("Ontario", "安大略"), "CA", "Ontario", None),
    (("Quebec", "Québec", "魁北克"), "CA", "Quebec", None),
    # Japan, Korea, South-East Asia
    (("东京", "Tokyo"), "JP", "Tokyo", "Tokyo"),
    (("座间", "Zama"), "JP", "Kanagawa", "Zama"),
    (("茨城", "Ibaraki"), "JP", "Ibaraki", None),
    (("首尔", "Seoul"), "KR", "Seoul", "Seoul"),
    (("Ochang", "梧仓"), "KR", "North Chungcheong", "Ochang"),
    (("新加坡", "Singapore"), "SG", None, None),
    # Countries
    (("中国", "China", "mainland China"), "CN", None, None),
    (("匈牙利", "Hungary"), "HU", None, None),
    (("德国", "Germany"), "DE", None, None),
    (("瑞典", "Sweden"), "SE", None, None),
    (("英国", "UK", "U.K.", "Britain", "United Kingdom"), "GB", None, None),
    (("England", "英格兰"), "GB", "England", None),
    (("法国", "France"), "FR", None, None),
    (("西班牙", "Spain"), "ES", None, None),
    (("波兰", "Poland"), "PL", None, None),
    (("葡萄牙", "Portugal"), "PT", None, None),
    (("意大利", "Italy"), "IT", None, None),
    (("捷克", "Czech Republic", "Czechia"), "CZ", None, None),
    (("斯洛伐克", "Slovakia"), "SK", None, None),
    (("挪威", "Norway"), "NO", None, None),
    (("芬兰", "Finland"), "FI", None, None),
    (("荷兰", "Netherlands"), "NL", None, None),
    (("比利时", "Belgium"), "BE", None, None),
    (("塞尔维亚", "Serbia"), "RS", None, None),
    (("摩洛哥", "Morocco"), "MA", None, None),
    (("土耳其", "Turkey", "Türkiye"), "TR", None, None),
    (("印度尼西亚", "印尼", "Indonesia"), "ID", None, None),
    (("泰国", "Thailand"), "TH", None, None),
    (("印度", "India"), "IN", None, None),
    (("日本", "Japan"), "JP", None, None),
    (("韩国", "South Korea", "Korea"), "KR", None, None),
    (("美国", "United States", "US", "U.S.", "USA", "America"), "US", None, None),
    (("墨西哥", "Mexico"), "MX", None, None),
    (("加拿大", "Canada"), "CA", None, None),
    (("巴西", "Brazil"), "BR", None, None),
    (("澳大利亚", "Australia"), "AU", None, None),
)

_PLACES: dict[str, Place] = {
    name: Place(country, region, city)
    for names, country, region, city in _GAZETTEER
    for name in names
}


def _by_first_character() -> tuple[dict[str, tuple[str, ...]], re.Pattern[str]]:
    """Names by first character, longest first, and the positions worth looking at: a
    capital letter that starts a word, or a character some Chinese name starts with.
    Place names are matched case-sensitively: "US" is a country, "us" a pronoun."""
    table: dict[str, list[str]] = {}
    for name in _PLACES:
        table.setdefault(name[0], []).append(name)
    latin = "".join(sorted(ch for ch in table if ch.isascii()))
    other = "".join(sorted(ch for ch in table if not ch.isascii()))
    # (?<![A-Za-z0-9])[latin]|[other], written as one character class first (the engine
    # skips to the next candidate character) with the word-start condition behind it, and
    # the rest of a Latin word passed over (no name starts inside one: a Latin name needs a
    # word start, and the others are not ASCII letters).
    assert all(not ch.isascii() for ch in other)
    starts = re.compile(rf"[{re.escape(latin + other)}](?:(?<=[{re.escape(other)}])|(?<![A-Za-z0-9].)[A-Za-z]*)")
    return {ch: tuple(sorted(names, key=len, reverse=True)) for ch, names in table.items()}, starts


_NAMES_BY_FIRST, _PLACE_STARTS = _by_first_character()


_HEADS = frozenset(name[:2] for name in _PLACES)
# the names of `_NAMES_BY_FIRST` (longest first) by their first two characters: the only
# ones that can start where the text continues with those two
_NAMES_BY_HEAD: dict[str, tuple[str, ...]] = {
    head: tuple(name for name in _NAMES_BY_FIRST[head[0]] if name[:2] == head) for head in _HEADS}


def _name_at(text: str, i: int, end: int) -> str | None:
    """The longest gazetteer name at text[i:], respecting Latin word boundaries."""
    names = _NAMES_BY_HEAD.get(text[i:i + 2])
    if names is None:
        return None
    for name in names:
        stop = i + len(name)
        if stop > end or not text.startswith(name, i):
            continue
        if name[-1].isascii() and stop < len(text) and (text[stop].isalnum() and text[stop].isascii()):
            continue
        if name in ("US", "U.S.") and text.startswith("$", stop):
            continue  # US$: a currency
        return name
    return None


_CN_SUFFIX = re.compile(r"(?:省|市|区|县|州|自治区)")
_LOCATIVE_BEFORE = re.compile(
    r"(?:\b(?:in|at|near|outside|to|into)\s+(?:the\s+)?"
    r"(?:city\s+of\s+|town\s+of\s+|northern\s+|southern\s+|eastern\s+|western\s+|central\s+)?"
    r"|(?:在|于|落户|位于|落地|赴|到|至|选址))$",
    re.I,
)


# The last character `_LOCATIVE_BEFORE` can end on: every English phrase ends in a space, a
# Chinese one in one of these (and "$" also matches before a final "\n", a space too).
_LOCATIVE_LAST = frozenset("在于户地赴到至址")


def _locative(before: str) -> bool:
    """`_LOCATIVE_BEFORE.search(before)`, the search skipped when the last character
    rules it out (most places are not preceded by a locative word)."""
    last = before[-1:]
    return (last.isspace() or last in _LOCATIVE_LAST) and _LOCATIVE_BEFORE.search(before) is not None


# Not frozen, though never changed once made: a frozen dataclass sets each field through
# object.__setattr__, which makes it five times slower to build, and extraction builds
# tens of thousands per poll. Hashable by value all the same (unsafe_hash).
@dataclass(slots=True, unsafe_hash=True)
class PlaceMention:
    place: Place
    start: int
    end: int
    locative: bool     # "in Debrecen", "在无锡", or standing next to another place


def find_places(text: str, start: int, end: int) -> list[PlaceMention]:
    """The gazetteer places written in text[start:end], in order."""
    raw: list[tuple[int, int, Place]] = []
    resume = start
    for hit in _PLACE_STARTS.finditer(text, start, end):
        i = hit.start()
        if i < resume or text[i:i + 2] not in _HEADS:
            continue  # (what `_name_at` would say first)
        name = _name_at(text, i, end)
        if name is not None:
            raw.append((i, i + len(name), _PLACES[name]))
            resume = i + len(name)
    mentions: list[PlaceMention] = []
    previous_end = -10
    for s, e, place in raw:
        if e < end and _CN_SUFFIX.match(text, e):
            e = _CN_SUFFIX.match(text, e).end()  # type: ignore[union-attr]
        before = text[max(start, s - 20):s]
        next_to_place = s - previous_end <= 2  # "江苏无锡", "Szeged, Hungary"
        locative = _locative(before) or next_to_place
        if next_to_place and mentions and not mentions[-1].locative:
            last = mentions[-1]
            mentions[-1] = PlaceMention(last.place, last.start, last.end, True)
        mentions.append(PlaceMention(place, s, e, locative))
        previous_end = e
    return mentions


def location_of(mentions: list[PlaceMention], locative_only: bool) -> dict[str, str]:
    """One location from the places near a happening, or {} when they disagree.

    Places of one country combine into the most specific one. Places of several countries
    ("在日本、美国、英国设有工厂") name no single location.
    """
    chosen = [m for m in mentions if m.locative] if locative_only else list(mentions)
    if not chosen:
        return {}
    countries = {m.place.country for m in chosen}
    if len(countries) > 1:
        located = [m for m in chosen if m.locative]
        if len({m.place.country for m in located}) != 1:
            return {}
        chosen = located
    best = max(chosen, key=lambda m: (m.place.rank, -m.start))
    location = best.place.as_location()
    if "region" not in location:
        for m in chosen:
            if m.place.region:
                location["region"] = m.place.region
                break
    return location
