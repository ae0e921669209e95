"""Checks of the schema fuzzer (scripts/fuzz.sh) beyond schemathesis' own: every error the
API answers with says in Chinese what is wrong."""

import json
import re

import schemathesis

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _texts(body):
    """The caller-facing texts of an error body: `message`/`error` at any depth, and the
    per-field explanations under `fields`."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key in ("message", "error") and isinstance(value, str):
                yield key, value
            elif key == "fields" and isinstance(value, dict):
                for name, text in value.items():
                    if isinstance(text, str):
                        yield f"fields.{name}", text
            else:
                yield from _texts(value)
    elif isinstance(body, list):
        for item in body:
            yield from _texts(item)


@schemathesis.check
def error_messages_speak_chinese(ctx, response, case):
    """An error (4xx/5xx) has a JSON body whose message, and each field's explanation, is in
    Chinese."""
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.content or b"")
    except ValueError:
        raise AssertionError(
            f"错误响应不是 JSON：{response.status_code} {response.content[:200]!r}"
        )
    texts = list(_texts(body))
    if not texts:
        raise AssertionError(f"错误响应没有 message：{response.content[:300]!r}")
    for where, text in texts:
        if not CJK.search(text):
            raise AssertionError(f"错误说明不是中文（{where}）：{text!r}")
    return None


# Spreadsheet uploads are sent as the bytes the fuzzer makes up: the server must refuse them
# in Chinese, not fail.
schemathesis.serializer.alias(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream",
)


# Phrases of the libraries' own (English) messages: serde, axum's extractors, zip and
# spreadsheet readers. A message in Chinese that carries one still leaves the user with
# English to read.
LIBRARY_ENGLISH = re.compile(
    r"invalid type|invalid value|invalid digit|invalid length|expected (?:a|an|i64|u32|f64|struct|string|integer)"
    r"|missing field|unknown field|unknown variant|Failed to|Could not|EOCD|number too large"
    r"|cannot parse|at line \d+ column \d+|trailing characters|EOF while parsing",
    re.IGNORECASE,
)


@schemathesis.check
def error_messages_carry_no_library_english(ctx, response, case):
    """An error's message names the problem in Chinese, without a library's English text."""
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.content or b"")
    except ValueError:
        return None  # error_messages_speak_chinese reports it
    for where, text in _texts(body):
        m = LIBRARY_ENGLISH.search(text)
        if m:
            raise AssertionError(f"错误说明夹带程序库的英文（{where}）：{text!r}")
    return None
