import pytest

from minilib.parsing import (
    ParseError,
    dump_config,
    evaluate,
    load_config,
    parse_config,
    parse_kv,
    parse_value,
    save_config,
    tokenize,
)


def test_parse_value():
    cases = [
        ("42", 42),
        ("  7  ", 7),
        ("-3.5", -3.5),
        ("1e3", 1000.0),
        ("yes", True),
        ("Off", False),
        ('"42"', "42"),
        ("'a b'", "a b"),
        ('""', ""),
        ('"', '"'),
        ("hello", "hello"),
    ]
    for raw, expected in cases:
        result = parse_value(raw)
        assert result == expected, raw
        assert type(result) is type(expected), raw


def test_parse_kv_basic():
    assert parse_kv("a=1; b=two; c = true") == {"a": 1, "b": "two", "c": True}
    assert parse_kv("a=1;;") == {"a": 1}
    assert parse_kv("url=a=b") == {"url": "a=b"}


def test_parse_kv_custom_separators():
    assert parse_kv("x:1,y:2.5", ",", ":") == {"x": 1, "y": 2.5}


def test_parse_kv_errors():
    with pytest.raises(ParseError, match="missing '='"):
        parse_kv("a=1;b")
    with pytest.raises(ParseError, match="empty key"):
        parse_kv(" =3")


CONFIG_TEXT = """\
# global settings
name = demo
debug: yes

[server]
host = "localhost"
port = 8080
; ratio of workers
ratio = 0.75

[empty]
"""


def test_parse_config():
    assert parse_config(CONFIG_TEXT) == {
        "default": {"name": "demo", "debug": True},
        "server": {"host": "localhost", "port": 8080, "ratio": 0.75},
        "empty": {},
    }


def test_parse_config_repeated_sections_merge():
    text = "[a]\nx = 1\n[b]\nk = 1\n[a]\nj = 2\n"
    assert parse_config(text) == {"a": {"x": 1, "j": 2}, "b": {"k": 1}}


def test_parse_config_errors_report_lines():
    with pytest.raises(ParseError) as info:
        parse_config("[abc")
    assert info.value.line == 1
    with pytest.raises(ParseError) as info:
        parse_config("a = 1\n[ ]")
    assert info.value.line == 2
    with pytest.raises(ParseError) as info:
        parse_config("x = 1\n\njunk")
    assert str(info.value) == "line 3: cannot parse 'junk'"
    assert ParseError("plain").line is None
    assert str(ParseError("plain")) == "plain"


def test_load_config(tmp_path, monkeypatch):
    path = tmp_path / "app.ini"
    path.write_text(CONFIG_TEXT, encoding="utf-8")
    assert load_config(str(path))["server"]["port"] == 8080
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_config("~/app.ini")["default"] == {"name": "demo", "debug": True}
    with pytest.raises(FileNotFoundError):
        load_config(str(tmp_path / "missing.ini"))


def test_dump_config_round_trip():
    config = {"server": {"port": 80, "tls": False}, "app": {"name": "x", "on": True}}
    text = dump_config(config)
    assert text == "[app]\nname = x\non = true\n\n[server]\nport = 80\ntls = false\n"
    assert parse_config(text) == config


def test_save_config(tmp_path, monkeypatch):
    config = {"db": {"name": "main", "replicas": 2}}
    path = tmp_path / "out.ini"
    assert save_config(config, str(path)) == len("[db]\nname = main\nreplicas = 2\n")
    assert path.read_text(encoding="utf-8") == "[db]\nname = main\nreplicas = 2\n"
    monkeypatch.setenv("HOME", str(tmp_path))
    save_config({"x": {"y": True}}, "~/home.ini")
    assert load_config(str(tmp_path / "home.ini")) == {"x": {"y": True}}


def test_tokenize():
    assert tokenize("3 + 4.5*x") == [
        ("num", 3),
        ("op", "+"),
        ("num", 4.5),
        ("op", "*"),
        ("name", "x"),
    ]
    assert tokenize("2**(1)") == [
        ("num", 2),
        ("op", "**"),
        ("op", "("),
        ("num", 1),
        ("op", ")"),
    ]
    assert tokenize("   ") == []
    with pytest.raises(ParseError):
        tokenize("3 $ 4")


def test_evaluate_precedence_and_associativity():
    assert evaluate("2 + 3 * 4") == 14
    assert evaluate("(2 + 3) * 4") == 20
    assert evaluate("10 - 4 - 3") == 3
    assert evaluate("2 ** 3 ** 2") == 512
    assert evaluate("7 % 4") == 3
    assert evaluate("5 % 1") == 0
    assert evaluate("7 / 2") == 3.5
    assert evaluate("1.5 * 4") == 6.0


def test_evaluate_unary_signs():
    assert evaluate("-2 ** 2") == -4
    assert evaluate("+5 - -2") == 7
    assert evaluate("2 * -3") == -6
    assert evaluate("+-3") == -3


def test_evaluate_variables():
    assert evaluate("x * (y + 1)", {"x": 3, "y": 4}) == 15
    with pytest.raises(ParseError, match="unknown variable 'z'"):
        evaluate("z + 1")


def test_evaluate_syntax_errors():
    for expression in ["", "1 +", "(1 + 2", "1 2", "* 3", ")"]:
        with pytest.raises(ParseError):
            evaluate(expression)


def test_evaluate_division_by_zero():
    with pytest.raises(ZeroDivisionError):
        evaluate("1 / 0")
    with pytest.raises(ZeroDivisionError):
        evaluate("5 % (2 - 2)")
