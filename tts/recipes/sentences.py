"""Korean sentences for the teacher corpus of the default voice.

Three sources, interleaved so any prefix of the list is balanced: the care-call and reservation scenarios'
own prompts (placeholders filled with sample values), everyday sentences written for this corpus (weather,
family, food, health, shopping, transport, numbers, times), and templated reservation and care answers.
Deterministic for a seed.
"""
from __future__ import annotations

import random
import re
from collections.abc import Iterable
from pathlib import Path

import yaml

EVERYDAY = [
    "오늘 날씨가 정말 좋네요.", "내일은 비가 온다고 해요.", "아침부터 바람이 많이 불어요.", "요즘 밤에는 꽤 쌀쌀해요.",
    "창문을 좀 열어 둘까요?", "우산을 꼭 챙겨 가세요.", "눈이 와서 길이 미끄러워요.", "봄이 오면 꽃구경 가고 싶어요.",
    "여름에는 수박이 제일 맛있어요.", "가을 하늘이 참 맑고 높아요.", "겨울에는 따뜻한 국물이 생각나요.",
    "손주가 어제 전화를 했어요.", "아들이 주말에 온다고 했어요.", "딸이 반찬을 보내 줬어요.", "며느리가 참 착해요.",
    "동생이랑 같이 시장에 갔어요.", "이웃집 할머니가 떡을 주셨어요.", "친구들이랑 경로당에서 놀았어요.",
    "오랜만에 가족들이 다 모였어요.", "손녀가 학교에 들어갔어요.", "강아지가 아침마다 저를 깨워요.",
    "아침은 밥이랑 된장국을 먹었어요.", "점심에 국수를 삶아 먹었어요.", "저녁에는 생선을 구워 먹을 거예요.",
    "김치찌개를 끓였는데 조금 짰어요.", "요즘 입맛이 별로 없어요.", "과일을 좀 더 드셔야 해요.", "물을 자주 마시세요.",
    "커피는 하루에 한 잔만 마셔요.", "떡국을 먹으면 한 살 더 먹는대요.", "반찬은 나물하고 계란말이예요.",
    "죽을 조금 먹었더니 속이 편해요.", "밥맛이 없어서 반 그릇만 먹었어요.", "두부조림이 참 맛있었어요.",
    "허리가 아파서 오래 앉아 있기 힘들어요.", "혈압약은 아침마다 먹어요.", "병원 예약이 다음 주 월요일이에요.",
    "감기 기운이 있어서 일찍 잤어요.", "무릎이 시려서 파스를 붙였어요.", "눈이 침침해서 안경을 새로 맞췄어요.",
    "당뇨 때문에 단 음식은 안 먹어요.", "요즘 잠이 잘 안 와요.", "낮잠을 한 시간쯤 잤어요.", "산책을 하니까 기분이 좋아요.",
    "계단을 오르면 숨이 차요.", "손이 자꾸 떨려요.", "귀가 잘 안 들려서 크게 말해 주세요.", "어지러워서 누워 있었어요.",
    "치과에 가서 이를 뽑았어요.", "보건소에서 독감 주사를 맞았어요.", "약국에서 소화제를 샀어요.",
    "마트에서 우유랑 두부를 샀어요.", "시장에서 사과 한 봉지를 샀어요.", "버스를 타고 읍내에 다녀왔어요.",
    "지하철역까지 걸어서 십 분 걸려요.", "택시를 불러 주실 수 있어요?", "은행에 가서 통장을 정리했어요.",
    "우체국에 택배를 보내러 가요.", "복지관에서 노래 교실을 해요.", "텔레비전에서 옛날 노래가 나왔어요.",
    "신문을 보다가 잠이 들었어요.", "화분에 물을 주었어요.", "베란다에 고추를 말리고 있어요.", "빨래를 널고 왔어요.",
    "청소를 하다가 허리를 삐끗했어요.", "전기 요금이 많이 나왔어요.", "보일러가 고장 나서 추웠어요.",
    "수도가 새서 사람을 불렀어요.", "전화기 소리가 잘 안 들려요.", "휴대폰 글씨가 너무 작아요.",
    "지금 몇 시예요?", "오후 세 시 반이에요.", "아침 여덟 시에 일어났어요.", "밤 열 시에 잠자리에 들어요.",
    "이번 달 이십오일이 생일이에요.", "올해 여든두 살이에요.", "전화번호는 공일공 삼사오육 칠팔구공이에요.",
    "모두 삼만 오천 원이에요.", "사과가 한 개에 천 원이에요.", "버스는 십오 분마다 와요.", "약은 하루에 세 번 먹어요.",
    "일주일에 두 번 병원에 가요.", "이층 창가 자리로 주세요.", "주차는 건물 뒤편에 하시면 돼요.",
    "영업시간은 오전 열한 시부터 밤 열 시까지예요.", "매주 월요일은 쉬는 날이에요.", "단체 손님은 미리 연락 주세요.",
    "메뉴는 한정식 코스로 할게요.", "아이 의자 두 개 준비해 주세요.", "생일 케이크를 가져가도 될까요?",
    "조금 늦을 것 같은데 괜찮을까요?", "예약 시간을 한 시간 미뤄 주세요.", "룸으로 예약할 수 있나요?",
    "채식 메뉴도 있나요?", "네, 알겠습니다. 그렇게 할게요.", "잠시만 기다려 주세요.", "다시 한 번 말씀해 주시겠어요?",
    "천천히 말씀하셔도 괜찮아요.", "걱정하지 마세요.", "무슨 일 있으시면 언제든지 연락 주세요.",
    "오늘도 좋은 하루 보내세요.", "식사 맛있게 하세요.", "푹 쉬시고 내일 또 통화해요.", "조심히 들어가세요.",
    "감사합니다. 안녕히 계세요.", "네, 잘 들려요.", "아니요, 괜찮아요.", "그럼요, 당연하죠.", "글쎄요, 잘 모르겠어요.",
    "정말요? 다행이네요.", "아이고, 큰일 날 뻔했네요.", "그랬군요, 많이 힘드셨겠어요.", "와, 정말 잘됐네요.",
    "기억이 잘 안 나요.", "방금 뭐라고 하셨어요?", "어제는 하루 종일 집에 있었어요.", "주말에 교회에 다녀왔어요.",
    "절에 가서 기도를 드렸어요.", "공원에서 운동을 했어요.", "노인정에서 점심을 먹었어요.", "마을 회관에 모였어요.",
    "옆집 아저씨가 이사를 갔어요.", "고양이가 새끼를 낳았어요.", "텃밭에 상추를 심었어요.", "감자를 캐서 나눠 줬어요.",
    "김장은 다음 달에 할 거예요.", "설날에는 아이들이 다 와요.", "추석에 송편을 빚었어요.", "결혼식에 다녀왔어요.",
    "사진을 보니까 옛날 생각이 나요.", "젊었을 때는 부산에 살았어요.", "남편은 삼 년 전에 떠났어요.",
    "혼자 사니까 가끔 심심해요.", "그래도 이렇게 전화해 주니까 좋아요.", "목소리 들으니까 반가워요.",
    "요즘 물가가 너무 많이 올랐어요.", "기차표를 미리 사 두었어요.", "서울역에서 내리면 돼요.",
    "열두 시 사십 분 기차예요.", "병원은 삼층에 있어요.", "엘리베이터를 타고 올라가세요.", "오른쪽으로 돌면 바로 보여요.",
]

SAMPLE = {"name": "김영수", "venue": "한빛 식당", "date": "다음 주 화요일", "time": "저녁 일곱 시", "guests": "네 명",
          "meal": "점심", "part": "무릎", "last_concern": "무릎이 아프신", "alternatives": "여섯 시나 여덟 시",
          "booking": "다음 주 화요일 저녁 일곱 시 네 명", "max_party": "열 명"}
NAMES = ["김영수", "박순자", "이정희", "최말순", "정수진", "김민수", "이영희"]
DATES = ["오늘", "내일", "모레", "이번 주 금요일", "다음 주 월요일", "다음 주 화요일", "다음 주 토요일", "십이월 삼일"]
TIMES = ["저녁 일곱 시", "오후 여섯 시 반", "점심 열두 시", "저녁 여덟 시", "오후 한 시", "저녁 여섯 시"]
PARTIES = ["두 명", "세 명", "네 명", "다섯 명", "여섯 명", "열 명"]
BODY = ["머리가", "허리가", "배가", "무릎이", "다리가", "어깨가", "가슴이", "목이"]
HOW = ["아파요", "조금 아파요", "많이 아파요", "쑤셔요", "결려요"]
TEMPLATES = [
    "{date} {time}에 {party} 예약하고 싶어요.", "{date} {time}으로 바꿔 주세요.", "{party}으로 예약할게요.",
    "{name} 님, 식사는 하셨어요?", "{name} 님, 오늘 기분은 어떠세요?", "{body} {how}.", "어제부터 {body} {how}.",
    "{date}에 병원에 가기로 했어요.", "{time}에 약을 먹어요.", "{name}입니다. {date} 예약 확인하려고요.",
]


def scenario_texts(paths: Iterable[Path]) -> list[str]:
    """Every Korean string of the scenario YAML files, placeholders filled, one sentence per item."""
    found: list[str] = []

    def walk(node) -> None:
        if isinstance(node, str) and re.search("[가-힣]", node):
            found.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in paths:
        walk(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
    out: list[str] = []
    for text in found:
        text = re.sub(r"\{(\w+)\}", lambda m: SAMPLE.get(m.group(1), ""), text)
        out.extend(s.strip() for s in re.split(r"(?<=[.?!])\s+", text) if re.search("[가-힣]", s))
    return [t for t in dict.fromkeys(out) if 2 <= _syllables(t) <= 45]


def templated(rng: random.Random, n: int) -> list[str]:
    """``n`` sentences from TEMPLATES with random slot values (particles fixed after vowels)."""
    out = []
    for _ in range(n):
        text = rng.choice(TEMPLATES).format(
            date=rng.choice(DATES), time=rng.choice(TIMES), party=rng.choice(PARTIES), name=rng.choice(NAMES),
            body=rng.choice(BODY), how=rng.choice(HOW))
        out.append(_fix_particles(text))
    return out


def teacher_sentences(scenario_paths: Iterable[Path], *, seed: int = 0, n_templates: int = 200,
                      extra: Iterable[str] = (), limit: int | None = None) -> list[str]:
    """The corpus sentences: scenario prompts, everyday sentences, templates and ``extra`` (e.g. callers'
    answers), interleaved, de-duplicated."""
    rng = random.Random(seed)
    pools = [scenario_texts(scenario_paths), list(EVERYDAY), templated(rng, n_templates), list(extra)]
    for pool in pools:
        rng.shuffle(pool)
    mixed: list[str] = []
    while any(pools):
        for pool in pools:
            if pool:
                mixed.append(pool.pop())
    mixed = list(dict.fromkeys(mixed))
    return mixed[:limit] if limit else mixed


def _fix_particles(text: str) -> str:
    """으로/로 after a vowel or ㄹ, as Korean writes them."""
    def pick(match: re.Match) -> str:
        word = match.group(1)
        final = (ord(word[-1]) - 0xAC00) % 28
        return word + ("로" if final in (0, 8) else "으로")

    return re.sub(r"([가-힣]+?)(?:으로|로)(?= |[.?!]|$)", pick, text)


def _syllables(text: str) -> int:
    return sum(1 for ch in text if "가" <= ch <= "힣")
