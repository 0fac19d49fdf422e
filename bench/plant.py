"""Where leaks hide: plants one token in each hiding place of a git repository's history.

`plant(repo)` takes a clone with a work tree (HEAD on a branch) and adds, through ordinary git
commands and plumbing (never `git stash`), one case per hiding place, each with its own fresh
token: a file in HEAD, a file deleted later, a side branch never merged, a stash entry, a binary
file, a tag-only commit, a UTF-16 file, a token glued to text, a big file, a commit among the
last 10; and two places a history scan of the refs must NOT report: a commit amended away (left
in the reflog only) and a dangling blob. Look-alikes (right shape, wrong checksum or payload)
sit in HEAD and in the recent commit: nobody should report them. `staged_case` stages one more
token at measuring time.

The cases are recorded in `.git/bench-cases.json` as fingerprints, kind and last 4 characters:
a token itself is only ever in the repository's objects and in this process's memory.
"""

from __future__ import annotations

import base64
import json
import os
import random
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from scanner import detect, formats

CASES_FILE = "bench-cases.json"
PLANT_VERSION = 1
# The scopes a scan can report a token in: whole history, the last 10 commits, the working
# tree, the staged change.
SCOPES = ("history", "range", "tree", "staged")
RANGE_COMMITS = 10
IDENTITY = {
    "GIT_AUTHOR_NAME": "Bench Planter",
    "GIT_AUTHOR_EMAIL": "planter@example.test",
    "GIT_COMMITTER_NAME": "Bench Planter",
    "GIT_COMMITTER_EMAIL": "planter@example.test",
}


class PlantError(Exception):
    """A git command failed while planting."""


@dataclass(frozen=True)
class Case:
    """One planted token; `expect` lists the scopes whose scan must report it (none: must not)."""

    name: str
    where: str
    kind: str  # the token's prefix
    last4: str
    fingerprint: str
    path: str  # the file that holds it (what git-secrets names for a binary match)
    expect: tuple[str, ...]
    lookalike: bool = False

    @property
    def label(self) -> str:
        return f"{self.where} ({self.kind}..{self.last4})"


def _case(name: str, where: str, token: str, path: str, *expect: str) -> Case:
    fmt = formats.format_for(token)
    kind = fmt.prefix if fmt is not None else token[:4]
    return Case(name, where, kind, token[-4:], formats.fingerprint(token), path, expect)


def _lookalike_case(where: str, token: str, path: str) -> Case:
    fmt = formats.format_for(token)
    kind = fmt.prefix if fmt is not None else token.split("_", 2)[0] + "_"
    return Case("look-alike", where, kind, token[-4:], formats.fingerprint(token), path, (), True)


# ---- tokens ----


def signed_token(rng: random.Random, scope: str) -> str:
    """A genuine `oai_` token, signed with a throwaway key: the payload the service writes."""
    now = 1_700_000_000 + rng.randrange(10**7)
    payload = {
        "v": formats.API_TOKEN_VERSION,
        "tid": f"tok-{rng.randrange(10**9)}",
        "sub": f"user-{rng.randrange(1000)}",
        "scope": scope,
        "iat": now,
        "exp": now + 86_400 * 30,
        "iss": "https://tokens.example.test",
        "n": os.urandom(8).hex(),
    }
    return formats.API_TOKEN.sign(payload, "bench", os.urandom(32))


class Tokens:
    """Fresh tokens of the registry's kinds in turn, and look-alikes no scanner should report."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0

    def real(self) -> str:
        self.count += 1
        kind = self.count % 3
        if kind == 0:
            return formats.PERSONAL_ACCESS_TOKEN.generate()
        if kind == 1:
            return formats.INVITE_TOKEN.generate()
        return signed_token(self.rng, "read")

    def wrong_checksum(self, fmt: formats.ChecksumFormat) -> str:
        """The right prefix, length and alphabet; the last character breaks the checksum."""
        valid = fmt.generate()
        last = formats.BASE62_ALPHABET.index(valid[-1])
        token = valid[:-1] + formats.BASE62_ALPHABET[(last + 1 + self.rng.randrange(60)) % 62]
        return _checked_lookalike(token)

    def unsigned(self) -> str:
        """Shaped like a signed API token; its payload is not a token's JSON."""

        def b64(raw: bytes) -> str:
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

        note = json.dumps({"note": "bench look-alike", "n": os.urandom(6).hex()}).encode()
        signature = b64(os.urandom(32))  # 43 characters, the last one's low bits zero
        return _checked_lookalike(f"{formats.API_TOKEN.prefix}{b64(note)}.{signature}")


def _checked_lookalike(token: str) -> str:
    if any(detect.find_tokens(f" {token} ".encode())):
        raise PlantError("a look-alike passed the scanner's own check")
    return token


# ---- planting ----


def load_cases(repo: Path) -> list[Case] | None:
    try:
        data = json.loads((repo / ".git" / CASES_FILE).read_text())
    except (OSError, ValueError):
        return None
    if data.get("version") != PLANT_VERSION:
        return None
    return [Case(**{**case, "expect": tuple(case["expect"])}) for case in data["cases"]]


def plant(repo: Path, seed: int, *, big_bytes: int) -> list[Case]:
    """Plant every case in `repo` (a clone with a work tree); returns them, also saved."""
    planter = _Planter(repo, random.Random(seed))
    cases = planter.run(big_bytes)
    (repo / ".git" / CASES_FILE).write_text(
        json.dumps({"version": PLANT_VERSION, "cases": [asdict(case) for case in cases]}, indent=1)
    )
    return cases


class _Planter:
    def __init__(self, repo: Path, rng: random.Random) -> None:
        self.repo = repo
        self.rng = rng
        self.tokens = Tokens(rng)
        self.cases: list[Case] = []
        self.filler = 0

    def git(self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=self.repo,
            input=stdin,
            capture_output=True,
            env={**os.environ, **IDENTITY, **(env or {})},
            check=False,
        )
        if done.returncode != 0:
            message = formats.redact_text(done.stderr.decode("utf-8", "replace")).strip()[-300:]
            raise PlantError(f"git {args[0]} failed: {message}")
        return done.stdout.decode("utf-8", "surrogateescape").strip()

    def write(self, path: str, data: bytes) -> None:
        target = self.repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def commit(self, message: str, *paths: str) -> None:
        self.git("add", "-f", "--", *paths)
        self.git("commit", "-q", "--no-verify", "-m", message)

    def run(self, big_bytes: int) -> list[Case]:
        branch = self.git("symbolic-ref", "--short", "HEAD")
        self.head_file()
        self.binary_file()
        self.utf16_file()
        self.glued()
        self.big_file(big_bytes)
        self.deleted_file()
        self.side_branch(branch)
        self.tag_only()
        self.stash(branch)
        self.amended()
        self.dangling_blob()
        for _ in range(RANGE_COMMITS // 2 + 1):
            self.filler_commit()
        self.recent_commit()
        for _ in range(RANGE_COMMITS // 2 - 1):
            self.filler_commit()
        return self.cases

    # -- the cases --

    def head_file(self) -> None:
        token = self.tokens.real()
        path = "config/bench_settings.py"
        pat = self.tokens.wrong_checksum(formats.PERSONAL_ACCESS_TOKEN)
        unsigned = self.tokens.unsigned()
        self.write(
            path,
            f'SERVICE_TOKEN = "{token}"\n'
            f'EXAMPLE_TOKEN = "{pat}"  # shaped like one, wrong checksum\n'
            f'EXAMPLE_API_TOKEN = "{unsigned}"  # shaped like one, not signed JSON\n'.encode(),
        )
        self.commit("Add service settings", path)
        self.cases.append(_case("head", "a file in HEAD", token, path, "history", "tree"))
        self.cases.append(_lookalike_case("look-alike in HEAD", pat, path))
        self.cases.append(_lookalike_case("look-alike in HEAD", unsigned, path))

    def binary_file(self) -> None:
        token = self.tokens.real()
        path = "assets/bench_icon.bin"
        data = b"\x89PNG\r\n\x1a\n" + os.urandom(3000) + b"\0" + token.encode() + b"\0"
        self.write(path, data + os.urandom(2000))
        self.commit("Add an icon", path)
        self.cases.append(_case("binary", "a binary file", token, path, "history", "tree"))

    def utf16_file(self) -> None:
        token = self.tokens.real()
        path = "scripts/bench_env.txt"
        text = f"# written by PowerShell's >\r\n$env:SERVICE_TOKEN = '{token}'\r\n"
        self.write(path, text.encode("utf-16"))  # with a BOM, little-endian here
        self.commit("Add the environment script", path)
        self.cases.append(_case("utf16", "a UTF-16 file", token, path, "history", "tree"))

    def glued(self) -> None:
        token = self.tokens.real()
        path = "docs/bench_notes.txt"
        self.write(path, f"login with PASSWORD{token} for the demo\n".encode())
        self.commit("Add notes", path)
        self.cases.append(_case("glued", "glued to text", token, path, "history", "tree"))

    def big_file(self, size: int) -> None:
        token = self.tokens.real()
        path = "data/bench_big.csv"
        lines = [f"{n},{self.rng.randrange(10**9)},value-{n % 97}\n" for n in range(size // 24)]
        lines.insert(len(lines) * 3 // 4, f"{len(lines)},token,{token}\n")
        self.write(path, "".join(lines).encode())
        self.commit("Add the data set", path)
        where = f"a big file ({size // (1 << 20)} MiB)"
        self.cases.append(_case("big", where, token, path, "history", "tree"))

    def deleted_file(self) -> None:
        token = self.tokens.real()
        path = "old/bench_credentials.py"
        self.write(path, f'TOKEN = "{token}"\n'.encode())
        self.commit("Add credentials", path)
        self.git("rm", "-q", "--", path)
        self.git("commit", "-q", "--no-verify", "-m", "Remove credentials")
        self.cases.append(_case("deleted", "a file deleted later", token, path, "history"))

    def side_branch(self, branch: str) -> None:
        token = self.tokens.real()
        path = "experimental/bench_client.py"
        self.git("checkout", "-q", "-b", "bench/abandoned")
        self.write(path, f'CLIENT_TOKEN = "{token}"\n'.encode())
        self.commit("Try a client", path)
        self.git("checkout", "-q", branch)
        where = "a side branch, never merged"
        self.cases.append(_case("branch", where, token, path, "history"))

    def _commit_beside_head(self, path: str, data: bytes, message: str) -> str:
        """A commit on top of HEAD with one more file, made without touching the work tree."""
        blob = self.git("hash-object", "-w", "--stdin", stdin=data)
        index = str(self.repo / ".git" / "bench-plant-index")
        env = {"GIT_INDEX_FILE": index}
        try:
            self.git("read-tree", "HEAD", env=env)
            self.git("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
            tree = self.git("write-tree", env=env)
        finally:
            Path(index).unlink(missing_ok=True)
        return self.git("commit-tree", tree, "-p", "HEAD", "-m", message)

    def tag_only(self) -> None:
        token = self.tokens.real()
        path = "release/bench_publish.cfg"
        commit = self._commit_beside_head(path, f"token = {token}\n".encode(), "Release files")
        self.git("tag", "-a", "-m", "release candidate", "bench-rc1", commit)
        where = "a commit only a tag reaches"
        self.cases.append(_case("tag", where, token, path, "history"))

    def stash(self, branch: str) -> None:
        """What `git stash` would record (a WIP commit whose parents are HEAD and the index)."""
        token = self.tokens.real()
        path = "config/bench_local.py"
        head = self.git("rev-parse", "HEAD")
        tree = self.git("rev-parse", "HEAD^{tree}")
        index = self.git("commit-tree", tree, "-p", head, "-m", f"index on {branch}")
        work = self._commit_beside_head(path, f'LOCAL_TOKEN = "{token}"\n'.encode(), "WIP")
        work_tree = self.git("rev-parse", f"{work}^{{tree}}")
        stash = self.git(
            "commit-tree", work_tree, "-p", head, "-p", index, "-m", f"WIP on {branch}"
        )
        self.git("update-ref", "--create-reflog", "-m", f"WIP on {branch}", "refs/stash", stash)
        self.cases.append(_case("stash", "a stash entry", token, path, "history"))

    def amended(self) -> None:
        token = self.tokens.real()
        path = "config/bench_deploy.py"
        self.write(path, f'DEPLOY_TOKEN = "{token}"\n'.encode())
        self.commit("Add deploy settings", path)
        self.write(path, b'DEPLOY_TOKEN = os.environ["DEPLOY_TOKEN"]\n')
        self.git("add", "--", path)
        self.git("commit", "-q", "--amend", "--no-verify", "--no-edit")
        where = "amended away: reflog only (must not)"
        self.cases.append(
            _case(
                "reflog",
                where,
                token,
                path,
            )
        )

    def dangling_blob(self) -> None:
        token = self.tokens.real()
        path = "(no path)"
        self.git("hash-object", "-w", "--stdin", stdin=f'TOKEN = "{token}"\n'.encode())
        self.cases.append(_case("dangling", "a dangling blob (must not)", token, path))

    def filler_commit(self) -> None:
        self.filler += 1
        path = "BENCH_CHANGES.txt"
        target = self.repo / path
        before = target.read_bytes() if target.exists() else b""
        self.write(path, before + f"change {self.filler}: {self.rng.random():.6f}\n".encode())
        self.commit(f"Bench change {self.filler}", path)

    def recent_commit(self) -> None:
        token = self.tokens.real()
        path = "src/bench_recent.py"
        invite = self.tokens.wrong_checksum(formats.INVITE_TOKEN)
        self.write(
            path,
            f'RECENT_TOKEN = "{token}"\nINVITE_EXAMPLE = "{invite}"  # wrong checksum\n'.encode(),
        )
        self.commit("Add the recent module", path)
        where = f"a commit among the last {RANGE_COMMITS}"
        self.cases.append(_case("recent", where, token, path, "history", "range", "tree"))
        self.cases.append(_lookalike_case("look-alike in a recent commit", invite, path))


@contextmanager
def staged_case(repo: Path, seed: int) -> Iterator[Case]:
    """Stage a new file holding a fresh token; restore the index and work tree afterwards,
    and delete the blob `git add` wrote: left dangling, it would be a token nobody planted for
    the next run (a scanner that reads every stored object reports it)."""
    token = Tokens(random.Random(seed)).real()
    path = "src/bench_staged.py"
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    data = f'STAGED_TOKEN = "{token}"\n'.encode()
    target.write_bytes(data)
    try:
        subprocess.run(["git", "add", "-f", "--", path], cwd=repo, check=True, capture_output=True)
        yield _case("staged", "a staged new file", token, path, "staged")
    finally:
        subprocess.run(["git", "reset", "-q", "--", path], cwd=repo, check=False)
        target.unlink(missing_ok=True)
        _delete_loose_blob(repo, data)


def _delete_loose_blob(repo: Path, data: bytes) -> None:
    done = subprocess.run(
        ["git", "hash-object", "--stdin"], cwd=repo, input=data, capture_output=True, check=True
    )
    blob = done.stdout.decode().strip()
    objects = subprocess.run(
        ["git", "rev-parse", "--git-path", "objects"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (repo / objects / blob[:2] / blob[2:]).unlink(missing_ok=True)
