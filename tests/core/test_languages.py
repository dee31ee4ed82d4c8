"""Every language has every text, with the same placeholders; locales map to languages."""

from __future__ import annotations

import re
import string

import pytest

from bot.core.texts import CATALOGUES, DEFAULT_LOCALE, LANGUAGES, normalise_locale, t
from bot.core.texts.en import EN

_FORMATTER = string.Formatter()
_PLACEHOLDER_RE = re.compile(r"\{[^}]*\}")
_ENGLISH_WORD_RE = re.compile(r"[A-Za-z]{2,}")


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in _FORMATTER.parse(template) if name is not None}


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_language_has_every_key_with_the_same_placeholders(language: str) -> None:
    table = CATALOGUES[language]
    problems = [
        f"{language}: key {key!r} is missing (English: {EN[key]!r})"
        for key in EN
        if key not in table
    ]
    problems += [
        f"{language}: key {key!r} is not in English (bot/core/texts/en.py); remove it or add it"
        for key in table
        if key not in EN
    ]
    problems += [
        f"{language}: key {key!r} has placeholders {sorted(_placeholders(table[key]))}, "
        f"English has {sorted(_placeholders(EN[key]))}"
        for key in EN
        if key in table and _placeholders(table[key]) != _placeholders(EN[key])
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_formats_with_its_own_placeholders(language: str) -> None:
    for key, template in CATALOGUES[language].items():
        values = dict.fromkeys(_placeholders(template), "X")
        assert t(key, language, **values), f"{language}: {key!r} formats to nothing"


def test_chinese_texts_are_chinese() -> None:
    # A copy-pasted English text in the zh table would pass the key check; catch it.
    untranslated = [
        key for key, text in CATALOGUES["zh"].items()
        if text == EN[key] and len(_ENGLISH_WORD_RE.findall(_PLACEHOLDER_RE.sub("", text))) > 2
    ]
    assert untranslated == []


@pytest.mark.parametrize(
    ("text_key", "button_key"),
    [("mj.no_mask_pending", "mj.button.vary_region"), ("mj.ask_region", "mj.button.vary_region"),
     ("mj.ask_zoom", "mj.button.custom_zoom")],
)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_text_that_names_a_button_uses_its_label(
    language: str, text_key: str, button_key: str
) -> None:
    # A Chinese reader sees “局部重绘” under the image; “press Vary (Region)” would not say which.
    text = t(text_key, language, minutes=5)
    assert t(button_key, language) in text
    if language != "en":
        assert t(button_key, "en") not in text


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("zh", "zh"), ("zh-CN", "zh"), ("zh-TW", "zh"), ("zh-Hans", "zh"), ("zh_Hans", "zh"),
        ("zh-hans-cn", "zh"), ("ZH-HK", "zh"), ("en", "en"), ("en-US", "en"), ("en-GB", "en"),
        ("pt-BR", "en"), ("ja", "en"), ("", "en"), (None, "en"),
    ],
)
def test_platform_locales_map_to_a_language(locale: str | None, language: str) -> None:
    assert normalise_locale(locale) == language


def test_the_default_applies_only_to_unsupported_locales() -> None:
    assert normalise_locale("ja", "zh") == "zh"
    assert normalise_locale(None, "zh-CN") == "zh"
    assert normalise_locale("en-US", "zh") == "en"
    assert normalise_locale("ja", "klingon") == DEFAULT_LOCALE


def test_a_chinese_user_reads_chinese() -> None:
    assert t("error.rate_limited_retry", "zh-CN", seconds=5) == "当前请求过多，请 5 秒后再试。"
    assert t("stream.writing", "zh-hans") == "✍️ 生成中…"
