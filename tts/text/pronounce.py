"""Standard Korean pronunciation (표준 발음법) as a hangul → pronounced-hangul pass.

Rules, in the order they apply: a few lexical exceptions; ㅎ 탈락/축약 (격음화); 구개음화; 연음 (겹받침 split);
받침 neutralisation to the 7 representative codas; 경음화 (obstruent codas, ㄵ/ㄻ/ㄼ/ㄾ verb stems, -ㄹ + 수/것/데…,
-ㄹ게요); 비음화 (incl. ㄹ → ㄴ after obstruents, ㅁ, ㅇ); 유음화; vowel simplifications (ㅢ, ㅖ, 져 → 저).
Word boundaries (spaces) block 연음 of sonorants but not neutralisation-then-linking, 비음화 or 격음화, as in
connected speech ("몇 명" → "면 명", "못 해요" → "모 태요").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from tts.text.hangul import is_hangul, join, split

# Spelling → spelling that the regular rules then read correctly (사이시옷/ㄴ-insertion/한자어 경음화 cases).
EXCEPTIONS: dict[str, str] = {
    "맛없": "마덦", "멋없": "머덦", "알약": "알략", "물약": "물략", "혈압약": "혈압냑", "두통약": "두통냑",
    "감기약": "감기약", "칠십": "칠씹", "팔십": "팔씹", "일시": "일씨", "일정": "일쩡", "결정": "결쩡",
    "발생": "발쌩", "출석": "출썩", "절대": "절때", "물질": "물찔", "갈등": "갈뜽", "발달": "발딸",
    "불법": "불뻡", "물고기": "물꼬기", "길가": "길까", "손등": "손뜽", "등불": "등뿔", "문고리": "문꼬리",
    "눈동자": "눈똥자", "잠자리": "잠짜리", "그믐달": "그믐딸", "강가": "강까", "초승달": "초승딸",
    "산새": "산쌔", "바람결": "바람껼", "한여름": "한녀름", "색연필": "생년필", "식용유": "시굥뉴",
    "담요": "담뇨", "솜이불": "솜니불", "서울역": "서울력", "의견란": "의견난", "생산량": "생산냥",
    "입원료": "이붠뇨", "밤낮": "밤낟", "깜빡하": "깜빠카",
}
_EXC_RE = re.compile("|".join(sorted(map(re.escape, EXCEPTIONS), key=len, reverse=True)))

_ASPIRATE = {"ㄱ": "ㅋ", "ㄷ": "ㅌ", "ㅂ": "ㅍ", "ㅈ": "ㅊ"}
_TENSE = {"ㄱ": "ㄲ", "ㄷ": "ㄸ", "ㅂ": "ㅃ", "ㅅ": "ㅆ", "ㅈ": "ㅉ"}
_H_FINALS = {"ㅎ": "", "ㄶ": "ㄴ", "ㅀ": "ㄹ"}
# coda before ㅎ → (coda left, aspirated initial)
_H_AFTER = {"ㄱ": ("", "ㅋ"), "ㄲ": ("", "ㅋ"), "ㅋ": ("", "ㅋ"), "ㄳ": ("ㄱ", "ㅋ"), "ㄺ": ("ㄹ", "ㅋ"),
            "ㄷ": ("", "ㅌ"), "ㅅ": ("", "ㅌ"), "ㅆ": ("", "ㅌ"), "ㅌ": ("", "ㅌ"), "ㅈ": ("", "ㅊ"),
            "ㅊ": ("", "ㅊ"), "ㄵ": ("ㄴ", "ㅊ"), "ㅂ": ("", "ㅍ"), "ㅍ": ("", "ㅍ"), "ㄼ": ("ㄹ", "ㅍ"),
            "ㅄ": ("ㅂ", "ㅍ")}
# 겹받침 → (stays, moves to the next onset) before a vowel; ㅅ moves as ㅆ (넋이 → 넉씨, 없어 → 업써)
_SPLIT = {"ㄳ": ("ㄱ", "ㅆ"), "ㄵ": ("ㄴ", "ㅈ"), "ㄺ": ("ㄹ", "ㄱ"), "ㄻ": ("ㄹ", "ㅁ"), "ㄼ": ("ㄹ", "ㅂ"),
          "ㄽ": ("ㄹ", "ㅆ"), "ㄾ": ("ㄹ", "ㅌ"), "ㄿ": ("ㄹ", "ㅍ"), "ㅄ": ("ㅂ", "ㅆ")}
_NEUTRAL = {"ㄲ": "ㄱ", "ㅋ": "ㄱ", "ㄳ": "ㄱ", "ㄺ": "ㄱ", "ㅅ": "ㄷ", "ㅆ": "ㄷ", "ㅈ": "ㄷ", "ㅊ": "ㄷ",
            "ㅌ": "ㄷ", "ㅎ": "ㄷ", "ㅍ": "ㅂ", "ㄿ": "ㅂ", "ㅄ": "ㅂ", "ㄵ": "ㄴ", "ㄶ": "ㄴ", "ㄻ": "ㅁ",
            "ㄼ": "ㄹ", "ㄽ": "ㄹ", "ㄾ": "ㄹ", "ㅀ": "ㄹ"}
_OBSTRUENT = {"ㄱ", "ㄷ", "ㅂ"}
_NASAL = {"ㄱ": "ㅇ", "ㄷ": "ㄴ", "ㅂ": "ㅁ"}
_STEM_TENSING = {"ㄵ", "ㄻ", "ㄼ", "ㄾ"}  # only verb stems end in these: 앉다 → 안따, 젊고 → 점꼬
_NOUN_LG = {"닭", "흙", "칡", "삵"}  # ㄺ + ㄱ reads ㄱ for nouns (닭고기 → 닥꼬기), ㄹ for verbs (읽고 → 일꼬)
_LINK_VOWELS = set("ㅏㅓㅗㅜㅟㅘㅝ")  # 제15항: 밥 안 → 바반, 못 와요 → 모돠요
_BOUND_NOUNS = {"수", "거", "것", "게", "데", "줄", "적", "건", "걸"}  # -(으)ㄹ + these → tense
_Y_VOWEL = {"ㅑ": "ㅏ", "ㅕ": "ㅓ", "ㅛ": "ㅗ", "ㅠ": "ㅜ", "ㅒ": "ㅐ", "ㅖ": "ㅔ"}


@dataclass
class _Syl:
    ini: str
    vow: str
    fin: str
    word: int  # index of the word (space-separated) inside the phrase
    orig_fin: str = ""

    def text(self) -> str:
        return join(self.ini, self.vow, self.fin)


def g2p(text: str) -> str:
    """Pronounced form of hangul text: '국물 먹어요' → '궁물 머거요'. Non-hangul characters pass through."""
    text = _EXC_RE.sub(lambda m: EXCEPTIONS[m.group(0)], text)
    out: list[str] = []
    pos = 0  # a phrase is a run of hangul words separated by spaces; anything else is a boundary
    for m in re.finditer(r"[가-힣]+(?: +[가-힣]+)*", text):
        out.append(text[pos:m.start()])
        out.append(_phrase(m.group(0)))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _phrase(phrase: str) -> str:
    words = phrase.split()
    syls = [_Syl(*split(ch), word=w) for w, word in enumerate(words) for ch in word if is_hangul(ch)]
    for s in syls:
        s.orig_fin = s.fin
    _h_and_linking(syls, words)
    _neutralise_and_tense(syls, words)
    _nasal_and_lateral(syls)
    _vowels(syls)
    out, last_word = [], 0
    for s in syls:
        if s.word != last_word:
            out.append(" ")
            last_word = s.word
        out.append(s.text())
    return "".join(out)


def _pairs(syls: list[_Syl]):
    for i in range(len(syls) - 1):
        yield syls[i], syls[i + 1], syls[i].word != syls[i + 1].word


def _h_and_linking(syls: list[_Syl], words: list[str]) -> None:
    for a, b, spaced in _pairs(syls):
        if a.fin in _H_FINALS and not spaced:
            rest = _H_FINALS[a.fin]
            if b.ini in _ASPIRATE:
                a.fin, b.ini = rest, _ASPIRATE[b.ini]  # 놓고 → 노코, 않고 → 안코
            elif b.ini == "ㅅ":
                a.fin, b.ini = rest, "ㅆ"  # 좋소 → 조쏘, 않습니다 → 안씀니다
            elif b.ini == "ㄴ":
                a.fin = rest or "ㄴ"  # 놓는 → 논는, 않는 → 안는, 뚫는 → 뚤는 (→ 뚤른)
            elif b.ini == "ㅇ":
                a.fin = rest  # 좋아요 → 조아요, 많아 → 만아 (→ 마나)
        if b.ini == "ㅎ" and a.fin in _H_AFTER:
            a.fin, b.ini = _H_AFTER[a.fin]  # 축하 → 추카, 못 해요 → 모 태요
            if b.ini == "ㅌ" and b.vow == "ㅣ":
                b.ini = "ㅊ"  # 닫히다 → 다치다
            continue
        if b.ini == "ㅇ" and b.vow == "ㅣ" and not spaced and a.fin in ("ㄷ", "ㅌ", "ㄾ"):
            a.fin, b.ini = ("ㄹ" if a.fin == "ㄾ" else ""), ("ㅈ" if a.fin == "ㄷ" else "ㅊ")  # 같이 → 가치
            continue
        if b.ini != "ㅇ" or not a.fin or a.fin == "ㅇ":
            continue
        if not spaced:
            if a.fin in _SPLIT:
                a.fin, b.ini = _SPLIT[a.fin]  # 앉아 → 안자, 없어 → 업써
            else:
                a.fin, b.ini = "", a.fin  # 먹어요 → 머거요, 있어 → 이써
        elif b.vow in _LINK_VOWELS and _NEUTRAL.get(a.fin, a.fin) in _OBSTRUENT:
            a.fin, b.ini = "", _NEUTRAL.get(a.fin, a.fin)  # 밥 안 → 바 반


def _neutralise_and_tense(syls: list[_Syl], words: list[str]) -> None:
    for i, s in enumerate(syls):
        if not s.fin:
            continue
        nxt = syls[i + 1] if i + 1 < len(syls) else None
        same_word = nxt is not None and nxt.word == s.word
        if s.fin == "ㄺ" and same_word and nxt.ini == "ㄱ" and words[s.word][_index_in_word(syls, i)] not in _NOUN_LG:
            s.fin = "ㄹ"  # 읽고 → 일꼬
            nxt.ini = "ㄲ"
            continue
        if s.fin == "ㄼ" and s.text().startswith("밟"):
            s.fin = "ㅂ"  # 밟다 → 밥따
        orig = s.fin
        s.fin = _NEUTRAL.get(s.fin, s.fin)
        if nxt is None or nxt.ini not in _TENSE:
            continue
        if same_word and (s.fin in _OBSTRUENT or orig in _STEM_TENSING):
            nxt.ini = _TENSE[nxt.ini]  # 학교 → 학꾜, 앉다 → 안따
        elif not same_word and s.fin in _OBSTRUENT and words[s.word] == "못":
            nxt.ini = _TENSE[nxt.ini]  # 못 잤어요 → 몯 짜써요
        elif not same_word and s.fin == "ㄹ" and words[nxt.word][:1] in _BOUND_NOUNS and len(words[nxt.word]) <= 3:
            nxt.ini = _TENSE[nxt.ini]  # 할 수 → 할 쑤, 먹을 거예요 → 머글 꺼예요
        elif same_word and s.fin == "ㄹ" and nxt.text() in ("게", "걸") and _ends_with_yo(syls, i + 1):
            nxt.ini = "ㄲ"  # 할게요 → 할께요, 갈걸요 → 갈껄요


def _index_in_word(syls: list[_Syl], i: int) -> int:
    """Index of syllable ``i`` inside its word."""
    j = i
    while j > 0 and syls[j - 1].word == syls[i].word:
        j -= 1
    return i - j


def _ends_with_yo(syls: list[_Syl], i: int) -> bool:
    n = syls[i + 1] if i + 1 < len(syls) else None
    return n is not None and n.word == syls[i].word and n.text() == "요"


def _nasal_and_lateral(syls: list[_Syl]) -> None:
    for a, b, spaced in _pairs(syls):
        if b.ini == "ㄹ" and not spaced and a.fin in ("ㄱ", "ㄷ", "ㅂ", "ㅁ", "ㅇ"):
            b.ini = "ㄴ"  # 국립 → 국닙 (→ 궁닙), 종로 → 종노
        if a.fin in _NASAL and b.ini in ("ㄴ", "ㅁ"):
            a.fin = _NASAL[a.fin]  # 국물 → 궁물, 몇 명 → 면 명
        elif not spaced and a.fin == "ㄴ" and b.ini == "ㄹ":
            a.fin = "ㄹ"  # 신라 → 실라
        elif not spaced and a.fin == "ㄹ" and b.ini == "ㄴ":
            b.ini = "ㄹ"  # 설날 → 설랄


def _vowels(syls: list[_Syl]) -> None:
    for i, s in enumerate(syls):
        first_of_word = i == 0 or syls[i - 1].word != s.word
        last_of_word = i + 1 == len(syls) or syls[i + 1].word != s.word
        if s.vow == "ㅢ":
            if s.ini != "ㅇ":
                s.vow = "ㅣ"  # 희망 → 히망
            elif not first_of_word:
                s.vow = "ㅔ" if last_of_word else "ㅣ"  # 우리의 → 우리에, 주의 → 주이
        elif s.vow == "ㅖ" and s.ini not in ("ㅇ", "ㄹ"):
            s.vow = "ㅔ"  # 계세요 → 게세요
        if s.ini in ("ㅈ", "ㅉ", "ㅊ") and s.vow in _Y_VOWEL:
            s.vow = _Y_VOWEL[s.vow]  # 가져 → 가저
