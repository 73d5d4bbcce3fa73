"""The optional language model: any OpenAI-compatible chat-completions endpoint
(`SURGIAI_LLM_BASE_URL`, `SURGIAI_LLM_API_KEY`, `SURGIAI_LLM_MODEL`), off unless configured.

It only rephrases an answer SurgiAI already built from its sources, and what it writes goes out
only if every number, price, date and code in it appears in those sources (checked in code by
the caller); otherwise the template answer goes out. It never answers on its own."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import structlog

from surgiai.config import Settings

log = structlog.get_logger(__name__)

SYSTEM_PROMPT = (
    "You rewrite a sales assistant's WhatsApp answer to an Indian doctor so it reads warmly and "
    "naturally, in the doctor's language style (English or Hinglish). Keep it short. Keep every "
    "product name, number, price, date and code exactly as given, add no fact of your own, give "
    "no medical advice, and keep WhatsApp formatting (*bold*, line breaks) and the final source "
    "line unchanged. Reply with the rewritten answer only."
)


@dataclass(frozen=True)
class LanguageModel:
    base_url: str
    model: str
    api_key: str | None = None
    timeout_seconds: float = 1.5

    @classmethod
    def from_settings(cls, settings: Settings) -> LanguageModel | None:
        if not settings.llm_base_url or not settings.llm_model:
            return None
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return cls(
            base_url=settings.llm_base_url.rstrip("/"),
            model=settings.llm_model,
            api_key=key,
            timeout_seconds=settings.llm_timeout_seconds,
        )

    def rephrase(self, question: str, answer: str) -> str | None:
        """The answer in the model's words, or None when the model failed or said nothing."""
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {
            "model": self.model,
            "temperature": 0.2,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {
                    "role": "user",
                    "content": f"Doctor's message:\n{question}\n\nAnswer to rewrite:\n{answer}",
                },
            ],
        }
        try:
            response = httpx.post(
                f"{self.base_url}/chat/completions",
                json=body,
                headers=headers,
                timeout=self.timeout_seconds,
            )
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as error:
            # The key may be in the request, never in the log: only the error's kind.
            log.warning("agents.llm.failed", error=type(error).__name__)
            return None
        text = content.strip() if isinstance(content, str) else ""
        return text or None
