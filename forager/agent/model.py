"""OpenAI-compatible model servers: raw completions (cwm) and chat completions (chat)."""

from __future__ import annotations

import re
import time
from typing import Protocol

import httpx
from pydantic import BaseModel
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from forager.agent.llama3 import BEGIN_OF_TEXT, END_HEADER, END_OF_TURN, START_HEADER, Message, escape_special_tokens, header, render_prompt
from forager.agent.protocol import restore_stop, stop_strings
from forager.errors import ForagerError
from forager.records.episode_settings import Sampling


class ModelError(ForagerError):
    """The server could not be reached or kept failing."""


class ContextExceeded(ForagerError):
    """The server refused the prompt as longer than its context."""


class Reply(BaseModel):
    text: str
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    latency: float
    prompt: str | None = None  # cwm: the exact text the model was given
    stop_token: str = ""  # cwm: the special token that ended the turn ("" when it hit max_tokens)
    max_tokens: int = 0  # the max_tokens sent (capped at the context left)


class Model(Protocol):
    name: str
    sampling: Sampling

    def complete(self, messages: list[Message]) -> Reply: ...

    def info(self) -> dict: ...


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code in (408, 429, 500, 502, 503, 504)


def _looks_like_context_error(resp: httpx.Response) -> bool:
    text = resp.text.lower()
    return resp.status_code == 400 and any(w in text for w in ("context", "too long", "maximum", "exceed"))


class _Http:
    def __init__(self, endpoint: str, model: str, sampling: Sampling, timeout: float, api_key: str | None):
        self.endpoint = endpoint.rstrip("/")
        if not self.endpoint.endswith("/v1"):
            self.endpoint += "/v1"
        self.name, self.sampling = model, sampling
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(timeout=timeout, headers=headers)

    @retry(reraise=True, stop=stop_after_attempt(4), wait=wait_exponential(min=1, max=15),
           retry=retry_if_exception(_transient))
    def _post_once(self, path: str, body: dict) -> dict:
        resp = self.http.post(f"{self.endpoint}{path}", json=body)
        if _looks_like_context_error(resp):
            raise ContextExceeded(resp.text[:300])
        resp.raise_for_status()
        return resp.json()

    def post(self, path: str, body: dict) -> tuple[dict, float]:
        t0 = time.monotonic()
        try:
            return self._post_once(path, body), time.monotonic() - t0
        except httpx.TransportError as exc:
            raise ModelError(f"model server at {self.endpoint} is unreachable ({type(exc).__name__}: {exc})") from None
        except httpx.HTTPStatusError as exc:
            raise ModelError(f"model server at {self.endpoint} answered {exc.response.status_code}: "
                             f"{exc.response.text[:200]}") from None

    stop: list[str] | None = None  # None: the text protocol's stop strings
    context_limit: int = 0  # tokens of prompt + completion at most (0: no cap)
    _tokenize_route: str | None = None  # "" when the server offers none, None before the first try
    _server_len = 0

    def _sampling(self, prompt_tokens: int | None = None) -> dict:
        s = self.sampling.model_dump(exclude_none=True)
        s["max_tokens"] = self._cap(prompt_tokens)
        return {"model": self.name, "stop": stop_strings() if self.stop is None else self.stop, **s}

    def _cap(self, prompt_tokens: int | None) -> int:
        """max_tokens capped at the context left, so no request exceeds what the server accepts."""
        limit = min(x for x in (self.context_limit, self._server_len) if x) if (self.context_limit or
                                                                                  self._server_len) else 0
        if not limit or prompt_tokens is None:
            return self.sampling.max_tokens
        left = limit - prompt_tokens
        if left <= 0:
            raise ContextExceeded(f"the prompt takes {prompt_tokens} of {limit} context tokens")
        return min(self.sampling.max_tokens, left)

    def info(self) -> dict:
        """The endpoint, the model ids it serves, its context and tokenize route (empty when not said)."""
        try:
            data = self.http.get(f"{self.endpoint}/models", timeout=10).json().get("data", [])
            models = [m["id"] for m in data if isinstance(m, dict) and "id" in m]
            lens = [m.get("max_model_len") for m in data if isinstance(m, dict) and m.get("id") == self.name]
            self._server_len = int(lens[0]) if lens and lens[0] else 0
        except (httpx.HTTPError, ValueError, AttributeError, TypeError):
            models = []
        self.tokenize("probe")
        return {"endpoint": self.endpoint, "models": models, "tokenizer": self._tokenize_route or "",
                "max_model_len": self._server_len}

    # ------------------------------------------------------------ the server's tokenizer

    def tokenize(self, text: str, add_special: bool = True, parse_special: bool = True) -> list[int] | None:
        """How the server tokenizes `text` for a completion (None when it offers no route).

        vLLM: POST /tokenize {prompt, add_special_tokens}; llama.cpp's server: POST /tokenize
        {content, add_special}; llama-cpp-python: POST /extras/tokenize {input} (which
        tokenizes exactly as its /v1/completions does).
        """
        root = self.endpoint.removesuffix("/v1")
        routes = {
            "vllm:/tokenize": (f"{root}/tokenize", {"model": self.name, "prompt": text,
                                                    "add_special_tokens": add_special}),
            "llama.cpp:/tokenize": (f"{root}/tokenize", {"content": text, "add_special": add_special,
                                                         "parse_special": parse_special}),
            "llama-cpp-python:/extras/tokenize": (f"{root}/extras/tokenize",
                                                     {"model": self.name, "input": text}),
        }
        tried = [self._tokenize_route] if self._tokenize_route else list(routes)
        if self._tokenize_route == "":
            return None
        for name in tried:
            url, body = routes[name]
            try:
                resp = self.http.post(url, json=body, timeout=60)
                tokens = resp.json().get("tokens") if resp.status_code == 200 else None
            except (httpx.HTTPError, ValueError, AttributeError):
                tokens = None
            if isinstance(tokens, list) and all(isinstance(t, int) for t in tokens):
                self._tokenize_route = name
                return tokens
        if self._tokenize_route is None:
            self._tokenize_route = ""
        return None

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` inside a prompt (no BOS added); an overestimate when the server cannot say."""
        tokens = self.tokenize(text, add_special=False)
        if tokens is None:
            return estimate_tokens(text)
        if self._tokenize_route and self._tokenize_route.startswith("llama-cpp-python"):
            tokens = tokens[1:] if len(tokens) > 1 and tokens[:1] == self.tokenize("", True) else tokens
        return len(tokens)

    def detokenize(self, tokens: list[int]) -> str | None:
        """The text of `tokens` by the server (None when it offers no route)."""
        root = self.endpoint.removesuffix("/v1")
        route = self._tokenize_route or ""
        if route.startswith("vllm"):
            url, body, key = f"{root}/detokenize", {"model": self.name, "tokens": tokens}, "prompt"
        elif route.startswith("llama.cpp"):
            url, body, key = f"{root}/detokenize", {"tokens": tokens}, "content"
        elif route.startswith("llama-cpp-python"):
            url, body, key = f"{root}/extras/detokenize", {"model": self.name, "tokens": tokens}, "text"
        else:
            return None
        try:
            resp = self.http.post(url, json=body, timeout=60)
            text = resp.json().get(key) if resp.status_code == 200 else None
        except (httpx.HTTPError, ValueError, AttributeError):
            text = None
        return text if isinstance(text, str) else None


def estimate_tokens(text: str) -> int:
    """A safe upper guess when no tokenizer answers: BPE vocabularies average over 3 bytes a token."""
    return len(text.encode()) // 3 + 1


def _usage(data: dict) -> tuple[int | None, int | None]:
    u = data.get("usage") or {}
    return u.get("prompt_tokens"), u.get("completion_tokens")


# Special-token look-alikes in a body: CWM encodes bodies as ordinary text
# (cwm/text/tokenizers.py encode -> encode_ordinary), so "<|eot_id|>" in a tool output is
# text, never the control token. Servers parse special tokens in what they tokenize, so a body
# is tokenized in pieces cut right after each "<|" that opens a look-alike: no piece holds a
# whole special token, and the cut falls on a pre-token boundary of the Llama-3 / CWM split
# pattern (cwm/text/tokenizers.py L197: a run of punctuation such as "<|" ends before a letter
# or digit), so the pieces' tokens are the ids CWM's encode_ordinary gives the whole body.
_LOOKALIKE = re.compile(r"<\|(?=[A-Za-z0-9][A-Za-z0-9_]*\|>)")

# How the prompt reaches the server (recorded as ServerInfo.prompt_encoding).
TOKEN_IDS = "token-ids"  # structural tokens by id, bodies as ordinary text: CWM's encoding
ESCAPED_TEXT = "escaped-text"  # text; special-token look-alikes in bodies written "< |...|>"


def ordinary_pieces(text: str) -> list[str]:
    pieces, last = [], 0
    for m in _LOOKALIKE.finditer(text):
        pieces.append(text[last:m.end()])
        last = m.end()
    pieces.append(text[last:])
    return [p for p in pieces if p]


class CompletionsModel(_Http):
    """cwm: Forager renders the Llama-3 header format itself and calls /v1/completions.

    The prompt goes as token ids when the server can say them (vLLM, llama.cpp): structural
    tokens by id, each chunk CWM encodes on its own (role, "\n\n", body, "<think>\n") as
    ordinary text, exactly CWM's encoding (cwm/text/tokenizers.py encode_message). Otherwise
    (llama-cpp-python: its completions take only text and its tokenizer always parses special
    tokens) it goes as text with look-alikes escaped, and the trajectory says so.
    """

    def __init__(self, endpoint: str, model: str, sampling: Sampling = Sampling(), timeout: float = 600,
                 api_key: str | None = None, bos: bool = True, assistant_prefix: str = "",
                 stop: list[str] | None = None, context_limit: int = 0):
        super().__init__(endpoint, model, sampling, timeout, api_key)
        self.bos, self.assistant_prefix = bos, assistant_prefix
        self.stop, self.context_limit = stop, context_limit
        self.bos_by = "forager" if bos else "server"
        self.encoding, self.encoding_note = "", ""  # decided by choose_encoding()
        self.special_ids: dict[str, int] = {}
        self._ordinary: dict[str, list[int]] = {}
        self._ids_accepted = False

    # ------------------------------------------------------------ how the prompt is sent

    def info(self) -> dict:
        data = super().info()
        self.choose_encoding()
        data.update(prompt_encoding=self.encoding, prompt_encoding_note=self.encoding_note,
                    special_ids=dict(self.special_ids))
        return data

    def use(self, server: dict) -> None:
        """Take what a probe of the same server learnt (so each episode does not ask again)."""
        self._server_len = int(server.get("max_model_len") or 0)
        self._tokenize_route = server.get("tokenizer", "")
        if server.get("prompt_encoding"):
            self.encoding, self.encoding_note = server["prompt_encoding"], server.get("prompt_encoding_note", "")
            self.special_ids = dict(server.get("special_ids") or {})
            self._ids_accepted = self.encoding == TOKEN_IDS

    def choose_encoding(self) -> str:
        if self.encoding:
            return self.encoding
        route = self._tokenize_route
        if route is None:
            self.tokenize("probe")
            route = self._tokenize_route
        if not route:
            return self._escaped("the server offers no tokenize route")
        if route.startswith("llama-cpp-python"):
            return self._escaped("llama-cpp-python's /v1/completions takes only text and its /extras/tokenize "
                                 "always parses special tokens")
        for text in (BEGIN_OF_TEXT, START_HEADER, END_HEADER, END_OF_TURN):
            ids = self.tokenize(text, add_special=False)
            if not ids or len(ids) != 1:
                return self._escaped(f"{text} is not one token of the server's tokenizer")
            self.special_ids[text] = ids[0]
        self.encoding, self.encoding_note = TOKEN_IDS, ""
        self.bos, self.bos_by = True, "forager"  # a server adds nothing to a prompt of ids
        return self.encoding

    def _escaped(self, why: str) -> str:
        self.encoding, self.encoding_note = ESCAPED_TEXT, why
        return self.encoding

    def _special(self, text: str) -> int:
        if text not in self.special_ids:
            ids = self.tokenize(text, add_special=False)
            if not ids or len(ids) != 1:
                raise ModelError(f"{text} is not one token of the server's tokenizer")
            self.special_ids[text] = ids[0]
        return self.special_ids[text]

    def ordinary(self, text: str) -> list[int]:
        """`text` as ordinary text (special-token strings stay text), by the server's tokenizer."""
        if text not in self._ordinary:
            ids: list[int] = []
            for piece in ordinary_pieces(text):
                got = self.tokenize(piece, add_special=False, parse_special=False)
                if got is None:
                    raise ModelError(f"the server at {self.endpoint} stopped answering /tokenize")
                ids += got
            if len(self._ordinary) > 4096:
                self._ordinary.clear()
            self._ordinary[text] = ids
        return self._ordinary[text]

    def message_ids(self, role: str, body: str, end: str = "") -> list[int]:
        """header + body + (a stop token other than <|eot_id|>) + <|eot_id|>, each chunk on its own."""
        ids = [self._special(START_HEADER)] + self.ordinary(role.strip()) + [self._special(END_HEADER)]
        ids += self.ordinary("\n\n")
        prefix = self.assistant_prefix
        if role == "assistant" and prefix and body.startswith(prefix):  # the prompt's "<think>\n", then the turn
            ids += self.ordinary(prefix) + self.ordinary(body[len(prefix):])
        else:
            ids += self.ordinary(body)
        if end and end != END_OF_TURN:
            ids.append(self._special(end))
        return ids + [self._special(END_OF_TURN)]

    def encode(self, messages: list[Message]) -> list[int]:
        ids = [self._special(BEGIN_OF_TEXT)] if self.bos else []
        for m in messages:
            ids += self.message_ids(m.role, m.content, m.end)
        ids += [self._special(START_HEADER)] + self.ordinary("assistant") + [self._special(END_HEADER)]
        ids += self.ordinary("\n\n")
        return ids + (self.ordinary(self.assistant_prefix) if self.assistant_prefix else [])

    # ------------------------------------------------------------ token counts for the dialect

    def message_tokens(self, role: str, body: str) -> int:
        if self.choose_encoding() == TOKEN_IDS:
            return len(self.message_ids(role, body))
        return self.count_tokens(header(role) + escape_special_tokens(body) + END_OF_TURN)

    def _body_tokens(self, body: str) -> list[int] | None:
        if self.choose_encoding() == TOKEN_IDS:
            return self.ordinary(body)
        tokens = self.tokenize(escape_special_tokens(body), add_special=False)
        if tokens and self._tokenize_route.startswith("llama-cpp-python"):
            bos = self.tokenize("", True)
            tokens = tokens[1:] if len(tokens) > 1 and tokens[:1] == bos else tokens
        return tokens

    def truncate_message(self, role: str, body: str, limit: int) -> tuple[str, bool]:
        """CWM's right cut (cwm/rl/envs/utils/dialogs.py maybe_truncate_message): a message over
        `limit` tokens keeps the first tokens of its body, then "[...]", the whole at `limit`."""
        from forager.agent.cwm import ABBREVIATION, truncate_by_count
        n = self.message_tokens(role, body)
        if n <= limit:
            return body, False
        tokens = self._body_tokens(body)
        abbrev = self._body_tokens(ABBREVIATION)
        if tokens is not None and abbrev is not None:
            keep = max(limit - (n - len(tokens)) - len(abbrev), 0)
            text = self.detokenize(tokens[:keep])
            if text is not None:
                return text + ABBREVIATION, True
        return truncate_by_count(body, limit, lambda b: self.message_tokens(role, b))

    # ------------------------------------------------------------ the request

    def render(self, messages: list[Message]) -> str:
        """The text the model reads: with token ids, the bodies exactly; as text, escaped."""
        escape = self.encoding != TOKEN_IDS
        return render_prompt(messages, bos=self.bos, assistant_prefix=self.assistant_prefix, escape=escape)

    def probe_bos(self, messages: list[Message]) -> str:
        """Ask the server how it tokenizes the first prompt; drop Forager's BOS when the server adds one.

        Returns who puts BOS first: 'forager' or 'server' ('forager' unchecked when the server
        has no tokenize route: then --no-bos decides). With token ids Forager always sends it.
        """
        if not self.bos or self.encoding == TOKEN_IDS:
            return self.bos_by
        tokens = self.tokenize(render_prompt(messages, bos=True, assistant_prefix=self.assistant_prefix))
        if tokens and len(tokens) >= 2 and tokens[0] == tokens[1]:
            self.bos, self.bos_by = False, "server"  # BOS text + the server's own BOS: two BOS tokens
        return self.bos_by

    def complete(self, messages: list[Message]) -> Reply:
        if self.encoding == TOKEN_IDS:
            ids = self.encode(messages)
            body = {"prompt": ids, **self._sampling(len(ids))}
            try:
                data, latency = self.post("/completions", body)
                self._ids_accepted = True
            except ModelError as exc:
                if self._ids_accepted or " answered 4" not in str(exc):
                    raise
                self._escaped(f"the server refused a prompt of token ids ({str(exc)[:200]})")
                return self.complete(messages)
        else:
            prompt = self.render(messages)
            n_prompt = None
            if self.context_limit or self._server_len:
                tokens = self.tokenize(prompt)
                n_prompt = len(tokens) if tokens is not None else estimate_tokens(prompt)
            body = {"prompt": prompt, **self._sampling(n_prompt)}
            data, latency = self.post("/completions", body)
        choice = data["choices"][0]
        finish = choice.get("finish_reason")
        raw = choice.get("text") or ""
        text = raw if self.stop == [] else restore_stop(raw, choice.get("stop_reason"), finish)
        return Reply(text=self.assistant_prefix + text, finish_reason=finish,
                     prompt_tokens=_usage(data)[0], completion_tokens=_usage(data)[1], latency=latency,
                     prompt=self.render(messages), stop_token=stop_token(choice), max_tokens=body["max_tokens"])


# CWM's stop tokens (facebookresearch/cwm cwm/text/tokenizers.py stop_tokens): the one that
# ended a turn stays in CWM's history; only <|eot_id|> closes the turn by itself.
STOP_TOKEN_IDS = {128001: "<|end_of_text|>", 128008: "<|eom_id|>", 128009: "<|eot_id|>"}


def stop_token(choice: dict) -> str:
    """The special token that ended a completion: vLLM names a stop token id in `stop_reason`;
    a plain "stop" is the end-of-turn token; "length" generated none."""
    if choice.get("finish_reason") == "length":
        return ""
    reason = choice.get("stop_reason")
    if isinstance(reason, int):
        return STOP_TOKEN_IDS.get(reason, "<|eot_id|>")
    return "<|eot_id|>"


CHAT_ROLES = {"system", "user", "assistant"}


class ChatModel(_Http):
    """chat: /v1/chat/completions with the same text protocol.

    Chat servers accept only their own roles, so a `tool: NAME` observation is sent as a user
    message; the trajectory keeps its real role.
    """

    def __init__(self, endpoint: str, model: str, sampling: Sampling = Sampling(), timeout: float = 600,
                 api_key: str | None = None, context_limit: int = 0):
        super().__init__(endpoint, model, sampling, timeout, api_key)
        self.context_limit = context_limit

    def complete(self, messages: list[Message]) -> Reply:
        wire = [{"role": m.role if m.role in CHAT_ROLES else "user", "content": m.content} for m in messages]
        n_prompt = None
        if self.context_limit or self._server_len:
            # The chat template is the server's: count the contents and allow a header per message.
            n_prompt = sum(self.count_tokens(m["content"]) + 8 for m in wire) + 8
        body = {"messages": wire, **self._sampling(n_prompt)}
        data, latency = self.post("/chat/completions", body)
        choice = data["choices"][0]
        text = (choice.get("message") or {}).get("content") or ""
        text = restore_stop(text, choice.get("stop_reason"), choice.get("finish_reason"))
        return Reply(text=text, finish_reason=choice.get("finish_reason"), prompt_tokens=_usage(data)[0],
                     completion_tokens=_usage(data)[1], latency=latency, max_tokens=body["max_tokens"])
