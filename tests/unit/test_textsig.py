"""Text signatures (common.textsig): a copy looks like a copy, unrelated texts do not,
Chinese is shingled by characters, and every process signs a text the same way."""
import os
import subprocess
import sys
import timeit

import pytest

from common import textsig
from common.errors import InvalidInput

REPORT = "小区3号楼东侧井盖缺失，夜间行人容易踩空，存在较大安全隐患，请相关部门尽快处理。"
COPY = "小区3号楼东侧井盖缺失，夜间行人容易踩空，存在较大安全隐患，请相关单位尽快处理。"  # 部门 -> 单位
OTHER = "走访独居老人王大爷，身体状况良好，家中水电正常，提醒注意冬季取暖用火安全。"
NOTE_A = "今日入户走访，了解到该户子女在外务工，老人独自居住，生活基本能够自理。"
NOTE_B = "路口垃圾桶满溢未及时清运，周边异味明显，已拍照上报环卫部门协调处理。"
# The signature of REPORT: pinned, since stored signatures are only comparable with new ones
# while nothing in the method changes (a change fails here first).
REPORT_SIGNATURE_HEAD = "81f219681955f0f3"


def jaccard(a, b):
    first, second = textsig.shingles(a), textsig.shingles(b)
    return len(first & second) / len(first | second)


def test_identical_texts_are_fully_alike():
    assert textsig.signature(REPORT) == textsig.signature(REPORT)
    assert textsig.similarity(textsig.signature(REPORT), textsig.signature(REPORT)) == 1.0


def test_a_copy_with_a_word_changed_is_highly_alike():
    assert textsig.similarity(textsig.signature(REPORT), textsig.signature(COPY)) > 0.7


@pytest.mark.parametrize("first, second", [(REPORT, OTHER), (NOTE_A, NOTE_B), (OTHER, NOTE_A)])
def test_unrelated_chinese_texts_are_hardly_alike(first, second):
    assert textsig.similarity(textsig.signature(first), textsig.signature(second)) < 0.2


def test_the_estimate_follows_the_true_jaccard_similarity():
    """64 lanes: a standard error of at most 1/16; a broken hash family (lanes that move
    together) strays much further on some of these."""
    base = REPORT + OTHER
    variants = [base, base[:40] + NOTE_A[:20] + base[60:], base[:30] + NOTE_B, NOTE_A + base[50:], NOTE_B]
    for variant in variants:
        estimate = textsig.similarity(textsig.signature(base), textsig.signature(variant))
        assert abs(estimate - jaccard(base, variant)) < 0.2, variant


def test_chinese_is_shingled_by_characters():
    assert textsig.shingles("走访独居老人") == {"走访独", "访独居", "独居老", "居老人"}
    assert textsig.is_signature(textsig.signature("走访独居老人张大爷家中"))


def test_whitespace_punctuation_width_and_case_do_not_count():
    signed = textsig.signature("井盖缺失，存在安全隐患！ＡＢＣ路口")
    assert textsig.signature("井盖缺失 存在安全隐患\nabc 路口") == signed
    assert textsig.normalise("Ｈｅｌｌｏ, World！ 你好。") == "helloworld你好"


@pytest.mark.parametrize("text", [None, "", "   ", "一切正常", "一切正常，无异常。", "，。！？…… ", 42, ["井盖缺失存在安全隐患"]])
def test_no_signature_for_no_text_or_a_stock_phrase(text):
    assert textsig.signature(text) is None


def test_eight_characters_are_the_shortest_signed():
    assert textsig.signature("井盖缺失存在隐") is None and textsig.is_signature(textsig.signature("井盖缺失存在隐患"))


def test_a_signature_is_256_hex_digits_and_the_same_in_every_process():
    signed = textsig.signature(REPORT)
    assert len(signed) == 256 and int(signed, 16) >= 0 and signed == signed.lower()
    assert signed.startswith(REPORT_SIGNATURE_HEAD)
    for seed in ("1", "2"):  # Python's own str hash differs per process; this must not
        script = f"from common.textsig import signature; print(signature({REPORT!r}))"
        other = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                               env=dict(os.environ, PYTHONHASHSEED=seed))
        assert other.stdout.strip() == signed


def test_bands_make_copies_candidates_and_unrelated_texts_not():
    report, copy, other = (textsig.bands(textsig.signature(t)) for t in (REPORT, COPY, OTHER))
    assert len(report) == 16 and all(key.startswith(f"{n:02d}:") and len(key) == 3 + 16 for n, key in enumerate(report))
    assert set(report) & set(copy)
    assert not set(report) & set(other)
    assert len(textsig.bands(textsig.signature(REPORT), bands=4)) == 4
    assert textsig.bands(textsig.signature(REPORT), bands=64)[63].startswith("63:")


@pytest.mark.parametrize("bands", [0, 5, 65, -16, "16", True, 2.0])
def test_bands_that_do_not_divide_64_are_refused(bands):
    with pytest.raises(InvalidInput) as refused:
        textsig.bands(textsig.signature(REPORT), bands=bands)
    assert set(refused.value.details["fields"]) == {"bands"}


@pytest.mark.parametrize("wrong", [None, "", "f" * 255, "F" * 256, "g" * 256, 17, ["a"] * 64])
def test_what_is_no_signature_is_refused_naming_it(wrong):
    signed = textsig.signature(REPORT)
    with pytest.raises(InvalidInput) as refused:
        textsig.similarity(signed, wrong)
    assert set(refused.value.details["fields"]) == {"sig_b"}
    with pytest.raises(InvalidInput) as refused:
        textsig.bands(wrong)
    assert set(refused.value.details["fields"]) == {"sig"}


def test_a_200_character_text_is_signed_in_about_half_a_millisecond():
    """Generous bound for a shared machine: a lane-by-lane loop in Python takes 5-10 ms."""
    text = (REPORT + OTHER + NOTE_A + NOTE_B)[:200]
    seconds = min(timeit.repeat(lambda: textsig.signature(text), number=50, repeat=5)) / 50
    assert seconds < 0.003, f"{seconds * 1000:.2f} ms"
