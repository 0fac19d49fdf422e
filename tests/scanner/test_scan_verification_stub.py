"""Until the leak protocol lands, --verify and --revoke say plainly that they are not configured."""

from __future__ import annotations

import pytest

from tests.scanner.conftest import new_pat, run_main


@pytest.mark.parametrize("flag", ["--verify", "--revoke"])
def test_verification_requested_without_a_service_says_why_and_exits_1(flag: str) -> None:
    token = new_pat()
    result = run_main(["scan", "-", flag], stdin=f"key={token}\n".encode())
    assert result.rc == 1, result.why
    assert "not configured" in result.err and "unverified" in result.err
    assert "[unverified]" in result.out


def test_a_service_url_alone_does_not_pretend_to_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENINDEX_APP_URL", "http://127.0.0.1:9")
    result = run_main(["scan", "-"], stdin=f"{new_pat()}\n".encode())
    assert result.rc == 1 and "not configured" in result.err and "[unverified]" in result.out


def test_no_verify_stays_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENINDEX_APP_URL", "http://127.0.0.1:9")
    result = run_main(["scan", "-", "--no-verify"], stdin=f"{new_pat()}\n".encode())
    assert result.rc == 1 and "not configured" not in result.err
