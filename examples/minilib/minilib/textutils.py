"""Text helpers: slugs, wrapping and filling, truncation, word statistics, case conversion."""

import re
import unicodedata
from collections import Counter

DEFAULT_WIDTH = 40
ELLIPSIS = "..."
_WORD_RE = re.compile(r"[A-Za-z0-9']+")


def slugify(text, separator="-", max_length=None):
    """Turn ``text`` into a lowercase ASCII slug joined by ``separator``.

    Accents are stripped, runs of other characters become one separator and a
    slug cut to ``max_length`` never ends with a separator.
    """
    normalized = unicodedata.normalize("NFKD", text)
    ascii_text = normalized.encode("ascii", "ignore").decode("ascii")
    parts = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = separator.join(parts)
    if max_length is not None:
        slug = slug[:max_length].rstrip(separator)
    return slug


def words(text):
    """Return the lowercase words of ``text`` in order."""
    return [word.lower() for word in _WORD_RE.findall(text)]


def word_counts(text, min_length=1):
    """Count words of at least ``min_length`` characters."""
    counts = Counter()
    for word in words(text):
        if len(word) >= min_length:
            counts[word] += 1
    return dict(counts)


def most_common(text, n=3):
    """The ``n`` most frequent words as (word, count), ties broken alphabetically."""
    counts = word_counts(text)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ranked[:n]


def wrap(text, width=DEFAULT_WIDTH, indent=""):
    """Greedy word wrap into a list of lines.

    Every line starts with ``indent`` and is at most ``width`` characters long
    unless a single word is longer.
    """
    if width <= len(indent):
        raise ValueError("width must be larger than the indent")
    lines = []
    current = ""
    for word in text.split():
        if not current:
            current = indent + word
        elif len(current) + 1 + len(word) > width:
            lines.append(current)
            current = indent + word
        else:
            current = current + " " + word
    if current:
        lines.append(current)
    return lines


def fill(text, width=DEFAULT_WIDTH, indent=""):
    """Like ``wrap`` but returns a single string with newline-separated lines."""
    return "\n".join(wrap(text, width, indent))


def truncate(text, limit, suffix=ELLIPSIS):
    """Cut ``text`` to at most ``limit`` characters, ending with ``suffix`` if cut."""
    if limit < len(suffix):
        raise ValueError("limit is shorter than the suffix")
    if len(text) <= limit:
        return text
    keep = limit - len(suffix)
    return text[:keep].rstrip() + suffix


def is_palindrome(text):
    """True if the letters and digits of ``text`` read the same both ways."""
    cleaned = [char.lower() for char in text if char.isalnum()]
    return len(cleaned) > 0 and cleaned == cleaned[::-1]


def camel_to_snake(name):
    """``parseHTTPResponse`` -> ``parse_http_response``."""
    result = []
    for index, char in enumerate(name):
        if char.isupper() and index > 0:
            previous = name[index - 1]
            following = name[index + 1] if index + 1 < len(name) else ""
            if previous.islower() or (previous.isupper() and following.islower()):
                result.append("_")
        result.append(char.lower())
    return "".join(result)


def snake_to_camel(name, capitalize_first=False):
    """``parse_http_response`` -> ``parseHttpResponse``."""
    parts = [part for part in name.split("_") if part]
    if not parts:
        return ""
    head = parts[0].capitalize() if capitalize_first else parts[0].lower()
    tail = "".join(part.capitalize() for part in parts[1:])
    return head + tail


def center(text, width, fill="*"):
    """Center ``text`` in ``width`` columns; the extra column goes to the right."""
    padding = width - len(text)
    if padding <= 0:
        return text
    left = padding // 2
    right = padding - left
    return fill * left + text + fill * right
