"""Rule-level tests for the Korean answer understanding (ASR-ish input included)."""

import pytest

from dialog import understanding as nlu
from dialog.understanding import Utterance


def U(text: str) -> Utterance:
    return Utterance(text)


def value(finding):
    return finding.value if finding else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("네", "yes"), ("예", "yes"), ("응", "yes"), ("그럼요", "yes"), ("맞아요", "yes"),
        ("내", "yes"),  # Whisper often writes 내 for 네
        ("아 네 그럼요", "yes"), ("괜찮아요", "yes"),
        ("아니요", "no"), ("아니", "no"), ("아뇨", "no"), ("음 아니요", "no"),
        ("글쎄요", None), ("잘 모르겠어요", None), ("음...", None), ("어어", None),
        ("내일 올게요", None),  # 내일 is not 네
    ],
)  # fmt: skip
def test_yes_no(text, expected):
    assert value(nlu.yes_no(U(text))) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("네 맞아요", "confirmed"), ("네", "confirmed"), ("제가 김영수인데요", "confirmed"), ("네 전데요", "confirmed"),
        ("아닌데요", "wrong_person"), ("잘못 거셨어요", "wrong_person"), ("잘못거셨어요", "wrong_person"),
        ("그런 사람 없어요", "wrong_person"), ("아니요", "wrong_person"),
        ("지금 바빠요", "busy"), ("나중에 전화해", "busy"), ("네 맞는데 지금 운전 중이에요", "busy"),
        ("누구세요?", None),
    ],
)  # fmt: skip
def test_identity(text, expected):
    assert value(nlu.identity(U(text))) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("네 아침 잘 먹었어요", "eaten"), ("밥 먹었어요", "eaten"), ("네아침잘먹었어요", "eaten"),
        ("아침 머거써요", "eaten"), ("먹엇어요", "eaten"), ("조금 먹었어요", "eaten"), ("네", "eaten"),
        ("안 먹었어요", "skipped"), ("밥을 안 먹었어", "skipped"), ("밥을안먹었어", "skipped"),
        ("못 먹었어요", "skipped"), ("굶었어요", "skipped"), ("아침은 걸렀어요", "skipped"),
        ("먹지 않았어요", "skipped"), ("아직이요", "skipped"), ("아니요", "skipped"),
        ("입맛이 없어서 조금 먹었어요", "eaten"), ("입맛이 없어요", "skipped"),
        ("약은 먹었어요", None),  # about medicine, not the meal
        ("어어", None),
    ],
)  # fmt: skip
def test_meal(text, expected):
    assert value(nlu.meal(U(text))) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("잘 잤어요", "good"), ("잘잤어요", "good"), ("푹 잤어요", "good"), ("잘 자써요", "good"), ("네", "good"),
        ("못 잤어요", "poor"), ("잘 못 잤어요", "poor"), ("잠을 설쳤어요", "poor"), ("잠이 안 와서 혼났어요", "poor"),
        ("새벽에 자꾸 깼어요", "poor"), ("한숨도 못 잤어", "poor"), ("아니요", "poor"),
        ("잘 모르겠어요", None),
    ],
)  # fmt: skip
def test_sleep(text, expected):
    assert value(nlu.sleep(U(text))) == expected


@pytest.mark.parametrize(
    ("text", "symptoms"),
    [
        ("열이 나고 기침을 해요", ["fever", "cough"]),
        ("열이나고기침을해요", ["fever", "cough"]),
        ("여리 나요", ["fever"]),  # near-miss spelling of 열이 나요
        ("요리 나고 기침을 해요", ["fever", "cough"]),  # Whisper-base hearing 열이 나고 over the phone
        ("어제 넘어뒀어 무릎을 다쳤어요", ["fall", "pain"]),  # and 넘어져서 as 넘어뒀어
        ("38.5도까지 올랐어요", ["fever"]),
        ("어제 삼십팔도였어요", ["fever"]),
        ("기치미 자꾸 나요", ["cough"]),
        ("숨이 차요", ["breathing"]), ("숨이 좀 차요", ["breathing"]), ("가슴이 자꾸 두근거려요", ["chest_pain"]), ("숨쉬기가 힘들어요", ["breathing"]), ("수미 차요", ["breathing"]),
        ("가슴이 답답해요", ["chest_pain"]), ("가슴이 아파요", ["chest_pain"]),  # not general pain
        ("허리가 쑤셔요", ["pain"]), ("무릎이 아파요", ["pain"]), ("머리가 아파요", ["pain"]),
        ("어제 넘어져서 무릎을 다쳤어요", ["fall", "pain"]), ("화장실에서 쓰러졌어요", ["fall"]),
        ("너머져서 혼났어요", ["fall"]),
        ("좀 어지러워요", ["dizziness"]),
        ("기침이 안 멈춰요", ["cough"]),  # "안 멈춰요" is not a denial
        ("열이 나서 밥을 안 먹었어요", ["fever"]),  # the 안 belongs to the meal
    ],
)  # fmt: skip
def test_symptoms_found(text, symptoms):
    assert sorted(s.symptom for s in nlu.find_symptoms(U(text))) == sorted(symptoms)


@pytest.mark.parametrize(
    "text",
    [
        "열은 없어요", "열 안 나요", "기침은 안 해요", "안 아파요", "아프지 않아요", "아픈 데는 없어요",
        "숨은 안 차요", "넘어지진 않았어요", "넘어질 뻔했어요", "열심히 운동해요", "하나도 안 어지러워요",
    ],
)  # fmt: skip
def test_symptoms_denied_or_absent(text):
    assert nlu.find_symptoms(U(text)) == []


def test_mixed_denial_and_symptom():
    found = nlu.find_symptoms(U("허리는 안 아픈데 무릎이 쑤셔요"))
    assert [(s.symptom, s.location) for s in found] == [("pain", "무릎")]


def test_symptom_evidence_is_callers_words_and_severity():
    (pain,) = nlu.find_symptoms(U("허리가 너무 아파요"))
    assert pain.evidence == "허리가 너무 아파요" and pain.severe and pain.location == "허리"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("괜찮아요 건강해요", "well"), ("곤창수입니다", "well"), ("괜찬아요", "well"), ("권찬아요", "well"), ("안 아파요", "well"),
        ("아프지 않아요", "well"), ("아픈 데 없어요", "well"), ("네 괜찮아요", "well"), ("열은 없어요", "well"),
        ("열이 나고 기침을 해요", "unwell"), ("좀 안 좋아요", "unwell"), ("몸이 불편해요", "unwell"),
        ("감기 기운이 있어요", "unwell"), ("아니요", "unwell"), ("음...", None),
    ],
)  # fmt: skip
def test_health(text, expected):
    assert value(nlu.health(U(text))) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("네 약 먹었어요", "taken"), ("약 챙겨 먹었어요", "taken"), ("네", "taken"),
        ("깜빡했어요", "missed"), ("아직 안 먹었어요", "missed"), ("잊어버렸어요", "missed"), ("아니요", "missed"),
        ("먹는 약 없어요", "none"), ("약 없어요", "none"), ("저는 약 안 먹어요", "none"),
    ],
)  # fmt: skip
def test_medication(text, expected):
    assert value(nlu.medication(U(text))) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("기분 좋아요", "good"), ("좋아요", "good"), ("괜찮아요", "good"), ("외롭지 않아요", "good"),
        ("그저 그래요", "so_so"), ("그냥 그래요", "so_so"), ("그럭저럭요", "so_so"), ("나쁘지 않아요", "so_so"),
        ("글쎄요", "so_so"),
        ("좀 우울하고 외로워요", "low"), ("우울해", "low"), ("쓸쓸해요", "low"), ("힘들어요", "low"),
        ("안 좋아요", "low"), ("기분이 좋지 않아요", "low"), ("우룰해요", "low"),
    ],
)  # fmt: skip
def test_mood(text, expected):
    assert value(nlu.mood(U(text))) == expected


@pytest.mark.parametrize(
    ("text", "lonely"),
    [("외로워요", True), ("쓸쓸해요", True), ("혼자라 적적해요", True), ("웨로워요", True),
     ("외롭지 않아요", False), ("혼자 살아요", False), ("좋아요", False)],
)  # fmt: skip
def test_loneliness(text, lonely):
    assert (nlu.loneliness(U(text)) is not None) == lonely


@pytest.mark.parametrize(
    ("text", "harm"),
    [("죽고 싶어요", True), ("죽고싶다", True), ("살기 싫어", True), ("그냥 없어지고 싶어요", True),
     ("사라지고 싶어", True), ("더워 죽겠어요", False), ("배고파 죽겠네", False), ("잘 살고 있어요", False)],
)  # fmt: skip
def test_self_harm(text, harm):
    assert (nlu.self_harm(U(text)) is not None) == harm


@pytest.mark.parametrize(
    ("text", "urgent"),
    [("도와주세요", True), ("쓰러질 것 같아요", True), ("119 불러 주세요", True), ("일일구 좀 불러줘", True),
     ("숨을 못 쉬겠어요", True), ("어제 넘어졌어요", False), ("괜찮아요", False)],
)  # fmt: skip
def test_emergency(text, urgent):
    assert (nlu.emergency(U(text)) is not None) == urgent


@pytest.mark.parametrize(
    ("text", "expected"),
    [("네 많이 다쳤어요", "severe"), ("못 걷겠어요", "severe"), ("조금 아파요", "hurt"), ("멍이 들었어요", "hurt"),
     ("아니요 괜찮아요", "not_hurt"), ("안 다쳤어요", "not_hurt"), ("아니요 많이는 안 다쳤어요", "not_hurt")],
)  # fmt: skip
def test_injury(text, expected):
    assert value(nlu.injury(U(text))) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("많이 나요", "severe"), ("39도예요", "severe"), ("너무 아파요", "severe"), ("조금요", "mild"),
     ("37.8도요", "mild"), ("참을 만해요", "mild"), ("아니요", "mild")],
)  # fmt: skip
def test_severity(text, expected):
    assert value(nlu.severity(U(text))) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("없어요", "nothing"), ("아니요 없어요", "nothing"), ("네 없어요", "nothing"), ("괜찮아요", "nothing"),
     ("고마워요", "nothing"), ("요즘 보일러가 고장났어요", "note"), ("네", None), ("옳어요 고마워요", "nothing"),
     ("보일러 좀 고쳐 주세요. 고마워요", "note"), ("어때요? 고마워요 고마워요", "nothing"),
     ("보일러 좀 고쳐 주세요. 고마워요 고마워요", "note")],
)  # fmt: skip
def test_anything_else(text, expected):
    assert value(nlu.anything_else(U(text))) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [("소요", False), ("네 소요", False), ("여사지", False), ("음 어", False), ("창가 자리", True),
     ("생일이에요", True), ("보일러가 고장 났어요", True), ("기침", True), ("네 아기 의자", True)],
)  # fmt: skip
def test_only_real_words_are_kept_as_a_note(text, words):
    assert nlu.says_words(U(text)) is words
    assert (value(nlu.anything_else(U(text))) == "note") is words


def test_compact_text_maps_back_to_callers_words():
    u = U("밥은 먹었는데, 잠을 못 잤어!")
    assert u.compact == "밥은먹었는데|잠을못잤어"
    assert [u.clause_words(c) for c in u.clauses] == ["밥은 먹었", "잠을 못 잤어"]


def test_near_miss_repair_keeps_original_words_for_evidence():
    u = U("곤창수입니다")
    assert "괜찮" in u.compact and u.words() == "곤창수입니다"


@pytest.mark.parametrize("text", ["", "   ", "...", "?!", None])
def test_empty_utterance(text):
    assert U(text).empty


def test_temperature_words_and_digits():
    assert nlu.temperature(U("38.5도")) == 38.5
    assert nlu.temperature(U("삼십팔 도")) == 38.0
    assert nlu.temperature(U("삼십칠점오도")) == 37.5
    assert nlu.temperature(U("괜찮아요")) is None


@pytest.mark.parametrize("heard", ["앞서요", "업서요", "엄서요"])
def test_a_lone_misheard_eopseoyo_reads_as_nothing_to_add(heard):
    # Whisper-base on phone audio hears a short "없어요" as "앞서요"; alone, it is the answer "nothing".
    assert U(heard).compact == "없어요"
    assert U(f"{heard} 말씀").compact.startswith(heard)  # inside a longer turn it is left alone
