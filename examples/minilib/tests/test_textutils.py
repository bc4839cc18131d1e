import pytest

from minilib import textutils
from minilib.textutils import (
    camel_to_snake,
    center,
    fill,
    is_palindrome,
    most_common,
    slugify,
    snake_to_camel,
    truncate,
    word_counts,
    words,
    wrap,
)


def test_slugify_basic():
    assert slugify("Hello, World!") == "hello-world"
    assert slugify("  many   spaces here ") == "many-spaces-here"


def test_slugify_strips_accents():
    assert slugify("Crème Brûlée à la carte") == "creme-brulee-a-la-carte"


def test_slugify_separator_and_max_length():
    assert slugify("The quick brown fox", "_", 9) == "the_quick"
    assert slugify("The quick brown fox", max_length=10) == "the-quick"
    assert slugify("The quick brown fox", max_length=19) == "the-quick-brown-fox"


def test_words_and_word_counts():
    text = "The cat and the hat. The END"
    assert words(text) == ["the", "cat", "and", "the", "hat", "the", "end"]
    assert word_counts(text) == {"the": 3, "cat": 1, "and": 1, "hat": 1, "end": 1}


def test_word_counts_min_length():
    text = "a bb ccc dddd bb ccc"
    assert word_counts(text, 3) == {"ccc": 2, "dddd": 1}
    assert word_counts(text, min_length=2) == {"bb": 2, "ccc": 2, "dddd": 1}


def test_most_common_breaks_ties_alphabetically():
    assert most_common("b a c b a d b", 2) == [("b", 3), ("a", 2)]
    assert most_common("z y x y z w v") == [("y", 2), ("z", 2), ("v", 1)]


def test_wrap_exact_width_boundary():
    text = "the quick brown fox jumps over the lazy dog"
    assert wrap(text, 10) == ["the quick", "brown fox", "jumps over", "the lazy", "dog"]


def test_wrap_with_indent_and_long_words():
    assert wrap("alpha beta gamma", 12, "  ") == ["  alpha beta", "  gamma"]
    assert wrap("a", 3, "  ") == ["  a"]
    assert wrap("extraordinarily long", 5) == ["extraordinarily", "long"]
    assert wrap("") == []


def test_fill_default_width():
    text = " ".join(["word"] * 10)
    assert textutils.DEFAULT_WIDTH == 40
    assert fill(text) == " ".join(["word"] * 8) + "\n" + "word word"
    assert fill("alpha beta gamma", 12, "> ") == "> alpha beta\n> gamma"


def test_wrap_rejects_width_not_above_indent():
    with pytest.raises(ValueError):
        wrap("a", 2, "  ")
    with pytest.raises(ValueError):
        fill("a", 1, "-")


def test_truncate():
    assert truncate("hello world", 8) == "hello..."
    assert truncate("hello", 5) == "hello"
    assert truncate("hello world", 7, "~") == "hello~"
    assert truncate("hello world", 3) == "..."
    with pytest.raises(ValueError):
        truncate("abc", 2)


def test_is_palindrome():
    assert is_palindrome("A man, a plan, a canal: Panama") is True
    assert is_palindrome("hello") is False
    assert is_palindrome("") is False
    assert is_palindrome("!!") is False
    assert is_palindrome("x") is True


def test_camel_to_snake():
    assert camel_to_snake("parseHTTPResponse") == "parse_http_response"
    assert camel_to_snake("camelCase") == "camel_case"
    assert camel_to_snake("HTMLParser") == "html_parser"
    assert camel_to_snake("already_snake") == "already_snake"
    assert camel_to_snake("X") == "x"
    assert camel_to_snake("getID") == "get_id"
    assert camel_to_snake("aB") == "a_b"
    assert camel_to_snake("ABc") == "a_bc"


def test_snake_to_camel():
    assert snake_to_camel("parse_http_response") == "parseHttpResponse"
    assert snake_to_camel("parse_http_response", True) == "ParseHttpResponse"
    assert snake_to_camel("Mixed__case_") == "mixedCase"
    assert snake_to_camel("__") == ""


def test_center():
    assert center("ab", 7) == "**ab***"
    assert center("x", 4, "-") == "-x--"
    assert center("ab", 3) == "ab*"
    assert center("ab", 2) == "ab"
    assert center("abc", 2) == "abc"
