"""A goal-driven simulated caller: it knows what it wants from the call and answers whatever the agent asks.

Unlike a persona (a fixed line per question), a goal caller holds a goal (``telephony.simulator.goals``): the
booking it means, or how the callee really is today. Each turn it works out what the agent is asking — from the
question's state id and answer slot, which the dialog exposes with every reply, falling back on words in the
agent's sentence — and answers from its goal in one of many natural phrasings picked by a seeded RNG
(``telephony.simulator.spoken``). It checks the agent's read-back ("12월 3일 목요일 저녁 7시에 네 분…") against its
goal and corrects what is wrong ("아니요, 시간은 일곱 시예요"), says 네 / 아니요 to confirmations, and, like a
patient person, gives up correcting the same detail after ``MAX_CORRECTIONS`` tries.

Pure text in, text out: telephony imports nothing from the dialog, so the state ids it knows are the shared
vocabulary of docs/ARCHITECTURE.md and the scenario files, and whoever runs the call passes them in.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time

from telephony.simulator import spoken
from telephony.simulator.goals import Booking, CareGoal, Complaint, Goal, ReservationGoal

MAX_CORRECTIONS = 2  # corrections of one detail before the caller accepts the read-back as it is

# What a question is about, by the state id the agent sends with it (both built-in scenarios) …
STATE_TOPICS = {
    "intent": "intent", "date": "date", "date_again": "date", "time": "time", "time_again": "time",
    "party_size": "party", "party_again": "party", "name": "name", "phone": "phone", "lookup_phone": "phone",
    "requests": "requests", "confirm": "confirm", "confirm_change": "confirm", "fix": "fix", "offer": "offer",
    "change_what": "change", "cancel_confirm": "cancel_confirm",
    "identity": "identity", "meal": "meal", "sleep": "sleep", "health": "health", "health.symptom": "health",
    "health.fever": "fever_severity", "health.pain": "pain_severity", "health.fall": "injury",
    "health.now": "still_now", "medication": "medication", "mood": "mood", "anything_else": "anything_else",
}  # fmt: skip
# … by the answer slot of a state the caller does not know …
SLOT_TOPICS = {
    "intent": "intent", "date": "date", "time": "time", "party_size": "party", "name": "name", "phone": "phone",
    "requests": "requests", "meal": "meal", "sleep": "sleep", "health": "health", "medication": "medication",
    "mood": "mood", "note": "anything_else",
}  # fmt: skip
# … and, last, by the agent's words.
KEYWORD_TOPICS = [
    (re.compile(r"성함|이름"), "name"),
    (re.compile(r"님,? (맞으세요|되세요)\?"), "identity"),
    (re.compile(r"전화번호|연락처"), "phone"),
    (re.compile(r"며칠|날짜|어느 날|무슨 요일"), "date"),
    (re.compile(r"몇 시|시간"), "time"),
    (re.compile(r"몇 분|인원|몇 명"), "party"),
    (re.compile(r"요청"), "requests"),
    (re.compile(r"식사|진지|드셨|밥"), "meal"),
    (re.compile(r"주무셨|잠"), "sleep"),
    (re.compile(r"약"), "medication"),
    (re.compile(r"기분|마음"), "mood"),
    (re.compile(r"몸|불편|아프"), "health"),
    (re.compile(r"하실 말씀|하고 싶은 말씀|필요하신"), "anything_else"),
    (re.compile(r"(드릴까요|할까요|괜찮으세요|맞나요)\?"), "confirm"),
]

# What a caller says when the agent takes them for someone making a new booking.
_NOT_NEW = {
    "cancel": ["아니요, 예약을 취소하려고요.", "새로 하는 게 아니고요, 있는 예약을 취소하고 싶어요."],
    "change": ["아니요, 새로 예약하는 게 아니라 있는 예약을 바꾸려고요.", "새 예약 말고요, 원래 예약을 변경하고 싶어요."],
}
YES = ["네.", "네, 맞아요.", "예, 그렇게 해 주세요.", "네, 좋아요.", "맞아요."]
GIVE_IN = ["네, 그냥 그렇게 해 주세요.", "네, 그걸로 할게요."]


@dataclass(frozen=True)
class ReadBack:
    """Booking details the agent said back, as the caller understood them (None: not said)."""

    date: date | None = None
    time: str | None = None
    party_size: int | None = None
    name: str | None = None


@dataclass(frozen=True)
class Said:
    state: str | None
    topic: str
    text: str


@dataclass
class GoalCaller:
    """Answers the agent from a goal. ``respond`` once per agent turn; ``said`` keeps the conversation."""

    goal: Goal
    now: datetime
    seed: int = 0
    said: list[Said] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"{self.seed}:{self.goal.id}")
        self._last: dict[tuple[str, ...], str] = {}

    @property
    def today(self) -> date:
        return self.now.date()

    def topic(self, agent_text: str, state: str | None = None, slot: str | None = None) -> str:
        """What the agent is asking about: by state id, then slot, then the agent's words ("" if unknown)."""
        if state in STATE_TOPICS:
            return STATE_TOPICS[state]
        if slot in SLOT_TOPICS:
            return SLOT_TOPICS[slot]
        for pattern, topic in KEYWORD_TOPICS:
            if pattern.search(agent_text):
                return topic
        return ""

    def respond(self, agent_text: str, state: str | None = None, slot: str | None = None) -> str:
        """The caller's next words, answering ``agent_text`` (the question with state id ``state``)."""
        topic = self.topic(agent_text, state, slot)
        text = self.answer(topic, agent_text, state)
        self.said.append(Said(state, topic, text))
        return text

    def answer(self, topic: str, agent_text: str, state: str | None) -> str:
        raise NotImplementedError

    def pick(self, options: list[str]) -> str:
        """A random phrasing; the same choice asked again gets a different one where there is a choice."""
        key = tuple(options)
        fresh = [o for o in options if o != self._last.get(key)] or options
        self._last[key] = choice = self.rng.choice(fresh)
        return choice


def make_caller(goal: Goal, now: datetime, seed: int = 0) -> GoalCaller:
    if isinstance(goal, ReservationGoal):
        return ReservationCaller(goal, now, seed)
    if isinstance(goal, CareGoal):
        return CareCaller(goal, now, seed)
    raise TypeError(f"no caller for {type(goal).__name__}")


# --- the reservation line ----------------------------------------------------------------------------------


class ReservationCaller(GoalCaller):
    goal: ReservationGoal

    def __post_init__(self) -> None:
        super().__post_init__()
        self._corrections: Counter[str] = Counter()
        self._wrong: list[str] = []  # details the last read-back had wrong, for the "which part?" question

    @property
    def target(self) -> Booking:
        return self.goal.booking

    # phrasings of each detail

    def say_date(self, day: date | None = None) -> str:
        return self.pick(spoken.date_phrases(day or self.target.date, self.today))

    def say_time(self) -> str:
        return self.pick(spoken.time_phrases(self.target.at.hour, self.target.at.minute))

    def say_party(self) -> str:
        return self.pick(spoken.party_phrases(self.target.adults, self.target.children))

    def answer(self, topic: str, agent_text: str, state: str | None) -> str:
        if self._taken_for_a_new_booking(topic, state):
            return self.pick(_NOT_NEW[self.goal.intent])
        handler = getattr(self, f"_on_{topic}", None) if topic else None
        return handler(agent_text) if handler else "네."

    def _taken_for_a_new_booking(self, topic: str, state: str | None) -> bool:
        """The agent runs a new booking for a caller who wants to cancel (asked the day, the time…) or to
        change (asked their name, or to confirm a new booking): the caller says what they want."""
        if self.goal.intent == "cancel":
            return topic in ("date", "time", "party", "name", "requests", "confirm") and state != "confirm_change"
        if self.goal.intent == "change":
            return state in ("name", "requests", "confirm") or (topic in ("name", "requests") and state is None)
        return False

    def _on_intent(self, agent_text: str) -> str:
        if self.goal.intent == "cancel":
            return self.pick(["예약한 거 취소하려고요.", "예약을 취소하고 싶어서 전화했어요.",
                              "제가 예약을 해 뒀는데 못 가게 됐어요. 취소해 주세요.", "취소 좀 하려고요."])
        if self.goal.intent == "change":
            return self.pick(["예약을 좀 바꾸고 싶어요.", "예약한 거 변경하려고요.",
                              "예약 날짜랑 시간을 좀 옮길 수 있을까 해서요."])
        style = self.rng.random()
        if style < 0.4:
            return self.pick([
                f"{self.say_date()} {self.say_time()}에 {self.say_party()} 예약하고 싶어요.",
                f"{self.say_date()} {self.say_time()}에 {self.say_party()} 자리 있을까요?",
                f"예약하려고요. {self.say_date()} {self.say_time()}, {spoken.yo(self.say_party())}.",
            ])
        if style < 0.6:
            return self.pick([f"{self.say_date()}에 예약하려고요.", f"{self.say_date()} 예약 되나요?"])
        return self.pick(["예약하려고요.", "자리 예약 좀 하고 싶은데요.", "네, 예약하려고 전화했어요.", "예약 되죠?"])

    def _on_date(self, agent_text: str) -> str:
        said = self.say_date()
        at = "" if said in ("오늘", "내일", "모레", "내일모레") else "에"
        return self.pick([spoken.yo(said), f"{spoken.ro(said)} 해 주세요.", f"{said}{at} 가려고요."])

    def _on_time(self, agent_text: str) -> str:
        said = self.say_time()
        return self.pick([spoken.yo(said), f"{spoken.ro(said)} 부탁해요.", f"{said}에 갈게요."])

    def _on_party(self, agent_text: str) -> str:
        said = self.say_party()
        return self.pick([spoken.yo(said), spoken.copula(said) + ".", f"{said} 갈 거예요."])

    def _on_name(self, agent_text: str) -> str:
        name = self.goal.name
        return self.pick([f"{name}입니다.", spoken.copula(name) + ".", spoken.yo(name) + ".",
                          f"이름은 {spoken.copula(name)}.", f"예약자는 {spoken.ro(name)} 해 주세요."])

    def _on_phone(self, agent_text: str) -> str:
        if self.goal.caller_id and "남기신" not in agent_text and self.rng.random() < 0.3:
            return self.pick(["지금 거는 이 번호로 해 주세요.", "이 번호로 하면 돼요."])
        number = self.pick(spoken.phone_phrases(self.goal.phone))
        return self.pick([spoken.yo(number) + ".", f"{number}입니다.", f"번호는 {spoken.copula(number)}."])

    def _on_requests(self, agent_text: str) -> str:
        request = self.goal.request
        if not request:
            return self.pick(["없어요.", "아니요, 따로 없어요.", "특별한 건 없어요.", "괜찮아요, 없습니다."])
        return self.pick([f"{spoken.ro(request)} 부탁드려요.", f"{request} 있으면 좋겠어요.",
                          f"네, {spoken.ro(request)} 해 주실 수 있나요?"])

    def _on_confirm(self, agent_text: str) -> str:
        heard = read_back(agent_text, self.today)
        wrong = self._mismatches(heard, with_name=self.goal.intent == "book")
        self._wrong = [slot for slot in wrong if self._corrections[slot] < MAX_CORRECTIONS]
        if not heard_anything(heard) or not wrong:
            return self.pick(YES)
        if not self._wrong:  # corrected twice and still wrong: a patient caller lets it be
            return self.pick(GIVE_IN)
        wrong = self._wrong
        for slot in wrong:
            self._corrections[slot] += 1
        return "아니요, " + " ".join(self._correction(slot) for slot in wrong)

    def _on_fix(self, agent_text: str) -> str:
        wrong = self._wrong or ["date", "time", "party_size"]
        return " ".join(self._correction(slot, naming=True) for slot in wrong)

    def _on_offer(self, agent_text: str) -> str:
        offered = read_back(agent_text, self.today).time
        if offered == self.target.time:
            return self.pick(YES)
        return f"아니요, {spoken.ro(self.say_time())} 해 주세요."

    def _on_change(self, agent_text: str) -> str:
        before, after = self.goal.existing, self.target
        parts = []
        if before is None or after.date != before.date:
            parts.append(self.say_date())
        if before is None or after.time != before.time:
            parts.append(self.say_time())
        if before is None or after.party_size != before.party_size:
            parts.append(spoken.party_count(after.party_size))
        said = " ".join(parts) or self.say_time()
        return self.pick([f"{spoken.ro(said)} 바꿔 주세요.", f"{spoken.ro(said)} 옮기고 싶어요.",
                          f"{spoken.ro(said)} 해 주세요."])

    def _on_cancel_confirm(self, agent_text: str) -> str:
        heard = read_back(agent_text, self.today)
        if self.goal.intent == "cancel" and not self._mismatches(heard, with_name=False):
            return self.pick(["네, 취소해 주세요.", "네, 그거 취소할게요.", "예, 취소 부탁드려요."])
        return "아니요, 그 예약 말고요."

    def _mismatches(self, heard: ReadBack, *, with_name: bool) -> list[str]:
        want = self.target
        wrong = []
        if heard.date is not None and heard.date != want.date:
            wrong.append("date")
        if heard.time is not None and heard.time != want.time:
            wrong.append("time")
        if heard.party_size is not None and heard.party_size != want.party_size:
            wrong.append("party_size")
        if with_name and heard.name is not None and heard.name != self.goal.name:
            wrong.append("name")
        return wrong

    def _correction(self, slot: str, *, naming: bool = False) -> str:
        """One corrected detail: "시간은 일곱 시예요." (or "시간이요, 일곱 시로 해 주세요." to "which part?")."""
        if slot == "date":
            value, label = self.say_date(), "날짜"
        elif slot == "time":
            value, label = self.say_time(), "시간"
        elif slot == "party_size":
            value, label = spoken.party_count(self.target.party_size), "인원"
        else:
            value, label = self.goal.name, "이름"
        if naming and slot == "name":
            return f"이름이요, {spoken.copula(value)}."
        if naming:
            return f"{spoken.yo(label)}, {spoken.ro(value)} 해 주세요."
        return f"{label}{'은' if spoken.has_final(label) else '는'} {spoken.copula(value)}."


_GUEST_WORDS = {w: n for n, w in spoken.NATIVE_BEFORE_COUNTER.items()} | {"스무": 20}
_GUESTS = re.compile(r"(" + "|".join(sorted(_GUEST_WORDS, key=len, reverse=True)) + r"|\d+) 분")
_DAY = re.compile(r"(\d{1,2})월 (\d{1,2})일")
_CLOCK = re.compile(r"(오전|낮|저녁|오후|밤)\s*(\d{1,2})시(?:\s*(\d{1,2})분)?")
_NAME = re.compile(r"([가-힣]{2,5}) 님")


def read_back(text: str, today: date) -> ReadBack:
    """The booking details in the agent's sentence, in the agent's own wording (12월 3일, 저녁 7시 30분, 네 분,
    김민수 님): what the caller checks against its goal."""
    day = None
    if m := _DAY.search(text):
        month, dom = int(m[1]), int(m[2])
        try:
            day = date(today.year, month, dom)
            if day < today:
                day = date(today.year + 1, month, dom)
        except ValueError:
            day = None
    at = None
    if m := _CLOCK.search(text):
        hour, minute = int(m[2]), int(m[3] or 0)
        if m[1] in ("낮", "저녁", "오후", "밤") and hour < 12:
            hour += 12
        at = f"{hour:02d}:{minute:02d}" if hour < 24 and minute < 60 else None
    guests = None
    if m := _GUESTS.search(text):
        guests = _GUEST_WORDS[m[1]] if m[1] in _GUEST_WORDS else int(m[1])
    name = m[1] if (m := _NAME.search(text)) else None
    return ReadBack(day, at, guests, name)


def heard_anything(heard: ReadBack) -> bool:
    return any(v is not None for v in (heard.date, heard.time, heard.party_size, heard.name))


# --- the care call ---------------------------------------------------------------------------------------

# What the callee says, by question and by how things really are ("meal:skipped"); written for this caller.
CARE_LINES: dict[str, list[str]] = {
    "identity": ["네, 맞아요.", "네, 전데요.", "예, 맞습니다.", "네, 그런데요."],
    "busy": ["지금 좀 바빠서요. 이따가 다시 전화 주세요.", "제가 밖이라 통화가 어려워요. 나중에 다시 걸어 주세요.",
             "지금 병원에 와 있어서요, 좀 있다가 다시 전화해 줄래요?"],
    "meal:eaten": ["네, 먹었어요.", "예, 아까 밥 먹었어요.", "네, 국에 밥 말아서 조금 먹었어요.", "응, 잘 먹었어.",
                   "네, 방금 먹고 치웠어요."],
    "meal:skipped": ["아니요, 아직 못 먹었어요.", "입맛이 없어서 그냥 걸렀어요.", "오늘은 안 먹었어요.",
                     "아니, 먹기 싫어서 안 먹었어."],
    "sleep:good": ["네, 푹 잤어요.", "잘 잤어요.", "예, 어제는 일찍 누워서 잘 잤어요.", "응, 한 번도 안 깨고 잤어."],
    "sleep:poor": ["아니요, 잠을 잘 못 잤어요.", "밤새 뒤척였어요.", "두세 시간밖에 못 잤어요.", "잠이 안 와서 거의 못 잤어."],
    "health:well": ["괜찮아요, 아픈 데 없어요.", "네, 특별히 아픈 데는 없어요.", "요즘은 건강해요.", "별 탈 없어요."],
    "medication:taken": ["네, 먹었어요.", "아침 먹고 바로 먹었어요.", "네, 꼬박꼬박 챙겨 먹었어요."],
    "medication:missed": ["아, 깜빡 잊고 안 먹었어요.", "아니요, 아직 못 먹었어요.", "약이 다 떨어져서 못 먹었어요."],
    "medication:none": ["저는 먹는 약이 없어요.", "약은 안 먹어요. 처방받은 게 없어요."],
    "mood:good": ["좋아요.", "기분 괜찮아요.", "오늘은 기분이 좋아요. 날씨가 좋아서요.", "네, 마음 편해요."],
    "mood:so_so": ["그냥 그래요.", "그럭저럭이에요.", "뭐 보통이에요."],
    "mood:low": ["기분이 좀 우울해요.", "마음이 좀 무거워요.", "요즘 기운도 없고 울적해요."],
    "lonely": ["혼자 있으니까 외로워요.", "말할 사람이 없어서 적적해요."],
    "nothing_else": ["없어요.", "아니요, 없어요. 고마워요.", "됐어요, 괜찮아요."],
    "fever:mild": ["아니요, 조금 나요.", "심하진 않아요.", "조금 미지근한 정도예요."],
    "fever:severe": ["네, 많이 나요.", "삼십팔 도가 넘어요.", "몸이 펄펄 끓어요."],
    "pain:mild": ["조금 아파요.", "참을 만해요.", "심하진 않아요."],
    "pain:severe": ["많이 아파요.", "너무 아파서 잘 못 걸어요.", "아주 심하게 아파요."],
    "injury:not_hurt": ["다친 데는 없어요.", "안 다쳤어요, 괜찮아요."],
    "injury:hurt": ["조금 다쳤어요.", "살짝 다쳤어요. 멍이 들었어요."],
    "now:no": ["지금은 괜찮아요.", "아니요, 지금은 안 그래요."],
    "now:yes": ["네, 지금도 그래요.", "네, 아직도 그래요."],
    "now:yes:breathing": ["네, 지금도 숨이 차요."],
    "now:yes:chest_pain": ["네, 지금도 가슴이 답답해요."],
}
# How the callee names each complaint ({part}: 무릎이, 허리가).
COMPLAINTS: dict[str, list[str]] = {
    "fever": ["열이 좀 있어요.", "몸에 열이 나요.", "어제부터 열이 났어요."],
    "cough": ["기침이 나요.", "기침을 계속 해요.", "콜록콜록 기침을 해요."],
    "breathing": ["숨이 좀 차요.", "조금만 걸어도 숨이 가빠요.", "숨쉬기가 좀 힘들어요."],
    "chest_pain": ["가슴이 답답해요.", "가슴이 조이는 것 같아요."],
    "pain": ["{part} 아파요.", "{part} 쑤셔요.", "{part} 좀 결려요."],
    "fall": ["어제 넘어졌어요.", "계단에서 미끄러져서 넘어졌어요.", "집에서 넘어졌어요."],
    "dizziness": ["어지러워요.", "일어나면 어지러워요.", "자꾸 어질어질해요."],
}


class CareCaller(GoalCaller):
    goal: CareGoal

    def answer(self, topic: str, agent_text: str, state: str | None) -> str:
        st = self.goal.state
        if st.call_back_at is not None and state == st.call_back_at:
            return self.pick(CARE_LINES["busy"])
        if topic == "identity":
            return self.pick(CARE_LINES["identity"])
        if topic == "meal":
            line = self.pick(CARE_LINES[f"meal:{st.meal}"])
            if self.rng.random() < 0.15:  # mentions the night too, as people do
                line += " " + self.pick(CARE_LINES[f"sleep:{st.sleep}"])
            return line
        if topic in ("sleep", "medication"):
            return self.pick(CARE_LINES[f"{topic}:{getattr(st, topic)}"])
        if topic == "health":
            return self._complaints() if st.complaints else self.pick(CARE_LINES["health:well"])
        if topic == "mood":
            line = self.pick(CARE_LINES[f"mood:{st.mood}"])
            return f"{line} {self.pick(CARE_LINES['lonely'])}" if st.lonely else line
        if topic == "fever_severity":
            return self.pick(CARE_LINES[f"fever:{self._complaint('fever').severity}"])
        if topic == "pain_severity":
            return self.pick(CARE_LINES[f"pain:{self._complaint('pain').severity}"])
        if topic == "injury":
            return self.pick(CARE_LINES[f"injury:{self._complaint('fall').injury}"])
        if topic == "still_now":
            now = [c.symptom for c in st.complaints if c.still_now]
            return self.pick(CARE_LINES["now:yes"] + CARE_LINES[f"now:yes:{now[0]}"]) if now else self.pick(
                CARE_LINES["now:no"])
        if topic == "anything_else":
            return st.note if st.note else self.pick(CARE_LINES["nothing_else"])
        if topic == "confirm":
            return "네."
        return "네."

    def _complaint(self, symptom: str) -> Complaint:
        for c in self.goal.state.complaints:
            if c.symptom == symptom:
                return c
        return Complaint(symptom="fever")  # asked about something the callee does not have: the mild answer

    def _complaints(self) -> str:
        lines = []
        for c in self.goal.state.complaints:
            line = self.pick(COMPLAINTS[c.symptom])
            lines.append(line.format(part=spoken.subject(c.part or "몸")))
        joiners = [" 그리고 ", " 또 ", " "]
        text = lines[0]
        for line in lines[1:]:
            text += self.pick(joiners) + line
        return text
