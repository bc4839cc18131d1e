"""Tiny parsers: typed values, ``key=value`` lists, INI-style configs and
arithmetic expressions."""

import os
import re

TRUE_WORDS = ("true", "yes", "on")
FALSE_WORDS = ("false", "no", "off")
DEFAULT_SECTION = "default"
COMMENT_PREFIXES = ("#", ";")


class ParseError(ValueError):
    """Raised for malformed input; ``line`` is 1-based when known."""

    def __init__(self, message, line=None):
        if line is not None:
            message = f"line {line}: {message}"
        super().__init__(message)
        self.line = line


def parse_value(raw):
    """Convert a raw string to bool, int, float or (unquoted) str."""
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    lowered = text.lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_kv(text, pair_sep=";", kv_sep="="):
    """Parse ``"a=1; b=two"`` into ``{"a": 1, "b": "two"}``."""
    result = {}
    for chunk in text.split(pair_sep):
        if not chunk.strip():
            continue
        if kv_sep not in chunk:
            raise ParseError(f"missing {kv_sep!r} in {chunk.strip()!r}")
        key, value = chunk.split(kv_sep, 1)
        key = key.strip()
        if not key:
            raise ParseError("empty key")
        result[key] = parse_value(value)
    return result


def parse_config(text):
    """Parse an INI-style document into ``{section: {key: value}}``.

    Keys before the first ``[section]`` header go to ``DEFAULT_SECTION``.
    Comments start with ``#`` or ``;``; ``key = value`` or ``key: value``.
    """
    config = {}
    section = DEFAULT_SECTION
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(COMMENT_PREFIXES):
            continue
        if stripped.startswith("["):
            if not stripped.endswith("]"):
                raise ParseError("unterminated section header", number)
            section = stripped[1:-1].strip()
            if not section:
                raise ParseError("empty section name", number)
            config.setdefault(section, {})
            continue
        match = re.match(r"([^=:]+)[=:](.*)$", stripped)
        if match is None:
            raise ParseError(f"cannot parse {stripped!r}", number)
        key = match.group(1).strip()
        config.setdefault(section, {})[key] = parse_value(match.group(2))
    return config


def load_config(path):
    """Read and parse a config file; ``~`` in ``path`` is expanded."""
    full_path = os.path.expanduser(path)
    with open(full_path, encoding="utf-8") as handle:
        text = handle.read()
    return parse_config(text)


def dump_config(config):
    """Serialize ``{section: {key: value}}`` back to text parse_config accepts."""
    blocks = []
    for section in sorted(config):
        lines = [f"[{section}]"]
        for key, value in config[section].items():
            if isinstance(value, bool):
                value = "true" if value else "false"
            lines.append(f"{key} = {value}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def save_config(config, path):
    """Write ``config`` to ``path`` (``~`` is expanded); returns the bytes written."""
    full_path = os.path.expanduser(path)
    text = dump_config(config)
    with open(full_path, "w", encoding="utf-8") as handle:
        written = handle.write(text)
    return written


_TOKEN_RE = re.compile(r"\s*(?:(\d+\.\d*|\d+)|([A-Za-z_]\w*)|(\*\*|[-+*/%()]))")


def tokenize(expression):
    """Split an arithmetic expression into number, name and operator tokens."""
    tokens = []
    position = 0
    expression = expression.rstrip()
    while position < len(expression):
        match = _TOKEN_RE.match(expression, position)
        if match is None:
            raise ParseError(f"unexpected character at {position}: {expression[position]!r}")
        number, name, operator = match.groups()
        if number is not None:
            tokens.append(("num", float(number) if "." in number else int(number)))
        elif name is not None:
            tokens.append(("name", name))
        else:
            tokens.append(("op", operator))
        position = match.end()
    return tokens


class _Evaluator:
    """Recursive-descent evaluator.

    expr   := term (("+" | "-") term)*
    term   := factor (("*" | "/" | "%") factor)*
    factor := ("-" | "+") factor | power
    power  := atom ("**" factor)?
    atom   := number | name | "(" expr ")"
    """

    def __init__(self, tokens, variables):
        self.tokens = tokens
        self.variables = variables
        self.index = 0

    def peek(self):
        if self.index < len(self.tokens):
            return self.tokens[self.index]
        return (None, None)

    def take(self):
        token = self.peek()
        self.index += 1
        return token

    def expr(self):
        value = self.term()
        while self.peek() in (("op", "+"), ("op", "-")):
            _, operator = self.take()
            right = self.term()
            value = value + right if operator == "+" else value - right
        return value

    def term(self):
        value = self.factor()
        while self.peek() in (("op", "*"), ("op", "/"), ("op", "%")):
            _, operator = self.take()
            right = self.factor()
            if operator == "*":
                value = value * right
            elif right == 0:
                raise ZeroDivisionError("division by zero in expression")
            elif operator == "/":
                value = value / right
            else:
                value = value % right
        return value

    def factor(self):
        if self.peek() == ("op", "-"):
            self.take()
            return -self.factor()
        if self.peek() == ("op", "+"):
            self.take()
            return self.factor()
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek() == ("op", "**"):
            self.take()
            return base ** self.factor()
        return base

    def atom(self):
        kind, value = self.take()
        if kind == "num":
            return value
        if kind == "name":
            if value not in self.variables:
                raise ParseError(f"unknown variable {value!r}")
            return self.variables[value]
        if (kind, value) == ("op", "("):
            inner = self.expr()
            if self.take() != ("op", ")"):
                raise ParseError("missing closing parenthesis")
            return inner
        raise ParseError(f"unexpected token {value!r}")


def evaluate(expression, variables=None):
    """Evaluate an arithmetic expression with + - * / % ** and parentheses."""
    tokens = tokenize(expression)
    if not tokens:
        raise ParseError("empty expression")
    evaluator = _Evaluator(tokens, variables or {})
    result = evaluator.expr()
    if evaluator.index != len(tokens):
        raise ParseError(f"unexpected token {evaluator.peek()[1]!r}")
    return result
