"""Which kind of happening a sentence reports, from its wording in Chinese or English.

Each event type has trigger phrases in both languages (收购 / acquire / takeover, 召回 /
recall, 破产 / Chapter 11, ...). A trigger has a *flavour* that later stages need: who is
the subject of "sell" is the seller, of "acquire" the acquirer; "raised a funding round"
makes the subject the investee; "投产" says the plant is operating. A trigger is *strong*
when the phrase alone names the type (收购, Chapter 11, gigafactory) and *weak* when it
needs other evidence (合作, "plant", "supplier"); confidence scoring uses the difference.

The phrases behave as one alternation searched once over the whole text (see
`feeds.extract.phrases` for how that is made fast). Order matters where phrases overlap: the more
specific phrase comes first, so "close its plant" is a closure and not a factory, "投资合作"
a partnership and not an investment, "takes over as CEO" a leadership change and not a
takeover.

The module also reads the *status* a sentence gives a happening (rumored, announced,
approved, started, completed, cancelled) from the cue words nearest to its trigger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from feeds.extract.phrases import PairedPhrases, Phrases, Sites

__all__ = ["Cue", "Trigger", "find_cues", "find_triggers", "scan_phrases", "status_near", "PAST_TRIGGER"]

# (type, flavour, strong, pattern) — most specific first.
_RULES: tuple[tuple[str, str, bool, str], ...] = (
    # leadership before takeover: "takes over as chief executive"
    ("leadership_change", "appoint", True, r"\b(?:takes?|took|taking)\s+over\s+as\b"),
    # closures before factories: "close its Skellefteå plant"
    ("factory_closure", "close", True,
     r"\b(?:clos(?:e|es|ed|ing)|shut(?:s|ting)?(?:\s+down)?|shutter(?:s|ed|ing)?|mothball(?:s|ed|ing)?)"
     r"(?:\s+[^\s,.;]+){0,5}?\s+(?:giga)?(?:plants?|factory|factories|facilit(?:y|ies)|sites?"
     r"|production\s+lines?|operations|gigafactory)\b"),
    ("factory_closure", "close", True,
     r"\b(?:plant|factory|facility|site|gigafactory)\s+(?:will\s+|would\s+|is\s+to\s+|to\s+|was\s+"
     r"|has\s+been\s+|had\s+been\s+)?"
     r"(?:be\s+)?(?:close|closes|closed|closing|shut|shuts|shutting)\b"),
    ("factory_closure", "close", True,
     r"\b(?:halt(?:s|ed|ing)?|ceas(?:e|es|ed|ing)|stop(?:s|ped|ping)?|suspend(?:s|ed|ing)?|wind(?:s"
     r"|ing)?\s+down|wound\s+down)"
     r"\s+(?:all\s+|its\s+|the\s+|cell\s+|battery\s+)*(?:production|manufacturing|operations)\b"),
    ("factory_closure", "close", True, r"\b(?:plant|factory)\s+closures?\b|\bclosures?\s+of\b"),
    ("factory_closure", "close", True, r"关闭|关停|停产|停工|关厂|停止生产|暂停生产"),
    ("factory_closure", "jobs", False,
     r"\blay(?:s|ing)?\s+off\b|\blaid\s+off\b|\blayoffs?\b|\bjob\s+cuts?\b|\bredundanc(?:y|ies)\b"
     r"|\bcut(?:s|ting)?\s+(?:about\s+|around\s+|some\s+|nearly\s+)?[\d,.]+(?:\s+(?:thousand"
     r"|million))?\s+(?:jobs|positions|workers|employees|staff)\b"
     r"|裁员|裁撤|裁减"),
    # bankruptcy
    ("bankruptcy", "chapter", True, r"\bChapter\s+(?:11|7|15)\b"),
    ("bankruptcy", "bankrupt", True,
     r"\bbankrupt(?:cy|cies)?\b|\binsolven(?:t|cy|cies)\b|\breceivership\b|\bcreditor\s+protection\b"
     r"|\bliquidat(?:ion|ed|e|es|ing)\b"),
    ("bankruptcy", "administration", True,
     r"\b(?:into|entered|enters|enter|entering)\s+administration\b"
     r"|\b(?:appoint(?:s|ed|ing)?|call(?:s|ed)?\s+in)\s+administrators\b"),
    ("bankruptcy", "bankrupt", True, r"申请破产|破产(?:保护|重整|清算|申请|程序)?|司法重整|重整(?!旗鼓)|清算"),
    # IPO
    ("ipo", "ipo", True,
     r"(?<![A-Za-z])IPOs?(?![A-Za-z])|\binitial\s+public\s+offerings?\b|\bgo(?:es|ing)?\s+public\b|\bwent\s+public\b"
     r"|\b(?:stock\s+market|trading|market|stock\s+exchange)\s+debut\b|\bdebut(?:s|ed)?\s+on\b|\bflotation\b"
     r"|\bshares?\b(?:\s+[^\s,.;]+){1,6}?\s+(?:their|its)\s+debut\b"
     r"|\b(?:largest|biggest|secondary|dual|primary|public|share|stock\s+market|Hong\s+Kong)\s+listings?\b"),
    ("ipo", "ipo", True,
     r"首次公开(?:募股|发行)|挂牌上市|招股|登陆(?:科创板|创业板|主板|港交所|纳斯达克|纽交所)"
     r"|(?<!新车)(?<!车型)(?<!产品)上市(?!公司)(?!车型)(?!新车)(?!企业)(?!以来)"),
    # policy
    ("policy", "tariff", True,
     r"\btariffs?\b|\b(?:countervailing|anti-subsidy|anti-dumping|import|customs|provisional|definitive"
     r"|additional|extra)\s+(?:duties|duty)\b"
     r"|\banti-subsidy\s+(?:investigation|probe)\b|\bduties\s+on\b|反补贴税|反补贴调查|反补贴|反倾销|惩罚性关税|关税|加征"),
    ("policy", "tax_credit", True,
     r"\btax\s+credits?\b|\btax\s+breaks?\b|\btax\s+incentives?\b|税收抵免|税收优惠|减免税|购置税减免|免征"),
    ("policy", "subsidy", True, r"\bsubsid(?:y|ies)\b|\bstate\s+aid\b|补贴|补助"),
    ("policy", "law", True,
     r"\bInflation\s+Reduction\s+Act\b|(?<![A-Za-z])IRA(?![A-Za-z])|\blegislation\b|\bdirective\b|\bnew\s+rules?\b"
     r"|法案|法规|新规|条例"),
    ("policy", "ban", True, r"\bban(?:s|ned|ning)?\b|\bprohibit(?:s|ed|ion)?\b|禁令|禁售|禁止销售"),
    ("policy", "law", False, r"\bregulations?\b|\bmandates?\b|\blaws?\b|政策"),
    ("policy", "target", False, r"\b(?:emissions?|CO2|fleet|quota|sales)\s+targets?\b"),
    # recall
    ("recall", "recall", True, r"\brecall(?:s|ed|ing)?\b|召回"),
    # leadership
    ("leadership_change", "appoint", True,
     r"\bappoint(?:s|ed|ing|ment)?\b|\bpromoted\s+to\b|\bhired\b(?=(?:[^.]|\.(?=\d)){0,40}\bas\b)"
     r"|\bnamed\s+(?:as\s+)?(?:its\s+|the\s+|a\s+|new\s+|interim\s+|acting\s+)*(?:chief|CEO|CFO|CTO|COO|chair"
     r"|chairman|chairwoman|president|head|managing\s+director)\b"
     r"|\bwill\s+(?:become|be)\s+(?:its\s+|the\s+)?(?:new\s+)?(?:CEO|chief\s+executive|chair|chairman|president)\b"
     r"|\bsucceed(?:s|ed|ing)?\b(?=(?:[^.]|\.(?=\d)){0,60}\b(?:as|CEO|chief|chair|chairman|president)\b)"
     r"|出任|任命|接任|履新|聘任|聘请|将担任|接替|继任|新任(?=[^，。]{0,6}(?:董事长|总裁|首席执行官|CEO|总经理))"),
    ("leadership_change", "depart", True,
     r"\bstep(?:s|ped|ping)?\s+down\b|\bresign(?:s|ed|ing|ation)?\b|\bousted\b"
     r"|\bdepart(?:s|ed|ure)\b(?=(?:[^.]|\.(?=\d)){0,40}(?:CEO|chief|chair|president|executive))|辞任|辞去|卸任|离任|辞职"),
    # founding and rebrand
    ("founding", "founded", True,
     r"\b(?:co-)?founded\b|\b(?:was|were|been|being)\s+(?:established|set\s+up|formed|incorporated|created)\b"
     r"|\b(?:established|set\s+up|formed|incorporated)\s+in\s+(?=\d{4})|\bsince\s+its\s+(?:founding"
     r"|establishment|inception)\b"
     r"|注册成立|成立(?!合资)(?!了合资)|创立|创办|创建|组建|诞生"),
    ("rebrand", "rename", True,
     r"\brenam(?:e|es|ed|ing)\b|\bre-?brand(?:s|ed|ing)?\b|\bchang(?:e|es|ed|ing)\s+(?:its|their)\s+name\b"
     r"|更名|改名|易名|品牌升级为"),
    # supply before acquisition ("sells batteries to" is a supply, "sells its unit to" a sale)
    ("supply_deal", "supply", True,
     r"\b(?:sell|sells|selling|sold)\s+(?:[^\s.;]+\s+){0,3}?(?:batter(?:y|ies)|cells|packs|modules|cathodes?"
     r"|anodes?|lithium)\b"
     # "sold its battery unit", "its battery-making unit", "its battery cell unit": the
     # business, not its batteries
     r"(?!(?:[-\s]+[\w-]+){0,2}?[-\s]+(?:units?|business(?:es)?|divisions?|arm|maker|subsidiary"
     r"|operations|company|assets|joint\s+venture|venture|firm|stake|startup|start-up)\b)"),
    ("supply_deal", "buy", True,
     r"\b(?:buy|buys|buying|bought|purchas(?:e|es|ed|ing)|sourc(?:e|es|ed|ing)|order(?:s|ed)?)\s+(?:[^\s.;]+\s+){0,4}?"
     r"(?:batter(?:y|ies)|cells|packs|Megapacks?)\s+from\b"),
    ("supply_deal", "deal", True,
     r"\bsupply\s+(?:deal|agreement|contract|pact|arrangement)s?\b|\b(?:deal|agreement|contract"
     r"|order)s?\s+to\s+(?:supply|provide|deliver)\b"
     r"|\bofftake\b|\bpurchase\s+agreement\b"
     r"|供货协议|供应协议|供应合同|采购协议|采购合同|采购订单|长期供货|独家供应|供货|订单|定点"),
    ("supply_deal", "supply", True,
     r"\b(?:will|to|would|agreed\s+to|set\s+to)\s+(?:supply|provide|deliver)\b|供应(?!链)|配套"
     r"|提供(?=[^，。]{0,12}(?:电池|电芯|储能))"),
    ("supply_deal", "supply", False, r"\bsuppl(?:y|ies|ied|ying)\b(?!\s+chains?)"),
    ("supply_deal", "buy", True, r"采购(?!部)"),
    ("supply_deal", "supplier", False, r"\bsuppliers?\b|供应商"),
    # acquisition
    ("acquisition", "buy", True,
     r"\bacquir(?:e|es|ed|ing)\b|\bacquisitions?\b|\btakeovers?\b|\btak(?:e|es|ing)\s+over\b|\btook\s+over\b"
     r"|\bbuy(?:s|ing)?\s+out\b|\bbought\s+out\b|\bbuyouts?\b|\bmerg(?:e|es|ed|ing)\s+with\b|\bmergers?\b"),
    ("acquisition", "buy", True,
     r"\b(?:buy|buys|buying|bought|purchas(?:e|es|ed|ing))\b(?=(?:\s+[^\s.,;]+){0,6}?\s+(?:stakes?|shares"
     r"|business(?:es)?|units?"
     r"|divisions?|company|maker|firm|startup|start-up|operations|assets|subsidiary|plants?|factory)\b)"
     r"|\b(?:buy|buys|buying|bought)\b(?=\s+(?:(?:the|collapsed|struggling|rival|troubled|bankrupt|its"
     r"|a)\s+){0,2}(?-i:[A-Z]))"),
    ("acquisition", "sell", True,
     r"\b(?:sell|sells|selling|sold|divest(?:s|ed|ing|iture)?|offload(?:s|ed"
     r"|ing)?)\b(?=(?:\s+[^\s.,;]+){0,6}?\s+(?:stakes?|shares"
     r"|business(?:es)?|units?|divisions?|company|operations|assets|subsidiary|plants?|factory|arm|holding|to)\b)"),
    ("acquisition", "stake", True,
     r"\b(?:stakes?|shareholdings?|equity\s+interest)\s+in\b|\b(?:largest|biggest|controlling|majority"
     r"|minority)\s+(?:shareholder|stake(?:holder)?)\b"),
    ("acquisition", "buy", True, r"收购|并购|购入|购得|买下|入股|接盘|收入囊中"),
    ("acquisition", "sell", True, r"出售|卖给|卖予|售予|转让|剥离"),
    ("acquisition", "stake", True, r"(?:认购|受让|取得|获得)[^，。；]{0,25}?(?:股权|股份)|第一大股东|控股股东"),
    ("acquisition", "stake", False, r"将持有[^，。；]{0,25}?(?:股权|股份)"),
    # partnership before investment ("投资合作")
    ("partnership", "jv", True, r"\bjoint[-\s]ventures?\b|(?<![A-Za-z])JVs?(?![A-Za-z])|合资(?:公司|企业|工厂)?|合营"),
    ("partnership", "license", True,
     r"\blicens(?:e|es|ed|ing)\b|\blicence\b|技术授权|技术许可|专利授权|许可协议|授权(?=[^，。]{0,10}技术)"),
    ("partnership", "rnd", True,
     r"\bco-develop(?:s|ed|ing|ment)?\b|\bjointly\s+develop\b|\b(?:R&D|research)\s+(?:partnership"
     r"|collaboration|cooperation)\b"
     r"|联合研发|共同研发|合作研发|联合开发|共同开发"),
    ("partnership", "strategic", True,
     r"\bstrategic\s+(?:partnership|cooperation|alliance|collaboration)\b|\bcooperation\s+agreement\b"
     r"|\bmemorandum\s+of\s+understanding\b|(?<![A-Za-z])MoUs?(?![A-Za-z])|战略合作|合作协议|合作框架|框架协议|合作备忘录|投资合作"),
    ("partnership", "partner", True,
     r"\bpartner(?:s|ed|ing)?\s+with\b|\bteam(?:s|ed|ing)?\s+up\b|\balliance\b|\bcollaborat(?:e|es|ed|ing|ion)\b"
     r"|\bpartnerships?\b|\bjoin(?:s|ed)?\s+forces\b|合作伙伴|联手|携手|牵手|结盟|联盟"),
    ("partnership", "partner", False, r"\bpartners?\b|合作"),
    # investment
    ("investment", "round", True,
     r"\b(?:funding|financing|investment|equity)\s+rounds?\b|\bround\s+of\s+(?:funding|financing)\b|\bseries\s+[A-H]\b"
     r"|\bseed\s+round\b|\bcapital\s+(?:injection|increase)\b"),
    ("investment", "receive", True,
     r"\brais(?:e|es|ed|ing)\b(?=(?:[^.;]|\.(?=\d)){0,50}\b(?:funding|financing|from|investors|round|capital"
     r"|placement)\b)"
     r"|\bsecur(?:e|es|ed|ing)\b(?=(?:[^.;]|\.(?=\d)){0,50}\b(?:funding|financing|investment)\b)"),
    ("investment", "invest", True, r"\binvest(?:s|ed|ing)?\b|战略投资|注资|增资"),
    ("investment", "lead", True, r"领投"),
    ("investment", "invest", True, r"跟投|参投"),
    ("investment", "receive", True, r"获得?[^，。；]{0,20}?(?:投资|注资)|完成[^，。；]{0,15}?融资|(?<![上下])融资(?!租赁|能力|成本|渠道)"),
    ("investment", "invest", True, r"投资(?![者人方商])"),
    ("investment", "invest", False, r"\binvestments?\b"),
    # factories
    ("factory", "construct", True,
     r"\bbr(?:oke|eaks?|eaking)\s+ground\b|\bgroundbreaking\b|\bunder\s+construction\b"
     r"|\b(?:start(?:s|ed)?|began|begin(?:s)?|commenc(?:e|es|ed))\s+construction\b"
     r"|\bconstruction\s+(?:will\s+)?(?:start|starts|started|begin|begins|began)\b|开工|动工|奠基|开建|破土"),
    ("factory", "produce", True,
     r"\b(?:start(?:s|ed|ing)?|begin(?:s|ning)?|began|commenc(?:e|es|ed|ing))\s+(?:mass\s+|volume\s+|cell\s+"
     r"|battery\s+|series\s+)?production\b"
     r"|\b(?:start(?:s|ed)?|begin(?:s)?|began|commenc(?:e|es|ed))\s+(?:producing|making|manufacturing)\b"
     r"|\bproduction\s+(?:started|began|begins|starts|will\s+start|will\s+begin|is\s+expected\s+to\s+(?:start"
     r"|begin))\b|投产|量产"),
    ("factory", "expand", True,
     r"\bexpan(?:d|ds|ded|ding|sion)\b(?=(?:[^.;]|\.(?=\d)){0,60}\b(?:capacity|plant|factory|gigafactory"
     r"|GWh)\b)|扩产|扩建|扩能"),
    ("factory", "plant", True,
     r"\bgiga-?(?:factory|factories|plant)\b|\b(?:battery|cell|cathode|anode|assembly|manufacturing|production"
     r"|EV|vehicle|Megapack)\s+"
     r"(?:plants?|factory|factories|facilit(?:y|ies)|sites?|lines?|hubs?|bases?)\b"
     r"|超级工厂|电池工厂|电池厂|生产基地|产业基地|建厂|生产线|产线"),
    ("factory", "plant", False,
     r"\bfactor(?:y|ies)\b|\bplants?\b|(?<!credit\s)(?<!loan\s)(?<!financing\s)\bfacilit(?:y|ies)\b|工厂|基地|厂房|落户"),
)

_PHRASES = Phrases([rule[3] for rule in _RULES])
# Acronyms that must not ignore case: re-checked after a case-insensitive hit.
_CASED = re.compile(r"(?<![A-Za-z])(?:IPOs?|IRA|JVs?|MoUs?)(?![A-Za-z])")
_ACRONYMS = frozenset({"IPO", "IPOS", "IRA", "JV", "JVS", "MOU", "MOUS"})  # (four letters at most)


# Not frozen, though never changed once made: a frozen dataclass sets each field through
# object.__setattr__, which makes it five times slower to build, and extraction builds
# tens of thousands per poll. Hashable by value all the same (unsafe_hash).
@dataclass(slots=True, unsafe_hash=True)
class Trigger:
    """A phrase that names a happening of `type`, where it stands, and how it reads."""

    type: str
    flavour: str
    strong: bool
    start: int
    end: int
    cue: str


def find_triggers(text: str) -> list[Trigger]:
    """Every trigger phrase of every type in `text`, in order.

    At each position the first rule (in `_RULES` order) that matches wins and the search
    resumes after it, as one alternation of all rules would behave.
    """
    found = (_trigger(index, match) for index, match in _PHRASES.finditer(text))
    return [t for t in found if t is not None]


def _trigger(index: int, match: re.Match[str]) -> Trigger | None:
    etype, flavour, strong, _ = _RULES[index]
    cue = match.group()
    if len(cue) <= 4 and cue.upper() in _ACRONYMS and not _CASED.fullmatch(cue):
        return None  # "ira", "jv": words, not acronyms
    return Trigger(etype, flavour, strong, match.start(), match.end(), cue)


# -- status -------------------------------------------------------------------------------

# (status, English cues, Chinese cues)
_STATUS_WORDS: tuple[tuple[str, str, str], ...] = tuple(
    (status, english, chinese) for status, english, chinese in (
        ("cancelled",
         r"\b(?:cancel(?:s|led|ed|ing)?|scrap(?:s|ped|ping)?|abandon(?:s|ed|ing)?|call(?:s|ed)?\s+off"
         r"|shelv(?:e|es|ed|ing)|pull(?:s|ed)?\s+out|terminat(?:e|es|ed|ing)"
         r"|(?:drop(?:s|ped|ping)?|withdr(?:aw|aws|ew|awn|awing))\s+(?:its\s+|their\s+|the\s+|a\s+)?"
         r"(?:bid|offer|plans?|proposal)|walk(?:s|ed|ing)?\s+away\s+from|pull(?:s|ed)?\s+the\s+plug)\b",
         r"取消|终止|放弃|叫停|搁置|撤回"),
        ("paused",
         r"\b(?:paus(?:e|es|ed|ing)|suspend(?:s|ed|ing)?|put\s+on\s+hold|halt(?:s|ed|ing)?)\b",
         r"暂停|暂缓|推迟"),
        ("rumored",
         r"\b(?:reportedly|(?:is|are)\s+said\s+to|people\s+familiar|sources\s+(?:said|say)|in\s+talks"
         r"|consider(?:s|ing)|weigh(?:s|ing)|explor(?:es|ing)|rumou?r(?:s|ed)?)\b",
         r"传闻|知情人士|洽谈|或将|有意"),
        ("approved",
         r"\b(?:approv(?:e|es|ed|al)|clear(?:s|ed)|clearance|green\s+light|sign(?:s|ed)?\s+off)\b",
         r"批准|获批|通过审查|审批通过|核准"),
        ("completed",
         r"\b(?:complet(?:e|es|ed)|finali[sz](?:e|es|ed)|closed\s+(?:the|its)\s+(?:deal|acquisition|purchase"
         r"|sale)|has\s+been|have\s+been|took\s+effect|signed\s+into\s+law|went\s+public|previously|earlier)\b",
         r"已完成|完成(?!后)|此前|曾经|曾|已于|已经|已|正式生效|宣告|收购了|(?<!将)(?<!将于)正式(?!宣布)"),
        ("started",
         r"\b(?:began|started|begun|broke\s+ground|under\s+construction|operating|in\s+operation|commenced"
         r"|ramp(?:s|ing|ed)?\s+up)\b",
         r"开工|动工|投产|量产|在建|正式启动"),
        ("announced",
         r"\b(?:announc(?:e|es|ed|ing)|plans?|planned|planning|will|to\s+(?:build|acquire|buy|invest|supply"
         r"|open|create)|agreed|agrees|sign(?:s|ed)?|intends?|aims?|propos(?:e|es|ed)|expects?|would|set\s+to"
         r"|unveil(?:s|ed)?)\b",
         r"宣布|计划|拟|将|预计|签署|签订|达成|规划|有望|公告"),
    )
)
# English then Chinese cue patterns, searched in one pass.
_CUES = Phrases([english for _, english, _ in _STATUS_WORDS] + [chinese for _, _, chinese in _STATUS_WORDS])
_CUE_STATUS = tuple(status for status, _, _ in _STATUS_WORDS) * 2
# Trigger words and cue words, their candidate positions walked once per article.
_TRIGGERS_AND_CUES = PairedPhrases(_PHRASES, _CUES)


def scan_phrases(text: str) -> tuple[list[Trigger], Sites]:
    """`find_triggers(text)`, and where status cues can stand in `text` (for `find_cues`
    on its sentences): one walk over the text instead of one per sentence as well."""
    found, cue_sites = _TRIGGERS_AND_CUES.scan(text)
    triggers = (_trigger(index, match) for index, match in found)
    return [t for t in triggers if t is not None], cue_sites


_SENTENCE_WIDE = frozenset({"cancelled", "rumored", "paused"})


# Trigger wordings that are themselves in the past tense: the happening has taken place.
PAST_TRIGGER = re.compile(
    r"\b(?:acquired|bought|sold|took\s+over|merged|invested|raised|secured|founded|co-founded|established"
    r"|renamed|rebranded"
    r"|recalled|appointed|stepped\s+down|resigned|succeeded|went\s+public|debuted|filed|entered|closed|shut|laid\s+off"
    r"|imposed|introduced|partnered|licensed|signed|opened)\b", re.I)


# Not frozen, though never changed once made: a frozen dataclass sets each field through
# object.__setattr__, which makes it five times slower to build, and extraction builds
# tens of thousands per poll. Hashable by value all the same (unsafe_hash).
@dataclass(slots=True, unsafe_hash=True)
class Cue:
    """A word that says how far a happening has got ("will", "已完成", "reportedly")."""

    status: str
    start: int
    end: int
    text: str


def find_cues(text: str, start: int, end: int, sites: Sites | None = None) -> list[Cue]:
    """The status cues of text[start:end], in order (found once per sentence); `sites`,
    when given, are those `scan_phrases` found in the text (the span a sentence of it)."""
    matches = _CUES.finditer(text, start, end) if sites is None else _CUES.finditer_at(text, sites, start, end)
    return [Cue(_CUE_STATUS[index], m.start(), m.end(), m.group()) for index, m in matches]


def status_near(cues: list[Cue], trigger: Trigger, not_future: frozenset[int] = frozenset(),
                ignore: frozenset[str] = frozenset()) -> str | None:
    """The status the cue words of its sentence give `trigger`.

    Cancellation, pausing ("paused": 暂停扩建) and rumour anywhere in the sentence win (a
    "reportedly" colours the whole sentence); otherwise the nearest cue before the trigger
    (within 80 characters, or just after it) decides. `ignore` names cue kinds that do not
    apply to this type (pausing production *is* a closure). `not_future` holds offsets of a
    将 that introduces an object ("日产将AESC卖给远景", the 把 construction), not the future.
    """
    best: tuple[int, str] | None = None
    for cue in cues:
        if cue.status in ignore or (cue.text == "将" and cue.start in not_future):
            continue
        if cue.status in _SENTENCE_WIDE:
            return cue.status
        if cue.end <= trigger.start and trigger.start - cue.end <= 80:
            distance = trigger.start - cue.end
        elif cue.start >= trigger.end and cue.start - trigger.end <= 12:
            distance = cue.start - trigger.end + 4
        else:
            continue
        if best is None or distance < best[0]:
            best = (distance, cue.status)
    return best[1] if best else None
