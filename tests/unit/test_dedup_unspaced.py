"""Texts in scripts written without spaces (Chinese, Japanese, Thai): each character is a token, so MinHash and the
decontamination n-grams see a near-copy as one. Before, a whole clause ("我今天去商店买了三个苹果") was one token: a
one-character edit changed the clause's only token and every n-gram over it, and near-duplicates went unseen."""

from __future__ import annotations

from curation.dedup import words
from curation.dedup.decontam import DecontamConfig, Decontaminate
from curation.dedup.minhash import MinHashConfig, MinHashDedup
from ground.record import new_sample

ZH = ("小明有十二个苹果，他给了妹妹三个，又从商店买了五个。后来他把一半的苹果分给了同学们，"
      "每个同学得到两个。请问小明现在还剩下多少个苹果？一共有几个同学得到了苹果？")
ZH_ONE = ZH.replace("妹妹", "弟弟")  # one word changed: a near-duplicate (5-gram Jaccard 0.84)
ZH_EDIT = ZH_ONE.replace("商店", "超市")  # two words changed, as a paraphrasing copy would
JA = "太郎は毎朝七時に起きて、駅まで二十分歩きます。電車に乗って会社に行き、夕方六時に家に帰ります。週に何時間歩きますか。"


def row(pid: str, completion: str, prompt: str = "q") -> dict:
    return new_sample(stage="gen", prompt_id=pid, sample_index=0, completion=completion,
                      messages=[{"role": "user", "content": prompt}])


def test_unspaced_scripts_are_tokenized_per_character_and_ascii_is_unchanged():
    assert words("小明有十二个苹果，他给了") == list("小明有十二个苹果他给了")
    assert words("東京タワー 3 times") == ["東", "京", "タ", "ワ", "ー", "3", "times"]
    assert words("Natalia sold 48 clips, didn't she?") == ["natalia", "sold", "48", "clips", "didn", "t", "she"]


def test_minhash_finds_a_chinese_near_duplicate():
    rows = [row("a", ZH), row("b", ZH_ONE), row("c", JA)]
    out = MinHashDedup(MinHashConfig(on="completion"))(rows)  # the defaults: 5-grams, threshold 0.8
    reasons = sorted(str(r["reject_reason"]) for r in out[:2])  # one of the two copies survives
    assert reasons[0] == "None" and reasons[1].startswith("near-duplicate of ") and reasons[1].endswith("(minhash jaccard=0.84)")
    assert out[2]["reject_reason"] is None


def test_decontamination_catches_a_lightly_edited_chinese_benchmark_item(tmp_path):
    import json

    f = tmp_path / "zh_bench.jsonl"
    f.write_text(json.dumps({"id": "zh-1", "question": ZH}, ensure_ascii=False) + "\n")
    spec = {"name": "zh", "path": str(f), "field": "question", "id_field": "id"}
    out = Decontaminate(DecontamConfig(benchmarks=[spec], on="prompt", template=False))(
        [row("a", "x", prompt=ZH_EDIT), row("b", "x", prompt=JA)])
    assert out[0]["reject_reason"].startswith("contaminated: zh#zh-1 13-gram") and out[1]["reject_reason"] is None


def test_the_length_filter_counts_a_character_of_such_scripts_as_a_word():
    """Was split(): a 200-character Chinese answer was '1 word' and passed max_completion: 64."""
    from curation.filters.length import LengthConfig, LengthFilter

    out = LengthFilter(LengthConfig(max_completion=64))([row("a", ZH * 2), row("b", "a b c - d " * 12)])
    assert out[0]["reject_reason"] == f"length: completion {len(ZH) * 2} words > max 64"
    assert out[1]["reject_reason"] is None  # ASCII counts as before: 60 whitespace-separated runs


HI_BOY = "लड़का हर सुबह स्कूल जाता है और शाम को घर आकर पढ़ता है। वह अपने छोटे भाई के साथ खेलता है।"
HI_GIRL = "लड़की हर सुबह स्कूल जाती है और शाम को घर आकर पढ़ती है। वह अपनी छोटी बहन के साथ खेलती है।"


def test_indic_vowel_signs_belong_to_their_word():
    """Was: Python's \\w does not take combining marks, so the vowel signs of Devanagari (Bengali, Tamil, ...) cut
    every word into consonant pieces and were dropped: "लड़का" (boy) and "लड़की" (girl) became the same tokens, and
    a story about a boy was a near-duplicate of one about a girl ("minhash jaccard=0.67", threshold 0.6)."""
    assert words("आज मैं दुकान गया") == ["आज", "मैं", "दुकान", "गया"]
    rows = [row("a", HI_BOY), row("b", HI_GIRL), row("c", HI_BOY.replace("हर सुबह", "हर रोज़ सुबह"))]
    out = MinHashDedup(MinHashConfig(on="completion", threshold=0.6))(rows)
    assert [r["reject_reason"] for r in out[:2]] == [None, None]
    assert out[2]["reject_reason"].startswith("near-duplicate of " + out[0]["id"])  # a real copy is still one


def test_arabic_and_hebrew_vowel_points_are_optional_like_accents():
    """Was: a copy written with harakat was cut into single letters (the marks split every word), so it shared no
    token with the plain text."""
    assert words("ذَهَبْتُ إلى المَتْجَرِ") == words("ذهبت إلى المتجر") == ["ذهبت", "الى", "المتجر"]
    assert words("שָׁלוֹם עוֹלָם") == words("שלום עולם") == ["שלום", "עולם"]
