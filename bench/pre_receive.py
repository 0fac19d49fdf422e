"""What hooks/pre-receive costs a push: a 10-commit push into a ~50,000-object repository.

The script builds (once, cached in the system's temporary directory) a bare "server"
repository of about 50,000 objects through one `git fast-import` stream (1,000 files of real
text, pieces of the standard library's sources, in 50 directories, then commits that each
edit three of them, a tag every 500 commits), repacked as a server keeps it. Every timed run
then makes 10 new commits on top of main in a clone and pushes them with a real `git push`
to a new branch of the server, whose pre-receive hook is a small wrapper that times what it
runs:

* `reference`: a bare `git rev-list --objects NEW --not --all`, the floor: just listing what
  the push adds, in git's quarantine. The wrapper then refuses the push, so the very same
  push is made again with
* `hooks/pre-receive` (`oi scan --pre-receive`, offline): the whole judgement, interpreter
  start included. A clean push goes in; a second measure plants one token in the fifth
  commit and is refused (the finding is traced to its commit: the slower path).

Printed: the median wall time of each, the hook's ratio to the reference, the whole
`git push` with the hook, and the target: a 10-commit push judged in under half a second.
Figures only: nothing is enforced. `--quick` builds a ~2,000-object repository and runs
each measure twice: a smoke run for CI (it checks the clean push goes in and the leaky one
is refused). No token is printed.

Usage: python bench/pre_receive.py [--quick] [--rebuild] [--objects N] [--repeat N]
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from scanner import formats

ROOT = Path(__file__).resolve().parents[1]
HOOK = ROOT / "hooks" / "pre-receive"
BUILD_VERSION = 2  # bump when the recipe changes: cached repositories rebuild
SEED = 20261201
FILES, DIRECTORIES = 1000, 50
PUSHED_COMMITS = 10
TARGET_SECONDS = 0.5

# The server's hook: times what it runs (not its own start), writes the figure, passes
# git's stdin on. BENCH_HOOK picks what runs; the reference always refuses the push.
WRAPPER = """#!{python}
import os, subprocess, sys, time
what = os.environ["BENCH_HOOK"]
start = time.perf_counter()
if what == "reference":
    for line in sys.stdin:
        new = line.split()[1]
        subprocess.run(
            f"git rev-list --objects {{new}} --not --all",
            shell=True, stdout=subprocess.DEVNULL, check=True,
        )
    rc = 1
else:
    rc = subprocess.run([os.environ["TOKENPATROL_HOOK"]]).returncode
with open(os.environ["BENCH_TIMES"], "a") as times:
    times.write(f"{{time.perf_counter() - start}}\\n")
sys.exit(rc)
"""


class BenchError(Exception):
    """A command failed or a push was judged wrongly: the benchmark exits 1."""


def parse_options(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke mode for CI: small and fast")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached repository")
    parser.add_argument("--objects", type=int, help="objects in the server repository (about)")
    parser.add_argument("--repeat", type=int, help="timed pushes of each measure")
    args = parser.parse_args(argv)
    args.objects = args.objects or (2_000 if args.quick else 50_000)
    args.repeat = args.repeat or (2 if args.quick else 7)
    if args.objects < 1_500 or args.repeat < 1:
        parser.error("--objects must be at least 1500, --repeat at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(sys.argv[1:] if argv is None else argv)
    try:
        return _bench(options)
    except BenchError as error:
        sys.stderr.write(f"bench/pre_receive.py: error: {error}\n")
        return 1


def _bench(options: argparse.Namespace) -> int:
    oi = shutil.which("oi", path=str(Path(sys.executable).parent)) or shutil.which("oi")
    if oi is None:
        raise BenchError("no `oi` console script: pip install -e . first")
    with tempfile.TemporaryDirectory(prefix="tokenpatrol-bench-push-") as scratch:
        work = Path(scratch)
        env = isolated_env(work, oi)
        server = ensure_server(options, env)
        live = work / "server.git"
        run(["git", "clone", "-q", "--bare", "--no-hardlinks", str(server), str(live)], env)
        install_wrapper(live)
        clone = work / "clone"
        run(["git", "clone", "-q", "--no-checkout", str(live), str(clone)], env)
        describe(live, env, options)
        figures = measure(clone, env, options.repeat, work / "times")
    report(figures)
    return 0


def isolated_env(work: Path, oi: str) -> dict[str, str]:
    """No service, no profile, no user or system git configuration: an offline judgement."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENINDEX_", "GIT_"))}
    (work / "gitconfig").write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n")
    env.update(
        GIT_CONFIG_GLOBAL=str(work / "gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
        XDG_CONFIG_HOME=str(work / "config"),
        OI=oi,
        TOKENPATROL_HOOK=str(HOOK),
        BENCH_TIMES=str(work / "times"),
    )
    return env


# ---- the server repository (cached) ----


def ensure_server(options: argparse.Namespace, env: dict[str, str]) -> Path:
    name = f"tokenpatrol-bench-pre-receive-{options.objects}-v{BUILD_VERSION}"
    cached = Path(tempfile.gettempdir()) / name
    done = cached / "bench-complete"
    if options.rebuild or not done.exists():
        shutil.rmtree(cached, ignore_errors=True)
        print(f"building the server repository ({options.objects:,} objects) in {cached} ...")
        build_server(cached, options.objects, env)
        done.write_text("ok\n")
    return cached


def build_server(path: Path, objects: int, env: dict[str, str]) -> None:
    run(["git", "init", "-q", "--bare", "-b", "main", str(path)], env)
    # About 8 objects a commit: the commit, 3 blobs, the root tree and up to 3 directory trees.
    commits = max(10, (objects - FILES - DIRECTORIES - 2) // 8)
    stream = fast_import_stream(commits, random.Random(SEED))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=stream, env=env, check=True)
    run(["git", "repack", "-adq"], env, cwd=path)


def fast_import_stream(commits: int, rng: random.Random) -> bytes:
    paths = [f"pkg{n % DIRECTORIES}/module{n}.py" for n in range(FILES)]
    out = [_commit_header("refs/heads/main", 1, "initial")]
    out += [_modify(path, _content(rng)) for path in paths]
    for number in range(2, commits + 1):
        out.append(_commit_header("refs/heads/main", number, f"change {number}"))
        out += [_modify(path, _content(rng)) for path in rng.sample(paths, 3)]
        if number % 500 == 0:
            out.append(f"reset refs/tags/v{number // 500}\nfrom :{number}\n\n".encode())
    return b"".join(out)


def _commit_header(ref: str, mark: int, message: str) -> bytes:
    when = 1_700_000_000 + mark * 60
    data = message.encode()
    return (
        (
            f"commit {ref}\nmark :{mark}\ncommitter Bench <bench@example.com> {when} +0000\n"
            f"data {len(data)}\n"
        ).encode()
        + data
        + b"\n"
    )


def _modify(path: str, content: bytes) -> bytes:
    return f"M 100644 inline {path}\ndata {len(content)}\n".encode() + content + b"\n"


def _content(rng: random.Random, token: str | None = None) -> bytes:
    """20 to 60 lines of real text (the standard library's own sources), and a line that makes
    each version of a file new."""
    source = rng.choice(_real_text())
    start = rng.randrange(max(1, len(source) - 60))
    lines = [*source[start : start + rng.randint(20, 60)], f"# revision {rng.randrange(10**9)}"]
    if token is not None:
        lines.insert(len(lines) // 2, f"TOKEN = '{token}'")
    return ("\n".join(lines) + "\n").encode()


@functools.cache
def _real_text() -> list[list[str]]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(stdlib.glob("*.py"))[:300]
    return [lines for f in files if len(lines := f.read_text(errors="replace").splitlines()) > 20]


def install_wrapper(server: Path) -> None:
    hook = server / "hooks" / "pre-receive"
    hook.write_text(WRAPPER.format(python=sys.executable))
    hook.chmod(0o755)


def describe(server: Path, env: dict[str, str], options: argparse.Namespace) -> None:
    counts = dict(
        line.split(": ", 1) for line in run(["git", "count-objects", "-v"], env, cwd=server)
    )
    total = int(counts.get("count", 0)) + int(counts.get("in-pack", 0))
    refs = len(run(["git", "for-each-ref"], env, cwd=server))
    mode = "quick" if options.quick else "full"
    print(f"pre-receive benchmark ({mode}): {total:,} objects, {refs} refs on the server; ", end="")
    print(f"{PUSHED_COMMITS}-commit pushes, median of {options.repeat}")


# ---- the pushes ----


def measure(clone: Path, env: dict[str, str], repeat: int, times: Path) -> dict[str, float]:
    rng = random.Random(SEED + 1)
    walls: dict[str, list[float]] = {}
    for number in range(repeat):
        for case in ("clean", "leaky"):
            branch = f"bench/{case}-{number}"
            make_commits(clone, env, branch, rng, leaky=case == "leaky")
            reference = timed_push(clone, env, branch, "reference", times)
            if reference[0] == 0:
                raise BenchError("the reference hook let a push in")
            start = time.perf_counter()
            rc, hook = timed_push(clone, env, branch, "tokenpatrol", times)
            whole = time.perf_counter() - start
            if rc != (0 if case == "clean" else 1):
                raise BenchError(f"the {case} push was judged wrongly (git push exit {rc})")
            walls.setdefault(f"reference {case}", []).append(reference[1])
            walls.setdefault(f"hook {case}", []).append(hook)
            walls.setdefault(f"git push {case}", []).append(whole)
    return {label: statistics.median(values) for label, values in walls.items()}


def make_commits(
    clone: Path, env: dict[str, str], branch: str, rng: random.Random, *, leaky: bool
) -> None:
    """PUSHED_COMMITS commits on top of main, three edited files each; with `leaky`, the
    fifth plants one token (never printed)."""
    paths = [f"pkg{n % DIRECTORIES}/module{n}.py" for n in range(FILES)]
    out = []
    for number in range(1, PUSHED_COMMITS + 1):
        out.append(_commit_header(f"refs/heads/{branch}", number, f"pushed {number}"))
        if number == 1:
            out.append(b"from refs/heads/main\n")
        token = formats.PERSONAL_ACCESS_TOKEN.generate() if leaky and number == 5 else None
        for index, path in enumerate(rng.sample(paths, 3)):
            out.append(_modify(path, _content(rng, token if index == 0 else None)))
    stream = b"".join(out)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=clone, input=stream, env=env, check=True)


def timed_push(
    clone: Path, env: dict[str, str], branch: str, hook: str, times: Path
) -> tuple[int, float]:
    """`git push` of `branch` with the server's hook running `hook`: (exit status, its time)."""
    times.unlink(missing_ok=True)
    done = subprocess.run(
        ["git", "push", "-q", "origin", f"{branch}:refs/heads/{branch}"],
        cwd=clone,
        env={**env, "BENCH_HOOK": hook},
        capture_output=True,
        check=False,
    )
    if not times.exists():
        output = formats.redact_text(done.stderr.decode("utf-8", "replace"))[-1000:]
        raise BenchError(f"the {hook} hook did not run:\n{output}")
    return done.returncode, float(times.read_text().split()[0])


def report(figures: dict[str, float]) -> None:
    print(f"\n{'measure':<22} {'wall':>9}")
    for label, wall in figures.items():
        print(f"{label:<22} {wall * 1000:>7.1f}ms")
    print()
    for case in ("clean", "leaky"):
        hook, reference = figures[f"hook {case}"], figures[f"reference {case}"]
        verdict = "PASS" if hook < TARGET_SECONDS else "MISS"
        print(
            f"{case} push: hook {hook * 1000:.0f} ms = {hook / reference:.1f}x the reference "
            f"({reference * 1000:.0f} ms); target under {TARGET_SECONDS * 1000:.0f} ms: {verdict}"
        )


def run(args: list[str], env: dict[str, str], cwd: Path | None = None) -> list[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"{' '.join(args)} failed: {formats.redact_text(done.stderr)[-500:]}")
    return done.stdout.splitlines()


if __name__ == "__main__":
    sys.exit(main())
