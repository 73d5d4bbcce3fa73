"""The baseline for webhook ingest: a FastAPI endpoint that only answers 200."""

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.post("/webhooks/whatsapp", response_class=PlainTextResponse)
async def receive() -> str:
    return "OK"
