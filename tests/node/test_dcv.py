"""DCV on a node: the server settings, the token verifier DCV asks, the connect script."""

from __future__ import annotations

import getpass
import os
import socket
import stat
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from pcluster_pulumi.node.access_steps import configure_dcv
from pcluster_pulumi.node.dcv import (
    CONNECT_SCRIPT,
    TokenVerifier,
    parse_connect_answer,
    render_dcv_conf,
    serve,
    session_name,
    verifier_port,
)

USER = getpass.getuser()


def issue(directory: Path, token: str, session: str) -> Path:
    """What the connect script does for a token: a file named by its hash, holding the session."""
    path = directory / TokenVerifier.token_file_name(token)
    path.write_text(session)
    return path


def test_dcv_listens_on_the_configured_port_and_trusts_only_the_local_verifier() -> None:
    text = render_dcv_conf(8555)
    assert "web-port=8555" in text
    assert 'auth-token-verifier="http://127.0.0.1:8556"' in text
    assert verifier_port(8555) == 8556


def test_a_token_authenticates_its_owner_once_for_their_own_session(tmp_path: Path) -> None:
    verifier = TokenVerifier(tmp_path)
    issue(tmp_path, "tok-1", session_name(USER))
    assert verifier.verify(session_name(USER), "tok-1").user == USER
    assert verifier.verify(session_name(USER), "tok-1").user is None  # used up
    assert list(tmp_path.iterdir()) == []


def test_a_token_for_another_users_session_or_an_old_one_is_refused(tmp_path: Path) -> None:
    verifier = TokenVerifier(tmp_path, ttl=60)
    issue(tmp_path, "tok-2", session_name("someone-else"))
    assert verifier.verify(session_name("someone-else"), "tok-2").user is None
    issue(tmp_path, "tok-3", session_name(USER))
    assert verifier.verify(session_name("other"), "tok-3").user is None  # token made for another session
    old = issue(tmp_path, "tok-4", session_name(USER))
    os.utime(old, (time.time() - 120, time.time() - 120))
    assert verifier.verify(session_name(USER), "tok-4").user is None
    assert verifier.verify(session_name(USER), "never-issued").user is None
    assert verifier.verify("", "").user is None


def test_a_link_planted_under_a_tokens_name_is_never_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text(session_name(USER))
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    (tokens / TokenVerifier.token_file_name("tok-5")).symlink_to(target)
    assert TokenVerifier(tokens).verify(session_name(USER), "tok-5").user is None
    assert target.exists()


def test_the_verifier_answers_dcv_over_http_on_localhost(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    threading.Thread(target=serve, args=(port, TokenVerifier(tmp_path)), daemon=True).start()
    issue(tmp_path, "tok-6", session_name(USER))

    def ask(token: str) -> str:
        body = urllib.parse.urlencode(
            {"sessionId": session_name(USER), "authenticationToken": token}
        ).encode()
        for _ in range(50):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", data=body, timeout=5) as answer:
                    return answer.read().decode()
            except ConnectionRefusedError:
                time.sleep(0.05)
            except urllib.error.URLError:
                time.sleep(0.05)
        raise AssertionError("verifier never answered")

    assert ask("tok-6") == f'<auth result="yes"><username>{USER}</username></auth>'
    assert ask("tok-6").startswith('<auth result="no">')


def test_the_connect_script_is_valid_bash_and_answers_in_parallelclusters_format() -> None:
    done = subprocess.run(["bash", "-n"], input=CONNECT_SCRIPT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "PclusterDcvServerPort=" in CONNECT_SCRIPT and "PclusterDcvSessionToken=" in CONNECT_SCRIPT


def test_the_connect_answer_is_parsed_or_refused_with_the_nodes_words() -> None:
    answer = parse_connect_answer(
        "motd line\nPclusterDcvServerPort=8443 PclusterDcvSessionId=pcluster-u PclusterDcvSessionToken=abc "
        "PclusterDcvServerHost=203.0.113.7\n"
    )
    assert answer["PclusterDcvSessionToken"] == "abc"
    assert answer["PclusterDcvServerHost"] == "203.0.113.7"
    with pytest.raises(ValueError, match="not running"):
        parse_connect_answer("ERROR: the DCV server is not running on this node")
    with pytest.raises(ValueError, match="PclusterDcvSessionToken"):
        parse_connect_answer("PclusterDcvServerPort=8443 PclusterDcvSessionId=s")


def test_configuring_dcv_writes_the_server_verifier_and_an_unlistable_token_spool(tmp_path: Path) -> None:
    written = configure_dcv(9443, root=tmp_path)
    conf = tmp_path / "etc/dcv/dcv.conf"
    assert conf in written and "web-port=9443" in conf.read_text()
    unit = (tmp_path / "etc/systemd/system/pcluster-pulumi-dcv-verifier.service").read_text()
    assert "dcv-verifier --port 9444" in unit
    script = tmp_path / "opt/pcluster-pulumi/bin/dcv-connect"
    assert script.stat().st_mode & 0o777 == 0o755
    tokens = tmp_path / "var/spool/pcluster-pulumi/dcv-tokens"
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o1733
