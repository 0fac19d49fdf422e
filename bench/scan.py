"""What `oi scan` costs next to merely reading the repository, and next to `git secrets`.

The script builds (once, cached in `bench/.work/`) a benchmark repository from real text: the
`.py` sources of installed packages (flask, sqlalchemy, pydantic, hypothesis...) become a few
thousand commits through one `git fast-import` stream. Each commit adds a file, edits one
(lines swapped for lines of another real file, or deleted), or deletes one. A few dozen
tokens of every registered kind are planted across history, some in files deleted later, one
on a side branch that is never merged and one in a dangling blob that no ref reaches (the
scan must drop it). The repository is then `git gc`-ed so it reads like a clone.

It then times, as the median of several interleaved runs on a warm page cache:

* `git cat-file --batch-all-objects --batch > /dev/null` - the cost of just reading every
  object once: the floor for any history scan (also shown with `--unordered`, pack order);
* `oi scan --history --no-verify --format json` - the whole scan, reporting included; its
  findings are checked against the planted tokens (recall, and nothing extra);
* `git secrets --scan-history` (Debian package `git-secrets`) with equivalent patterns: the peer;
* on a one-file change that holds no token, `oi scan --staged` next to
  `git secrets --pre_commit_hook`, and `python -c pass` for the interpreter's own start;
* on the repository's working tree (HEAD checked out: a few thousand real source files, some
  tokens planted), `oi scan --no-verify .` next to `git secrets --scan -r .` (both find the
  planted tokens and exit 1).

How to read the output: the ratio table compares wall times. history / cat-file must be at
most 1.5x (aim 1.25x); history / git-secrets below 1x beats the peer; staged / git-secrets
pre-commit must be at most 2x (aim 1.3x); tree / git secrets --scan -r at most 1x. PASS
means within the target, "aim missed" means within the target but above the aim, MISS means
above the target. `--quick` builds a small
repository whose ratios are dominated by fixed costs (interpreter start, a history walk to
name commits): it checks that everything runs and finds every token; read ratios from a full
run. The cpu column is user+sys of the whole process tree. When the staged ratio
misses, the slowest imports of `oi scan --staged` (`python -X importtime`) follow. The staged
path must never import flask, sqlalchemy, GitPython, click or rich: that is checked every run.

Usage: python bench/scan.py [--quick] [--rebuild] [--commits N] [--repeat N]
                            [--staged-repeat N] [--require-peers] [--strict]
                            [--scanner-from DIR]   (benchmark a candidate scanner/ in DIR)
                            [--only history,staged,tree]   (some of the measures)

Exit status: 0 on success (ratios are reported, not enforced, unless --strict); 1 when the
scan's findings differ from the planted tokens, a forbidden module is imported on the staged
path, a command fails, or (with --require-peers) `git secrets` is missing. No token is printed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import textwrap
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from scanner import detect, formats

WORK = Path(__file__).resolve().parent / ".work"
MANIFEST = "bench-manifest.json"
BUILD_VERSION = 1  # bump when the repository recipe changes: cached repositories rebuild
SEED = 20240611
PACKAGES = (
    "flask",
    "werkzeug",
    "jinja2",
    "click",
    "sqlalchemy",
    "alembic",
    "pydantic",
    "hypothesis",
    "rich",
    "_pytest",
    "pygments",
    "mypy",
    "schemathesis",
    "pip",
)
FULL = {"commits": 3000, "repeat": 5, "staged_repeat": 20}
QUICK = {"commits": 300, "repeat": 2, "staged_repeat": 7}
MAX_SOURCE_BYTES = 256 * 1024
SECRETS_PATTERNS = (
    r"oi_pat_[0-9A-Za-z]{36}",
    r"oi_inv_[0-9A-Za-z]{36}",
    r"oai_[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{43}",
)
FORBIDDEN_ON_STAGED = ("flask", "sqlalchemy", "git", "click", "rich", "werkzeug", "pydantic")
STAGED_CHANGE = b"# benchmark: a one-line change that holds no token\n"
NOT_INHERITED = ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME")
HISTORY_TARGET, HISTORY_AIM = 1.5, 1.25
STAGED_TARGET, STAGED_AIM = 2.0, 1.3
TREE_TARGET = 1.0
MEASURES = ("history", "staged", "tree")


# label -> (command, the exit statuses it may return)
Commands = dict[str, tuple[list[str], tuple[int, ...]]]


class BenchError(Exception):
    """A command failed or the scan's result is wrong: the benchmark exits 1."""


@dataclass(frozen=True)
class Options:
    quick: bool
    rebuild: bool
    commits: int
    repeat: int
    staged_repeat: int
    require_peers: bool
    strict: bool
    scanner_from: Path | None
    only: tuple[str, ...] = MEASURES


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    returncode: int
    stdout: bytes


@dataclass
class Timing:
    label: str
    runs: list[Run] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(run.wall for run in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(run.cpu for run in self.runs)


@dataclass(frozen=True)
class Bench:
    """Where and how every measured command runs."""

    repo: Path
    env: dict[str, str]
    peers: bool
    options: Options


@dataclass
class Manifest:
    """What the builder planted; fingerprints only, never a token."""

    version: int
    commits: int
    seed: int
    tokens: int = 0
    deleted_files: int = 0
    side_branch_tokens: int = 0
    dangling_tokens: int = 0
    expected: dict[str, int] = field(default_factory=dict)  # fingerprint -> reachable blobs

    @property
    def occurrences(self) -> int:
        return sum(self.expected.values())


# ---- command line ----


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke mode for CI: small and fast")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached repository")
    parser.add_argument("--commits", type=int, help="commits in the benchmark repository")
    parser.add_argument("--repeat", type=int, help="timed runs of each history measure")
    parser.add_argument("--staged-repeat", type=int, help="timed runs of each staged measure")
    parser.add_argument("--require-peers", action="store_true", help="fail without git-secrets")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a ratio misses")
    parser.add_argument(
        "--scanner-from",
        type=Path,
        metavar="DIR",
        help="import `scanner` from DIR (a candidate change) instead of the installed package",
    )
    parser.add_argument("--only", help="comma-separated measures: history, staged, tree (all)")
    args = parser.parse_args(argv)
    only = tuple(args.only.split(",")) if args.only else MEASURES
    if not set(only) <= set(MEASURES):
        parser.error(f"--only takes some of {', '.join(MEASURES)}")
    defaults = QUICK if args.quick else FULL
    commits = args.commits or defaults["commits"]
    repeat = args.repeat or defaults["repeat"]
    staged_repeat = args.staged_repeat or defaults["staged_repeat"]
    if min(commits, repeat, staged_repeat) < 1 or commits < 50:
        parser.error("--commits must be at least 50, --repeat and --staged-repeat at least 1")
    if args.scanner_from is not None and not (args.scanner_from / "scanner").is_dir():
        parser.error(f"--scanner-from: no scanner/ package in {args.scanner_from}")
    return Options(
        args.quick,
        args.rebuild,
        commits,
        repeat,
        staged_repeat,
        args.require_peers,
        args.strict,
        args.scanner_from.resolve() if args.scanner_from else None,
        only,
    )


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(sys.argv[1:] if argv is None else argv)
    try:
        return _bench(options)
    except BenchError as error:
        sys.stderr.write(f"bench/scan.py: error: {error}\n")
        return 1


def _bench(options: Options) -> int:
    peers = shutil.which("git-secrets") is not None
    if not peers:
        missing = "git secrets is not installed (apt-get install git-secrets)"
        if options.require_peers:
            raise BenchError(f"{missing} and --require-peers was given")
        print(f"note: {missing}: its ratios are skipped")
    repo, manifest = ensure_repository(options)
    if peers:
        _register_secrets_patterns(repo)
    _describe_repository(repo, manifest, options)
    bench = Bench(repo, measured_env(options.scanner_from), peers, options)
    history = measure_history(bench, manifest) if "history" in options.only else []
    staged = measure_staged(bench) if "staged" in options.only else []
    tree = measure_tree(bench) if "tree" in options.only else []
    verdicts = print_report(history, staged + tree)
    if staged:
        forbidden = check_staged_imports(bench, show_offenders=_staged_missed(staged))
        if forbidden:
            raise BenchError(f"the staged path imports {', '.join(forbidden)}")
    return 1 if options.strict and "MISS" in verdicts else 0


# ---- the benchmark repository ----


def ensure_repository(options: Options) -> tuple[Path, Manifest]:
    repo = WORK / f"scan-repo-{options.commits}"
    cached = _load_manifest(repo)
    if not options.rebuild and cached is not None and cached.version == BUILD_VERSION:
        return repo, cached
    started = time.perf_counter()
    manifest = build_repository(repo, options.commits)
    print(f"built {repo} in {time.perf_counter() - started:.1f} s")
    return repo, manifest


def _load_manifest(repo: Path) -> Manifest | None:
    try:
        data = json.loads((repo / ".git" / MANIFEST).read_text())
        return Manifest(**data)
    except (OSError, ValueError, TypeError):
        return None


def build_repository(repo: Path, commits: int) -> Manifest:
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "gc.auto", "0")
    builder = HistoryBuilder(
        source_pool(), random.Random(SEED), Manifest(BUILD_VERSION, commits, SEED)
    )
    importer = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=repo, stdin=subprocess.PIPE)
    assert importer.stdin is not None
    try:
        builder.write(importer.stdin, commits)
    finally:
        importer.stdin.close()
    if importer.wait() != 0:
        raise BenchError("git fast-import failed")
    _git(repo, "reset", "-q", "--hard", "main")
    _git(repo, "gc", "-q")
    (repo / ".git" / MANIFEST).write_text(json.dumps(builder.manifest.__dict__, indent=1))
    return builder.manifest


def source_pool() -> list[tuple[str, bytes]]:
    """Real text: `.py` files of installed packages, as (path in the repo, bytes)."""
    site = Path(sysconfig.get_paths()["purelib"])
    pool = []
    for package in PACKAGES:
        for path in sorted((site / package).rglob("*.py")):
            data = path.read_bytes()
            if 200 < len(data) <= MAX_SOURCE_BYTES and not any(detect.find_tokens(data)):
                pool.append((path.relative_to(site).as_posix(), data))
    if len(pool) < 300:
        raise BenchError(
            f"only {len(pool)} source files found under {site}: install the test extras"
        )
    return pool


class HistoryBuilder:
    """Writes a `git fast-import` stream of commits and counts where planted tokens land."""

    def __init__(self, pool: list[tuple[str, bytes]], rng: random.Random, manifest: Manifest):
        self.rng = rng
        self.manifest = manifest
        self.unused = list(pool)
        rng.shuffle(self.unused)
        self.donors = [data.splitlines(keepends=True) for _path, data in pool]
        self.tokens: list[bytes] = []  # raw, in memory only
        self.seen_blobs: set[bytes] = set()
        self.marks = 0
        self.tick = 0
        self.delete_at: dict[int, list[str]] = {}

    def write(self, out: IO[bytes], commits: int) -> None:
        tree: dict[str, bytes] = {}
        plant_at = set(self.rng.sample(range(20, commits), max(6, commits // 75)))
        fork_at = commits * 3 // 5
        head = self._commit(out, "refs/heads/main", tree, self._initial(), None)
        for index in range(1, commits):
            if index == fork_at:
                self._side_branch(out, dict(tree), head)
            changes = self._changes(tree, index, plant=index in plant_at)
            head = self._commit(out, "refs/heads/main", tree, changes, None)
            if index == commits // 2:
                out.write(f"reset refs/tags/v1.0\nfrom :{head}\n\n".encode())
        self._dangling_blob(out)

    # -- commits --

    def _initial(self) -> dict[str, bytes | None]:
        return dict(self.unused.pop() for _ in range(40))

    def _changes(
        self, tree: dict[str, bytes], index: int, *, plant: bool
    ) -> dict[str, bytes | None]:
        doomed = [path for path in self.delete_at.pop(index, []) if path in tree]
        self.manifest.deleted_files += len(doomed)
        changes: dict[str, bytes | None] = dict.fromkeys(doomed)
        for _ in range(self.rng.choice((1, 1, 1, 2, 3))):
            changes.update(self._one_change(tree, changes))
        if plant:
            changes.update(self._plant(tree, changes, index))
        return changes

    def _one_change(
        self, tree: dict[str, bytes], pending: dict[str, bytes | None]
    ) -> dict[str, bytes | None]:
        roll = self.rng.random()
        if (roll < 0.3 or len(tree) < 60) and self.unused:
            path, data = self.unused.pop()
            return {path: data}
        path = self.rng.choice(sorted(tree))
        if roll > 0.97 and len(tree) > 60:
            return {path: None}
        return {path: self._edit(pending.get(path) or tree[path])}

    def _edit(self, data: bytes) -> bytes:
        """Swap, insert or delete a run of lines; donor lines come from another real file."""
        lines = data.splitlines(keepends=True)
        start = self.rng.randrange(len(lines) + 1)
        removed = self.rng.randint(0, 12) if len(data) < MAX_SOURCE_BYTES else 40
        donor = self.rng.choice(self.donors)
        offset = self.rng.randrange(max(1, len(donor)))
        added = donor[offset : offset + self.rng.randint(0, 12)]
        edited = b"".join(lines[:start] + added + lines[start + removed :])
        return edited if edited and edited != data else data + b"# touched\n"

    def _plant(
        self, tree: dict[str, bytes], pending: dict[str, bytes | None], index: int
    ) -> dict[str, bytes | None]:
        path = self.rng.choice(sorted(path for path in tree if pending.get(path, b"") is not None))
        lines = (pending.get(path) or tree[path]).splitlines(keepends=True)
        lines.insert(self.rng.randrange(len(lines) + 1), self._token_line())
        if self.rng.random() < 0.35:
            self.delete_at.setdefault(index + self.rng.randint(5, 150), []).append(path)
        return {path: b"".join(lines)}

    def _token_line(self) -> bytes:
        kind = len(self.tokens) % 3
        token = self._new_token(kind)
        self.tokens.append(token.encode("ascii"))
        self.manifest.tokens += 1
        template = (
            'PERSONAL_TOKEN = "{}"\n',
            'headers = {{"Authorization": "Bearer {}"}}\n',
            "# invite link: https://tokens.example.test/invite/{}\n",
        )[kind]
        return template.format(token).encode("ascii")

    def _new_token(self, kind: int) -> str:
        if kind == 0:
            return formats.PERSONAL_ACCESS_TOKEN.generate()
        if kind == 2:
            return formats.INVITE_TOKEN.generate()
        now = 1_700_000_000 + self.rng.randrange(10**7)
        payload = {
            "v": formats.API_TOKEN_VERSION,
            "tid": f"tok-{self.rng.randrange(10**9)}",
            "sub": f"user-{self.rng.randrange(1000)}",
            "scope": "read write",
            "iat": now,
            "exp": now + 86_400 * 30,
            "iss": "https://tokens.example.test",
            "n": os.urandom(8).hex(),
        }
        return formats.API_TOKEN.sign(payload, "bench", os.urandom(32))

    def _side_branch(self, out: IO[bytes], tree: dict[str, bytes], base: int) -> None:
        """A branch never merged: its token is reachable through `--all` only."""
        before = self.manifest.tokens
        parent: int | None = base
        for step in range(6):
            changes = self._changes(tree, -1, plant=step == 3)
            self._commit(out, "refs/heads/feature/abandoned", tree, changes, parent)
            parent = None
        self.manifest.side_branch_tokens = self.manifest.tokens - before

    def _dangling_blob(self, out: IO[bytes]) -> None:
        """A blob no ref reaches (fast-import writes it anyway): a finding here is a bug."""
        data = self._token_line()
        self.tokens.pop()
        self.manifest.tokens -= 1
        self.manifest.dangling_tokens = 1
        self.marks += 1
        out.write(b"blob\nmark :%d\ndata %d\n%s\n" % (self.marks, len(data), data))

    def _commit(
        self,
        out: IO[bytes],
        ref: str,
        tree: dict[str, bytes],
        changes: dict[str, bytes | None],
        parent: int | None,
    ) -> int:
        self.marks += 1
        self.tick += 1
        who, when = self.tick % 7, 1_600_000_000 + self.tick * 3600
        author = f"Dev {who} <dev{who}@example.test> {when} +0000"
        message = f"Change {self.tick}: {', '.join(sorted(changes))[:200]}\n".encode()
        out.write(
            f"commit {ref}\nmark :{self.marks}\nauthor {author}\ncommitter {author}\n".encode()
        )
        out.write(b"data %d\n%s" % (len(message), message))
        if parent is not None:
            out.write(f"from :{parent}\n".encode())
        for path, data in sorted(changes.items()):
            self._change(out, tree, path, data)
        out.write(b"\n")
        return self.marks

    def _change(
        self, out: IO[bytes], tree: dict[str, bytes], path: str, data: bytes | None
    ) -> None:
        if data is None:
            tree.pop(path, None)
            out.write(f"D {path}\n".encode())
            return
        tree[path] = data
        self._count_tokens(data)
        out.write(f"M 100644 inline {path}\ndata {len(data)}\n".encode())
        out.write(data + b"\n")

    def _count_tokens(self, data: bytes) -> None:
        """Each distinct blob is scanned once: count planted tokens per distinct content."""
        digest = hashlib.sha1(b"blob %d\0" % len(data) + data).digest()
        if digest in self.seen_blobs:
            return
        self.seen_blobs.add(digest)
        if b"oi_" not in data and b"oai_" not in data:
            return
        for token in self.tokens:
            if count := data.count(token):
                key = formats.fingerprint(token.decode("ascii"))
                self.manifest.expected[key] = self.manifest.expected.get(key, 0) + count


def _register_secrets_patterns(repo: Path) -> None:
    """The same three token shapes for git-secrets (`--add` fails on a pattern it already has)."""
    done = subprocess.run(
        ["git", "config", "--get-all", "secrets.patterns"], cwd=repo, capture_output=True
    )
    present = set(done.stdout.decode().split())
    for pattern in SECRETS_PATTERNS:
        if pattern not in present:
            _run(["git", "secrets", "--add", pattern], repo)


def _describe_repository(repo: Path, manifest: Manifest, options: Options) -> None:
    counts = Counter(
        _git(repo, "cat-file", "--batch-all-objects", "--batch-check=%(objecttype)").split()
    )
    sizes = dict(line.split(": ") for line in _git(repo, "count-objects", "-v").splitlines())
    commits = int(_git(repo, "rev-list", "--all", "--count"))
    print(
        f"tokenpatrol scan benchmark ({'quick' if options.quick else 'full'}): {repo}\n"
        f"  {commits:,} commits, {counts['blob']:,} blobs, {counts['tree']:,} trees, "
        f"pack {int(sizes['size-pack']) / 1024:.1f} MiB ({sizes['count']} loose objects)\n"
        f"  {manifest.tokens} tokens planted ({len(manifest.expected)} reachable) -> "
        f"{manifest.occurrences} occurrences in reachable blobs; "
        f"{manifest.deleted_files} planted files deleted later, "
        f"{manifest.side_branch_tokens} on an unmerged branch, "
        f"{manifest.dangling_tokens} in a dangling blob (must not be reported)"
    )


# ---- measuring ----


def oi_command() -> list[str]:
    """The installed `oi` console script itself (a pyenv shim would add its own start-up)."""
    script = Path(sys.executable).parent / "oi"
    return [str(script)] if script.exists() else [sys.executable, "-m", "scanner.cli"]


def measured_env(scanner_from: Path | None) -> dict[str, str]:
    """The caller's environment, with bytecode cached as in any installed package.

    Python processes cache compiled modules under bench/.work/pycache even where
    PYTHONDONTWRITEBYTECODE is set (sandboxes, some CI images): otherwise every `oi` run
    would recompile the scanner from source, which no pip-installed hook does.
    """
    env = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    env["PYTHONPYCACHEPREFIX"] = str(WORK / "pycache")
    if "PYTHONDONTWRITEBYTECODE" in os.environ:
        print("  note: PYTHONDONTWRITEBYTECODE is set here; measured runs cache bytecode anyway")
    if scanner_from is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(scanner_from), env.get("PYTHONPATH")])
        )
        print(f"  note: scanner imported from {scanner_from} (--scanner-from)")
    return env


def measure_history(bench: Bench, manifest: Manifest) -> list[Timing]:
    commands: Commands = {
        CAT_FILE: (["git", "cat-file", "--batch-all-objects", "--batch"], (0,)),
        CAT_FILE_UNORDERED: (
            ["git", "cat-file", "--batch-all-objects", "--batch", "--unordered"],
            (0,),
        ),
        OI_HISTORY: ([*oi_command(), "scan", "--history", "--no-verify", "--format", "json"], (1,)),
    }
    if bench.peers:
        commands[PEER_HISTORY] = (["git", "secrets", "--scan-history"], (1,))
    _timed(bench, commands[CAT_FILE][0])  # warm the page cache
    first = _timed(bench, commands[OI_HISTORY][0], capture=True)
    check_recall(_expect(first, (1,), OI_HISTORY), manifest)
    return _interleave(bench, commands, bench.options.repeat)


def measure_staged(bench: Bench) -> list[Timing]:
    commands: Commands = {
        "python -c pass (interpreter start)": ([sys.executable, "-c", "pass"], (0,)),
        OI_STAGED: ([*oi_command(), "scan", "--staged"], (0,)),
    }
    if bench.peers:
        commands[PEER_STAGED] = (["git", "secrets", "--pre_commit_hook"], (0,))
    with staged_change(bench.repo):
        for label, (command, codes) in commands.items():
            _expect(_timed(bench, command), codes, label)  # warm-up, and a correctness check
        return _interleave(bench, commands, bench.options.staged_repeat)


def measure_tree(bench: Bench) -> list[Timing]:
    """The checked-out tree, scanned by path: both tools find the planted tokens (exit 1)."""
    commands: Commands = {OI_TREE: ([*oi_command(), "scan", "--no-verify", "."], (1,))}
    if bench.peers:
        commands[PEER_TREE] = (["git", "secrets", "--scan", "-r", "."], (1,))
    for label, (command, codes) in commands.items():
        _expect(_timed(bench, command), codes, label)  # warm-up, and a correctness check
    return _interleave(bench, commands, bench.options.repeat)


@contextmanager
def staged_change(repo: Path) -> Iterator[str]:
    """Stage one edited file holding no token; restore the work tree and index afterwards."""
    sources = sorted(
        name for name in _git(repo, "ls-files", "-z").split("\0") if name.endswith(".py")
    )
    path = sources[len(sources) // 2]
    target = repo / path
    target.write_bytes(target.read_bytes() + STAGED_CHANGE)
    try:
        _git(repo, "add", "--", path)
        yield path
    finally:
        _git(repo, "reset", "-q", "--hard", "HEAD")


def _interleave(bench: Bench, commands: Commands, repeat: int) -> list[Timing]:
    """Round-robin the commands so drift (thermal, other load) hits every one alike."""
    timings = {label: Timing(label) for label in commands}
    for _ in range(repeat):
        for label, (command, codes) in commands.items():
            timings[label].runs.append(_expect(_timed(bench, command), codes, label))
    return list(timings.values())


def _timed(bench: Bench, command: list[str], *, capture: bool = False) -> Run:
    """Wall time and the CPU time of the process tree (children that were waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=bench.repo,
        env=bench.env,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if done.returncode not in (0, 1):
        message = done.stderr.decode("utf-8", "replace").strip()[-500:]
        raise BenchError(f"{' '.join(command)} exited {done.returncode}: {message}")
    return Run(wall, cpu, done.returncode, done.stdout or b"")


def _expect(run: Run, codes: tuple[int, ...], label: str) -> Run:
    if run.returncode not in codes:
        raise BenchError(f"{label}: exit status {run.returncode}, expected {codes[0]}")
    return run


def check_recall(run: Run, manifest: Manifest) -> None:
    """Every planted occurrence in a reachable blob is reported, and nothing else."""
    findings = json.loads(run.stdout)["findings"]
    found = Counter(finding["fingerprint"] for finding in findings)
    expected = Counter(manifest.expected)
    matched = sum((found & expected).values())
    extra = sum((found - expected).values())
    unlocated = sum(1 for finding in findings if not finding.get("commit"))
    recall = matched / max(1, manifest.occurrences)
    print(
        f"  recall {recall:.1%} ({matched}/{manifest.occurrences} planted occurrences), "
        f"{extra} unexpected finding(s), {unlocated} without a commit"
    )
    if matched != manifest.occurrences or extra or unlocated:
        raise BenchError("oi scan --history did not report exactly the planted tokens")


# ---- imports on the staged path ----


# Runs the staged scan in-process and lists top-level modules: those the interpreter's start-up
# (site, .pth files) had already loaded, and those the scan itself added.
MODULES_PROBE = """
import sys
before = {name.split(".")[0] for name in sys.modules}
from scanner.cli import main
code = main(["scan", "--staged"])
after = {name.split(".")[0] for name in sys.modules}
sys.stdout.flush()
print("@start-up", *sorted(before))
print("@scan", *sorted(after - before))
sys.exit(code)
"""


def check_staged_imports(bench: Bench, *, show_offenders: bool) -> list[str]:
    """Print what `oi scan --staged` imports; return the forbidden modules among them."""
    with staged_change(bench.repo):
        probe = _run([sys.executable, "-c", MODULES_PROBE], bench.repo, bench.env)
        timed = subprocess.run(
            [*oi_command(), "scan", "--staged"],
            cwd=bench.repo,
            env={**bench.env, "PYTHONPROFILEIMPORTTIME": "1"},
            capture_output=True,
            check=False,
        )
    lists = dict(line.split(" ", 1) for line in probe.splitlines() if line.startswith("@"))
    print("\ntop-level modules imported by oi scan --staged, beyond interpreter start-up:")
    print(_wrapped(lists.get("@scan", "")))
    print("(already loaded at start-up by site and .pth files:)")
    print(_wrapped(lists.get("@start-up", "")))
    if show_offenders:
        print_import_offenders(list(_importtime_rows(timed.stderr.decode("utf-8", "replace"))))
    imported = set(lists.get("@scan", "").split()) | set(lists.get("@start-up", "").split())
    return [name for name in FORBIDDEN_ON_STAGED if name in imported]


def _wrapped(words: str) -> str:
    return textwrap.fill(words, width=100, initial_indent="  ", subsequent_indent="  ")


def _importtime_rows(stderr: str) -> Iterator[tuple[int, int, int, str]]:
    """(self us, cumulative us, nesting depth, module) for each `import time:` line."""
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        yield int(own), int(cumulative), depth, name.strip()


def print_import_offenders(rows: list[tuple[int, int, int, str]]) -> None:
    """Start-up (`site`) against the scan's own imports, then the costliest modules by self time."""
    top_level = sorted((row for row in rows if row[2] == 0), key=lambda row: -row[1])[:4]
    print("\nimport time of oi scan --staged (python -X importtime; it inflates absolute times):")
    for _own, cumulative, _depth, name in top_level:
        print(f"  {cumulative / 1000:>7.1f} ms cumulative  {name}")
    print(
        f"  slowest modules by self time (all {len(rows)} imports: "
        f"{sum(row[0] for row in rows) / 1000:.1f} ms):"
    )
    for own, _cumulative, _depth, name in sorted(rows, key=lambda row: -row[0])[:12]:
        print(f"  {own / 1000:>7.1f} ms self        {name}")


# ---- the report ----


def print_report(history: list[Timing], staged: list[Timing]) -> list[str]:
    print(f"\n{'measure':<48} {'median wall':>12} {'median cpu':>11} {'runs':>5}")
    for timing in history + staged:
        print(
            f"{timing.label:<48} {_ms(timing.wall):>12} {_ms(timing.cpu):>11} {len(timing.runs):>5}"
        )
    by_label = {timing.label: timing.wall for timing in history + staged}
    rows = _ratio_rows(by_label)
    print(f"\n{'ratio':<48} {'value':>7}  {'target':<22} verdict")
    for label, value, target, verdict in rows:
        print(f"{label:<48} {value:>7}  {target:<22} {verdict}")
    return [verdict for *_rest, verdict in rows]


CAT_FILE = "git cat-file --batch-all-objects --batch"
CAT_FILE_UNORDERED = "  same, --unordered (pack order)"
OI_HISTORY = "oi scan --history --no-verify --format json"
OI_STAGED = "oi scan --staged (one-file change)"
PEER_HISTORY = "git secrets --scan-history"
PEER_STAGED = "git secrets --pre_commit_hook"
OI_TREE = "oi scan --no-verify . (working tree)"
PEER_TREE = "git secrets --scan -r ."


def _ratio_rows(wall: dict[str, float]) -> list[tuple[str, str, str, str]]:
    """(what, ratio, target, verdict) for each ratio the issue asks for, of what was measured."""
    rows = _history_rows(wall) if OI_HISTORY in wall else []
    if OI_STAGED in wall:
        staged = ("staged", OI_STAGED, PEER_STAGED)
        rows.append(_peer_row(wall, staged, STAGED_TARGET, STAGED_AIM))
    if OI_TREE in wall:
        rows.append(_peer_row(wall, ("tree", OI_TREE, PEER_TREE), TREE_TARGET, TREE_TARGET))
    return rows


def _history_rows(wall: dict[str, float]) -> list[tuple[str, str, str, str]]:
    history = wall[OI_HISTORY]
    reading = history / wall[CAT_FILE]
    rows = [
        (
            "history / cat-file",
            f"{reading:.2f}x",
            f"<= {HISTORY_TARGET}x (aim {HISTORY_AIM}x)",
            _verdict(reading, HISTORY_TARGET, HISTORY_AIM),
        ),
        (
            "  (history / cat-file --unordered, reference)",
            f"{history / wall[CAT_FILE_UNORDERED]:.2f}x",
            "-",
            "-",
        ),
    ]
    label = "history / git secrets --scan-history"
    if PEER_HISTORY not in wall:
        return [*rows, (label, "n/a", "< 1x (peer)", "skipped: no git-secrets")]
    versus_peer = history / wall[PEER_HISTORY]
    verdict = "PASS" if versus_peer < 1 else "MISS"
    return [*rows, (label, f"{versus_peer:.2f}x", "< 1x (peer to beat)", verdict)]


def _peer_row(
    wall: dict[str, float], measures: tuple[str, str, str], target: float, aim: float
) -> tuple[str, str, str, str]:
    """(name, our measure, the peer's measure): our wall time over the peer's."""
    name, ours, peer = measures
    label = f"{name} / {peer}"
    goal = f"<= {target}x" + (f" (aim {aim}x)" if aim != target else "")
    if peer not in wall:
        return (label, "n/a", goal, "skipped: no git-secrets")
    ratio = wall[ours] / wall[peer]
    return (label, f"{ratio:.2f}x", goal, _verdict(ratio, target, aim))


def _verdict(ratio: float, target: float, aim: float) -> str:
    if ratio > target:
        return "MISS"
    return "PASS" if ratio <= aim else f"PASS (aim {aim}x missed)"


def _staged_missed(staged: list[Timing]) -> bool:
    wall = {timing.label: timing.wall for timing in staged}
    return PEER_STAGED not in wall or wall[OI_STAGED] / wall[PEER_STAGED] > STAGED_AIM


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.2f} s"


# ---- git ----


def _git(repo: Path, *args: str) -> str:
    return _run(["git", *args], repo)


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()[-500:]
        raise BenchError(f"{' '.join(command)} failed: {message}")
    return done.stdout.decode("utf-8", "surrogateescape")


if __name__ == "__main__":
    raise SystemExit(main())
