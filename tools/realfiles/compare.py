#!/usr/bin/env python3
"""Compare what PM2 runs from real ecosystem files with what `portos-lsp ports --json` reads.

    python3 tools/realfiles/compare.py CORPUS_DIR [--binary PATH] [--extras DIR] [--out FILE] [--jobs N]
                                                  [--unloadable] [--pm2 NODE_MODULES]

For every *.js / *.cjs / *.mjs / *.json / *.json5 / *.yml / *.yaml file of CORPUS_DIR (not recursive) it runs
the oracle `node pm2-reading.cjs FILE` (which EXECUTES the file in a throw-away sandbox, see README.md; JSON and
YAML files are loaded by PM2's own code, which --pm2 names) and `BINARY ports --json --no-config FILE`, and
compares, for each loadable file:

  * the list of process names, in order;
  * per process, the set of (key, port) of the `env` block's keys matching /PORT$/i whose value is
    an integer 1-65535 or a string of digits of such, against portos-lsp's bindings' uses of source
    `env` (and its `unresolved` uses of source `env`: those agree only where node has no numeric
    value for the key either);
  * a file where portos-lsp reports `dynamic_apps` agrees only if node found no apps.

It also runs `BINARY check --output-format json --no-config FILE` and lists every finding of the codes PM2's
own reading adds (instances-port-clash, shadowed-port, unknown-option, invalid-option-value, pm2-cannot-load),
with whether PM2 loads the file and accepts its apps (`pm2_valid`): an error on a file PM2 runs fine is
marked `!`.

--extras DIR: files a corpus file needs from its repo or its user's home, as DIR/<corpus file name>/<path
relative to the file's directory> (a first component `~` stands for HOME); each is copied into that
file's sandbox (`pm2-reading.cjs --extra`). portos-lsp still reads the corpus file alone.

Prints `agree N of M loadable (K not loadable)` and one line per disagreement; writes every file's
result as a JSON line to --out (default /tmp/realfiles-result.jsonl).
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import shutil
import subprocess
import tempfile
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORACLE = HERE / "pm2-reading.cjs"
# The release build of this checkout (`cargo build --release`).
DEFAULT_BINARY = str(Path(__file__).resolve().parents[2] / "target" / "release" / "portos-lsp")
PORT_KEY = re.compile(r"PORT$", re.IGNORECASE)
EXTENSIONS = (".js", ".cjs", ".mjs", ".json", ".json5", ".yml", ".yaml")
# The codes of PM2's own reading (issue 17), listed file by file.
NEW_CODES = ("instances-port-clash", "shadowed-port", "unknown-option", "invalid-option-value", "pm2-cannot-load")
NEW_ERRORS = ("instances-port-clash", "invalid-option-value", "pm2-cannot-load")


def port_value(v):
    """The port number of an env value, or None when it is not an integer 1-65535 (or its digits)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        n = v
    elif isinstance(v, float) and v.is_integer():
        n = int(v)
    elif isinstance(v, str) and re.fullmatch(r"\d+", v):
        n = int(v)
    else:
        return None
    return n if 1 <= n <= 65535 else None


def extras_for(extras_dir: Path | None, path: Path) -> list[str]:
    """`--extra REL=SRC` arguments for the files under extras_dir/<file name>/."""
    if extras_dir is None:
        return []
    base = extras_dir / path.name
    if not base.is_dir():
        return []
    out = []
    for src in sorted(p for p in base.rglob("*") if p.is_file()):
        rel = src.relative_to(base).as_posix()
        if rel.startswith("~/"):
            rel = "~/" + rel[2:]
        out.append(f"{rel}={src}")
    return out


def run_oracle(path: Path, extras: list[str], pm2: str | None = None) -> dict:
    extra_args = [a for e in extras for a in ("--extra", e)]
    if pm2:
        extra_args += ["--pm2", pm2]
    try:
        r = subprocess.run(
            ["node", str(ORACLE), str(path), *extra_args],
            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return {"loadable": False, "error": "oracle timeout"}
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    if not lines:
        return {"loadable": False, "error": f"oracle printed nothing (exit {r.returncode}): {r.stderr.strip()[-300:]}"}
    return json.loads(lines[-1])


def run_lsp(binary: str, path: Path, extras: list[str]) -> dict:
    """`ports --json` of the file, beside the same repo files the oracle gets (not the `~/` ones): a copy
    in a fresh directory with a `.git` marker, so the workspace is that directory and nothing around it."""
    with tempfile.TemporaryDirectory(prefix="realfiles-lsp-") as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        copy = root / path.name
        shutil.copyfile(path, copy)
        for extra in extras:
            rel, src = extra.split("=", 1)
            if rel.startswith("~/"):
                continue
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
        r = subprocess.run(
            [binary, "ports", "--json", "--no-config", str(copy)],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )
        checked = subprocess.run(
            [binary, "check", "--output-format", "json", "--no-config", str(copy)],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    if not lines:
        return {"error": f"portos-lsp printed nothing (exit {r.returncode}): {r.stderr.strip()[-300:]}"}
    result = json.loads(lines[0])
    try:
        findings = json.loads(checked.stdout or "[]")
    except json.JSONDecodeError:
        findings = []
    result["new_findings"] = [
        {"code": f["code"], "severity": f["severity"], "line": f["start_line"], "message": f["message"]}
        for f in findings
        if f.get("code") in NEW_CODES
    ]
    return result


def node_side(app: dict):
    """(key -> port) and the set of port keys without a numeric value, of the app's `env` block."""
    nums, nonnum = {}, set()
    for k, v in (app.get("env") or {}).items():
        if not PORT_KEY.search(k):
            continue
        n = port_value(v)
        if n is None:
            nonnum.add(k)
        else:
            nums[k] = n
    for k in app.get("env_undefined") or []:
        if PORT_KEY.search(k):
            nonnum.add(k)
    return nums, nonnum


def lsp_side(proc: dict):
    """(key -> set of ports) of the uses of source `env`, and the unresolved `env` keys."""
    pairs: dict[str, set] = {}
    for b in proc.get("bindings") or []:
        for u in b.get("uses") or []:
            source, key = u.get("source"), u.get("key", "")
            # PM2 applies `port` as env.PORT, and starts a `static` entry with env.PM2_SERVE_PORT.
            if source == "port" and u.get("instance") is None:
                key = "PORT"
            elif source == "static":
                key = "PM2_SERVE_PORT"
            elif source != "env":
                continue
            if PORT_KEY.search(key) and u.get("instance") is None:
                pairs.setdefault(key, set()).add(b.get("port"))
    unresolved = {
        u["key"] for u in proc.get("unresolved") or []
        if u.get("source") == "env" and PORT_KEY.search(u.get("key", ""))
    }
    return pairs, unresolved


def compare_process(app: dict, proc: dict) -> list[str]:
    nums, _nonnum = node_side(app)
    pairs, unresolved = lsp_side(proc)
    diffs = []
    for k in sorted(set(nums) | set(pairs)):
        node_v = nums.get(k)
        lsp_v = pairs.get(k, set())
        if node_v is not None and not lsp_v:
            if k in unresolved:
                diffs.append(f"unresolved {k} (node {k}={node_v})")
            else:
                diffs.append(f"missing {k}={node_v}")
        elif node_v is None and lsp_v:
            diffs.append(f"extra {k}={','.join(map(str, sorted(lsp_v, key=str)))}")
        elif lsp_v != {node_v}:
            diffs.append(f"different {k}: node {node_v}, lsp {','.join(map(str, sorted(lsp_v, key=str)))}")
        elif k in unresolved:
            diffs.append(f"unresolved {k} besides {k}={node_v}")
    return diffs


def compare_file(path: Path, binary: str, extras_dir: Path | None = None, pm2: str | None = None) -> dict:
    extras = extras_for(extras_dir, path)
    oracle = run_oracle(path, extras, pm2)
    lsp = run_lsp(binary, path, extras)
    result = {"file": path.name, "loadable": bool(oracle.get("loadable")), "oracle": oracle, "lsp": lsp}
    result["pm2_valid"] = oracle.get("pm2_valid")
    result["new_findings"] = lsp.get("new_findings") or []
    if extras:
        result["extras"] = [e.split("=", 1)[0] for e in extras]
    if not result["loadable"]:
        result["agree"] = None
        result["diff"] = f"not loadable: {oracle.get('error')}"
        return result
    if "error" in lsp:
        result["agree"] = False
        result["diff"] = lsp["error"]
        return result
    apps = oracle.get("apps") or []
    procs = lsp.get("processes") or []
    diffs = []
    cannot_load = any(f["code"] == "pm2-cannot-load" for f in result["new_findings"])
    if cannot_load and not apps:
        # PM2 gets no apps from the file, and portos-lsp says it cannot load them.
        pass
    elif lsp.get("dynamic_apps"):
        if apps:
            diffs.append(f"portos-lsp: dynamic apps; node: {len(apps)} app(s) {[a.get('name') for a in apps]}")
    else:
        node_names = [a.get("name") for a in apps]
        lsp_names = [p.get("name") for p in procs]
        if node_names != lsp_names:
            diffs.append(f"names differ: node {node_names} vs lsp {lsp_names}")
        else:
            for app, proc in zip(apps, procs):
                d = compare_process(app, proc)
                if d:
                    diffs.append(f"{app.get('name')}: " + "; ".join(d))
    if lsp.get("syntax_errors") and diffs:
        diffs.append(f"(portos-lsp: {len(lsp['syntax_errors'])} syntax error(s))")
    result["agree"] = not diffs
    result["diff"] = " | ".join(diffs)
    return result


def main() -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends quietly
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--binary", default=DEFAULT_BINARY)
    ap.add_argument("--extras", type=Path, default=None, help="DIR/<corpus file>/... files copied into its sandbox")
    ap.add_argument("--out", type=Path, default=Path("/tmp/realfiles-result.jsonl"))
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--unloadable", action="store_true", help="also list the files that are not loadable")
    ap.add_argument("--pm2", default=None, help="node_modules with pm2 and js-yaml, for PM2's own loading")
    args = ap.parse_args()

    files = sorted(p for p in args.corpus.iterdir() if p.is_file() and p.name.endswith(EXTENSIONS))
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda p: compare_file(p, args.binary, args.extras, args.pm2), files))

    with args.out.open("w") as out:
        for r in results:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")

    loadable = [r for r in results if r["loadable"]]
    agree = [r for r in loadable if r["agree"]]
    print(f"agree {len(agree)} of {len(loadable)} loadable ({len(results) - len(loadable)} not loadable)")
    for r in loadable:
        if not r["agree"]:
            with_extras = f" [with {', '.join(r['extras'])}]" if r.get("extras") else ""
            print(f"{r['file']}{with_extras}: {r['diff']}")
    if args.unloadable:
        for r in results:
            if not r["loadable"]:
                print(f"{r['file']}: {r['diff']}")
    # PM2's own reading: every finding of its codes, per file, with what PM2 makes of the file.
    flagged = [r for r in results if r["new_findings"]]
    print(f"PM2's codes: {sum(len(r['new_findings']) for r in flagged)} finding(s) in {len(flagged)} file(s)")
    for r in flagged:
        has_apps = bool(r["oracle"].get("apps"))
        runs = r["loadable"] and has_apps and r.get("pm2_valid") is not False
        if runs:
            state = "PM2 loads it and accepts its apps"
        elif not r["loadable"]:
            state = "PM2 cannot load it: " + str(r["oracle"].get("error"))
        elif not has_apps:
            state = "PM2 loads it and finds no apps in it"
        else:
            state = "PM2 refuses its apps: " + str(r["oracle"].get("pm2_error"))
        print(f"{r['file']}: {state}")
        for f in r["new_findings"]:
            mark = "!" if runs and f["code"] in NEW_ERRORS and f["code"] != "instances-port-clash" else " "
            print(f"  {mark} {f['code']} ({f['severity']}) line {f['line']}: {f['message']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
