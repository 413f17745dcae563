"""A neutral client for OpenAI-compatible chat-completions endpoints (OpenAI, Azure OpenAI, vLLM, any compatible
server), shared by the LLM judge (`tarsier_eval.judges.client`) and the `openai` model backend.

- `config.py`: `ClientConfig` (endpoint, key variable, concurrency, attempts, timeout, budget, prices) and the
  request URL and headers it implies (Azure: deployment path, `api-version`, `api-key` header).
- `client.py`: `ChatClient` (bounded concurrency, retries honouring Retry-After, 5xx and timeouts, usage and cost,
  redaction of the key) and `run_sync`.
- `http.py`: the lean HTTP/1.1 transport it runs on; `pricing.py`: list prices; `usage.py`: counters and budget.
Importing any of these imports neither `openai` nor `httpx`.
"""
