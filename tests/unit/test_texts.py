"""Sentences' parts that the catalogs do not hold: a language's name, in the reader's language."""

from __future__ import annotations

import pytest

from hotline import texts


@pytest.mark.parametrize(("lang", "code", "name"), [
    ("zh", "TR", "土耳其语"),
    ("en", "TR", "Turkish"),
    ("en", "TL", "Filipino"),  # Tagalog, as Babel names it
    ("zh", "BO", "藏语"),  # a script no rule reads
    ("fr", "PL", "波兰语"),  # a reader's language the hotline does not speak reads as Chinese
    ("en", "XX", "XX"),  # a code Babel knows no language for: the code
])
def test_a_language_is_named_in_the_readers_language(lang, code, name):
    assert texts.language_name(lang, code) == name
