"""Symptoms in what the person says, with negation ("열은 없어요" is not a fever)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dialog.understanding.matching import mentions
from dialog.understanding.text import Utterance

# Checked in this order; a clause that names the chest is chest pain, not general pain.
_SYMPTOM_PATTERNS: dict[str, re.Pattern[str]] = {
    "fever": re.compile(r"열(?=이|나|도|은|있|났|날|까지|감|기운)|미열|고열|신열|몸이뜨거|3[7-9](\.\d)?도|4[0-2](\.\d)?도"),
    "cough": re.compile(r"기침|콜록|가래|기칠"),
    "breathing": re.compile(
        r"(?<!한)숨(?:이|을|은|도)?(?:쉬기|쉬는게|쉬는것|쉴때)?(?:가|도|는)?(?:좀|많이|자꾸|너무|조금|계속)?(?=차|가빠|가쁘|막|힘들|힘드|어렵|곤란|답답|안|못|잘안)"
        r"|숨차|호흡(?:이|도)?(?=곤란|힘|어렵|가빠)"
    ),
    "chest_pain": re.compile(r"가슴(?:이|은|도|쪽이|쪽)?(?:좀|많이|자꾸|너무|조금|계속)?(?=아프|아파|아픈|답답|조여|조이|찌릿|뻐근|쿡|통증|두근|벌렁|쑤)|흉통"),
    "fall": re.compile(r"넘어(?:졌|져|지|짐|진)|자빠(?:졌|져)|미끄러(?:졌|져)|쓰러졌|쓰러져서|낙상|굴렀|헛디뎌|엉덩방아"),
    "pain": re.compile(r"아프|아파|아픈|아퍼|아팠|쑤시|쑤셔|결리|결려|저리|저려|욱신|통증|시려|시리|뻐근|다쳤|다치|지끈|띵하|띵해"),
    "dizziness": re.compile(r"어지러|어지럽|(?<!넘)어질|현기증|핑돌|빙빙"),
}
_BODY_PART = re.compile(
    r"(허리|무릎|머리|다리|어깨|팔|손목|발목|배|등|목|관절|엉덩이|골반|손|발|허벅지|치아|옆구리)"
    r"(?=[가이를을도는은쪽]|아프|아파|쑤|결|저|시|다쳤)"
)
_SEVERE = re.compile(r"많이|너무|심하|심해|심했|엄청|무지|못참|참을수|죽겠|못걷|못움직|못일어|꼼짝|펄펄|부러")
_DEGREES = re.compile(r"(3[5-9]|4[0-2])(?:\.(\d))?도")


@dataclass(frozen=True)
class SymptomFinding:
    symptom: str
    evidence: str  # the caller's words: the clause that names the symptom
    location: str | None = None  # body part for pain / fall
    severe: bool = False


def find_symptoms(u: Utterance) -> list[SymptomFinding]:
    """Symptoms the person says they have (negated mentions are dropped), in a stable order."""
    found: dict[str, SymptomFinding] = {}
    chest_clauses = set()
    for symptom, pattern in _SYMPTOM_PATTERNS.items():
        for m in mentions(u, pattern):
            if m.negated or symptom in found:
                continue
            if symptom == "pain" and m.clause in chest_clauses:
                continue
            clause_text = u.clause_text(m.clause)
            if symptom == "chest_pain":
                chest_clauses.add(m.clause)
            if symptom == "fever":
                degrees = temperature(u)
                if degrees is not None and degrees < 37.5 and not re.search(r"열", clause_text):
                    continue
            part = _BODY_PART.search(clause_text) or _BODY_PART.search(u.compact)
            found[symptom] = SymptomFinding(
                symptom,
                evidence=u.clause_words(m.clause),
                location=part.group(1) if part and symptom in ("pain", "fall") else None,
                severe=bool(_SEVERE.search(clause_text)),
            )
    pain = found.get("pain")
    if pain and "chest_pain" in found and pain.location is None:
        del found["pain"]  # "가슴이 답답하고 뻐근해": the ache is the chest's
    degrees = temperature(u)
    if "fever" not in found and degrees is not None and degrees >= 37.5:
        found["fever"] = SymptomFinding("fever", evidence=u.words())
    return [found[s] for s in _SYMPTOM_PATTERNS if s in found]


def denied_symptoms(u: Utterance) -> list[str]:
    """Symptoms the person explicitly denies ("열은 없어요", "숨은 안 차요")."""
    return [s for s, pattern in _SYMPTOM_PATTERNS.items() if any(m.negated for m in mentions(u, pattern))]


def temperature(u: Utterance) -> float | None:
    """A body temperature said in digits ("38.5도") or sino-Korean words ("삼십팔 도")."""
    m = _DEGREES.search(u.compact)
    if m:
        return float(f"{m.group(1)}.{m.group(2) or 0}")
    m = re.search(r"삼십([오육칠팔구])(?:점([일이삼사오육칠팔구]))?도", u.compact)
    if m:
        digits = "_일이삼사오육칠팔구"
        whole = 30 + digits.index(m.group(1))
        return whole + (digits.index(m.group(2)) / 10 if m.group(2) else 0.0)
    return None


def is_severe(u: Utterance) -> bool:
    return bool(_SEVERE.search(u.compact))


def body_part(u: Utterance) -> str | None:
    m = _BODY_PART.search(u.compact)
    return m.group(1) if m else None
