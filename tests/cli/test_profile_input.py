"""What the client is given is checked where it is given (issue 13): a service URL without a
scheme, a token that cannot be one, a broken profiles file, `oi profile set` with nothing to
set; and `oi profile delete`. Each refusal is one line, exit 2, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner import formats
from tests.support.live_server import free_port
from tests.support.oi_cli import Run, assert_no_raw_token, oi


@pytest.fixture
def config_home(tmp_path: Path) -> Path:
    return tmp_path / "config"


def profiles_file(config_home: Path) -> Path:
    return config_home / "tokenpatrol" / "profiles.toml"


def refused(run: Run, text: str) -> str:
    """Exit 2, nothing on stdout, one line on stderr that holds `text`, no traceback."""
    lines = run.stderr.splitlines()
    assert run.returncode == 2 and run.stdout == "", run
    assert len(lines) == 1 and text in lines[0], run
    assert "Traceback" not in run.output, run
    return lines[0]


def test_a_url_without_a_scheme_is_refused_where_it_is_given(config_home: Path) -> None:
    bare = oi("profile", "set", "--app-url", "localhost:5000", config_home=config_home)
    line = refused(bare, "--app-url must be an http:// or https:// URL")
    assert line.endswith("did you mean http://localhost:5000?"), bare
    remote = oi("profile", "set", "--app-url", "tokens.example.com", config_home=config_home)
    assert refused(remote, "--app-url").endswith("did you mean https://tokens.example.com?")
    for args in (
        ("tokens", "list", "--app-url", "notaurl"),
        ("auth", "check", "--app-url", "ftp://tokens.example.com"),
        ("scan", "--app-url", "notaurl", str(config_home.parent)),
        ("revoke", "--app-url", "localhost:5000", "-"),
        ("login", "--no-browser", "--app-url", "localhost:5000"),
    ):
        refused(oi(*args, config_home=config_home), "--app-url must be an http:// or https://")
    assert not profiles_file(config_home).exists()


def test_a_bad_service_url_in_the_environment_names_the_variable(config_home: Path) -> None:
    token = formats.PERSONAL_ACCESS_TOKEN.generate()
    env = {"OPENINDEX_APP_URL": "notaurl", "OPENINDEX_TOKEN": token}
    for args in (("tokens", "list"), ("admin", "accounts", "list"), ("auth", "check")):
        done = oi(*args, config_home=config_home, **env)
        refused(done, "OPENINDEX_APP_URL must be an http:// or https:// URL, not 'notaurl'")
        assert_no_raw_token(done, token)


def test_a_bad_url_in_the_profiles_file_names_the_file(config_home: Path) -> None:
    profiles_file(config_home).parent.mkdir(parents=True)
    profiles_file(config_home).write_text('active = "w"\n[profiles.w]\napp_url = "host:80"\n')
    done = oi("tokens", "list", config_home=config_home)
    line = refused(done, f"profile 'w' in {profiles_file(config_home)}: app_url must be")
    assert "did you mean https://host:80?" in line, done


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('active = "x\n', "is not valid TOML: "),
        ("[profiles.a]\nb = \n", "is not valid TOML: "),
        ("profiles = 3\n", "`profiles` must hold one table per profile"),
    ],
)
def test_a_corrupt_profiles_file_is_named_and_never_written_over(
    config_home: Path, text: str, problem: str
) -> None:
    path = profiles_file(config_home)
    path.parent.mkdir(parents=True)
    path.write_text(text)
    url = f"http://127.0.0.1:{free_port()}"
    for args in (
        ("tokens", "list"),
        ("auth", "check"),
        ("logout",),
        ("profile", "list"),
        ("profile", "set", "--app-url", url),
        ("profile", "use", "a"),
        ("profile", "delete", "a"),
    ):
        line = refused(oi(*args, config_home=config_home), f"{path}")
        assert problem in line, line
    assert path.read_text() == text, "the broken file was written over"


def test_tomls_own_message_says_where_the_file_is_broken(config_home: Path) -> None:
    path = profiles_file(config_home)
    path.parent.mkdir(parents=True)
    path.write_text('active = "default"\n[profiles.default]\napp_url = http://x\n')
    line = refused(oi("tokens", "list", config_home=config_home), "is not valid TOML")
    assert "(at line 3, column 11)" in line, line


def test_profile_set_with_nothing_to_set_writes_nothing(config_home: Path) -> None:
    refused(oi("profile", "set", config_home=config_home), "nothing to set")
    refused(oi("profile", "set", "--name", "work", config_home=config_home), "nothing to set")
    assert not profiles_file(config_home).exists()
    refused(oi("profile", "set", "--agent-id", " ", config_home=config_home), "--agent-id is empty")


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("oi_pat_bogus", "not a valid personal access token or user key (oi_pat_...): it has 5"),
        ("PAT_WITH_A_TYPO", "checksum does not match"),
        ("oai_eyJ2IjoxfQ." + "A" * 43, "not a valid signed API token (oai_...): its payload"),
        ("INVITE", "is an invite link token: it cannot sign in"),
        ("REFRESH", "is an OAuth refresh token (oi login, rotated on use): it cannot sign in"),
        ("short", "is not a token of this service (oi_pat_..., oai_..., oi_oat_...) nor a root"),
    ],
)
def test_a_token_that_cannot_be_one_is_refused_offline_and_never_echoed(
    config_home: Path, token: str, problem: str
) -> None:
    token = {
        "PAT_WITH_A_TYPO": _typo(formats.PERSONAL_ACCESS_TOKEN.generate()),
        "INVITE": formats.INVITE_TOKEN.generate(),
        "REFRESH": formats.OAUTH_REFRESH_TOKEN.generate(),
    }.get(token, token)
    url = f"http://127.0.0.1:{free_port()}"  # never contacted: the check is offline
    stored = oi("profile", "set", "--app-url", url, "--token", token, config_home=config_home)
    assert refused(stored, "--token ").startswith("oi profile: error: --token "), stored
    assert problem in stored.stderr, stored
    assert not profiles_file(config_home).exists()
    from_env = oi(
        "tokens", "list", "--app-url", url, config_home=config_home, OPENINDEX_TOKEN=token
    )
    assert refused(from_env, problem).startswith("oi tokens: error: OPENINDEX_TOKEN "), from_env
    for run in (stored, from_env):
        assert token not in run.output, run
        assert_no_raw_token(run, token)


def _typo(token: str) -> str:
    swapped = "B" if token[10] != "B" else "C"
    return token[:10] + swapped + token[11:]


def test_a_hand_edited_profile_token_is_refused_naming_the_file(config_home: Path) -> None:
    path = profiles_file(config_home)
    path.parent.mkdir(parents=True)
    url = f"http://127.0.0.1:{free_port()}"
    path.write_text(
        f'active = "default"\n[profiles.default]\napp_url = "{url}"\ntoken = "oi_pat_x"\n'
    )
    done = oi("tokens", "list", config_home=config_home)
    refused(done, f"profile 'default' in {path}: its token is not a valid personal access token")


def test_well_formed_tokens_and_a_root_key_are_accepted(config_home: Path) -> None:
    for token in (
        formats.PERSONAL_ACCESS_TOKEN.generate(),
        formats.OAUTH_ACCESS_TOKEN.generate(),
        formats.API_TOKEN.sign(
            {"v": 1, "tid": "t", "sub": "a/b", "scope": "read", "iat": 1, "exp": 2, "iss": "x"}
            | {"n": "n"},
            "k1",
            b"secret",
        ),
        "a-root-key-of-sixteen-or-more",
    ):
        done = oi("profile", "set", "--token", token, config_home=config_home)
        assert done.returncode == 0, done
        assert_no_raw_token(done, token)


def test_profile_delete(config_home: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    for name in ("home", "work"):
        made = oi("profile", "set", "--name", name, "--app-url", url, config_home=config_home)
        assert made.returncode == 0, made
    assert oi("profile", "list", config_home=config_home).stdout.split() == ["home", "*", "work"]

    unknown = oi("profile", "delete", "play", config_home=config_home)
    refused(unknown, "no profile named 'play'")
    other = oi("profile", "delete", "home", config_home=config_home)
    assert other.returncode == 0 and other.stdout == "deleted profile 'home'\n", other
    active = oi("profile", "delete", "work", config_home=config_home)
    assert active.returncode == 0, active
    assert active.stdout.splitlines() == [
        "deleted profile 'work'",
        "no profile left: oi profile set --app-url URL creates one",
    ]
    assert oi("profile", "list", config_home=config_home).stdout == ""


def test_deleting_the_active_profile_makes_another_one_active(config_home: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    for name in ("work", "home", "default"):
        oi("profile", "set", "--name", name, "--app-url", url, config_home=config_home)
    done = oi("profile", "delete", "default", config_home=config_home)
    assert done.stdout.splitlines() == ["deleted profile 'default'", "active profile: home"], done
    assert oi("profile", "list", config_home=config_home).stdout.split() == ["*", "home", "work"]
    assert "profile home (active)" in oi("profile", "show", config_home=config_home).stdout


def test_deleting_a_signed_in_profile_says_the_sign_in_is_not_revoked(config_home: Path) -> None:
    path = profiles_file(config_home)
    path.parent.mkdir(parents=True)
    refresh = formats.OAUTH_REFRESH_TOKEN.generate()
    path.write_text(f'active = "a"\n[profiles.a]\noauth_refresh_token = "{refresh}"\n')
    done = oi("profile", "delete", "a", config_home=config_home)
    assert done.returncode == 0, done
    assert "sign-in was forgotten, not revoked" in done.stderr, done
    assert_no_raw_token(done, refresh)
