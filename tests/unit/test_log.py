"""Secrets never reach the log, whoever logs them."""

from __future__ import annotations

import io
import logging

from bot.log import setup_logging


def test_configured_and_credential_shaped_secrets_are_redacted() -> None:
    stream = io.StringIO()
    handler = setup_logging("DEBUG", secrets=["plain-secret-value"], stream=stream)
    try:
        log = logging.getLogger("telegram.ext")
        log.info("POST https://api.telegram.org/bot123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe")
        log.warning("auth header Bearer sk-abcdefghijkl and %s", "plain-secret-value")
        try:
            raise RuntimeError("failed with key sk-zzzzzzzzzzzz")
        except RuntimeError:
            logging.getLogger("bot").exception("request failed")
    finally:
        logging.getLogger().removeHandler(handler)
    out = stream.getvalue()
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in out
    assert "sk-abcdefghijkl" not in out
    assert "plain-secret-value" not in out
    assert "sk-zzzzzzzzzzzz" not in out
    assert out.count("***") >= 4
    assert len([line for line in out.splitlines() if "request failed" in line]) == 1
