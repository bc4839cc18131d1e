"""OpenAI-compatible model servers: raw completions (cwm) and chat completions (chat)."""

from __future__ import annotations

import time
from typing import Protocol

import httpx
from pydantic import BaseModel
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from forager.agent.llama3 import Message, render_prompt
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

    def _sampling(self) -> dict:
        s = self.sampling.model_dump(exclude_none=True)
        return {"model": self.name, "stop": stop_strings(), **s}

    def info(self) -> dict:
        """The endpoint and the model ids it serves (empty when it does not say)."""
        try:
            data = self.http.get(f"{self.endpoint}/models", timeout=10).json().get("data", [])
            models = [m["id"] for m in data if isinstance(m, dict) and "id" in m]
        except (httpx.HTTPError, ValueError, AttributeError):
            models = []
        return {"endpoint": self.endpoint, "models": models}


def _usage(data: dict) -> tuple[int | None, int | None]:
    u = data.get("usage") or {}
    return u.get("prompt_tokens"), u.get("completion_tokens")


class CompletionsModel(_Http):
    """cwm: Forager renders the Llama-3 header format itself and calls /v1/completions."""

    def __init__(self, endpoint: str, model: str, sampling: Sampling = Sampling(), timeout: float = 600,
                 api_key: str | None = None, bos: bool = True, assistant_prefix: str = ""):
        super().__init__(endpoint, model, sampling, timeout, api_key)
        self.bos, self.assistant_prefix = bos, assistant_prefix

    def complete(self, messages: list[Message]) -> Reply:
        prompt = render_prompt(messages, bos=self.bos, assistant_prefix=self.assistant_prefix)
        data, latency = self.post("/completions", {"prompt": prompt, **self._sampling()})
        choice = data["choices"][0]
        text = restore_stop(choice.get("text") or "", choice.get("stop_reason"), choice.get("finish_reason"))
        return Reply(text=self.assistant_prefix + text, finish_reason=choice.get("finish_reason"),
                     prompt_tokens=_usage(data)[0], completion_tokens=_usage(data)[1], latency=latency,
                     prompt=prompt)


CHAT_ROLES = {"system", "user", "assistant"}


class ChatModel(_Http):
    """chat: /v1/chat/completions with the same text protocol.

    Chat servers accept only their own roles, so a `tool: NAME` observation is sent as a user
    message; the trajectory keeps its real role.
    """

    def complete(self, messages: list[Message]) -> Reply:
        wire = [{"role": m.role if m.role in CHAT_ROLES else "user", "content": m.content} for m in messages]
        data, latency = self.post("/chat/completions", {"messages": wire, **self._sampling()})
        choice = data["choices"][0]
        text = (choice.get("message") or {}).get("content") or ""
        text = restore_stop(text, choice.get("stop_reason"), choice.get("finish_reason"))
        return Reply(text=text, finish_reason=choice.get("finish_reason"), prompt_tokens=_usage(data)[0],
                     completion_tokens=_usage(data)[1], latency=latency)
