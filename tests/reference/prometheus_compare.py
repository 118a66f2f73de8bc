#!/usr/bin/env python3
"""Reference comparison of Sightline's PromQL evaluator test tables with a real Prometheus.

Not a test (it always exits 0; 2 only if the setup fails). It writes the fixed dataset of
``promql/src/engine/tests/data.rs`` as OpenMetrics text, backfills it with ``promtool tsdb
create-blocks-from openmetrics`` into a temp dir, serves it with ``prometheus`` on a free
127.0.0.1 port (stopped at the end, even on error), runs every query of the tables in
``promql/src/engine/tests/`` (``CASES`` in ``cases.rs``; the ``range(...)`` and instant
``parse(...)`` checks of ``limits.rs``) through ``/api/v1/query`` / ``query_range``, renders
the answers like ``tests/mod.rs::render`` and prints OK / DIFF / ERROR / SKIPPED per case
and a summary. Needs Python 3.11 (stdlib only) and Debian's ``prometheus`` package (2.42;
``apt-get install -y prometheus`` brings ``prometheus`` and ``promtool``). Run::

    python3 tests/reference/prometheus_compare.py

Expect DIFFs: Prometheus 2.x range selectors, subqueries and the lookback window are closed
``[t - range, t]``; Prometheus 3, which Sightline follows on purpose, made them left-open
``(t - range, t]``. Delta-temporality series (``otel_calls``) and staleness markers
(``stale_metric``'s) have no OpenMetrics form: cases using them are SKIPPED.
"""

import contextlib
import json
import math
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from pathlib import Path

TESTS = Path(__file__).resolve().parents[2] / "promql/src/engine/tests"
UNREPRESENTABLE = ("otel_calls", "stale_metric")
# limits.rs tests about Sightline-only knobs (limits, call counts, failing sources).
NOT_APPLICABLE = {"max_series", "max_samples", "deadline", "calls", "Failing"}


# ---------------------------------------------------------------- dataset (data.rs)
def dataset() -> list[tuple[str, dict, list[tuple[int, float]]]]:
    """data.rs's dataset(): (name, labels, [(t seconds, value)]), minus what can't be stored."""
    out = []
    out.append(("http_requests_total", {"job": "api", "instance": "a"},
                [(15 * i, 100.0 + 10.0 * i) for i in range(21)]))
    out.append(("http_requests_total", {"job": "api", "instance": "b"},
                [(15 * i, 5.0 * (i if i < 10 else i - 10)) for i in range(21)]))
    times = [0, 60, 120, 180, 240, 300]
    for room, vals in (("x", [10, 20, 15, 30, 25, 5]), ("y", [1, 2, 3, 4, 5, 6])):
        out.append(("temperature", {"room": room}, list(zip(times, map(float, vals)))))
    for job, buckets in (("api", [("0.1", 10), ("0.5", 30), ("1", 40), ("+Inf", 50)]),
                         ("web", [("1", 10), ("2", 8), ("4", 30), ("+Inf", 40)])):
        for le, v in buckets:
            out.append(("req_duration_bucket", {"job": job, "le": le}, [(300, float(v))]))
    # otel_calls{svc="d"} (delta temporality) is skipped: Prometheus has no delta series.
    # stale_metric: 1 at 0, 2 at 60; its staleness marker at 120 can't be backfilled.
    out.append(("stale_metric", {"k": "v"}, [(0, 1.0), (60, 2.0)]))
    for inst, os_ in (("a", "linux"), ("b", "mac")):
        out.append(("machine_info", {"instance": inst, "os": os_}, [(240, 1.0), (300, 1.0)]))
    for inst, mode, v in (("a", "user", 3.0), ("a", "sys", 1.0), ("b", "user", 5.0)):
        out.append(("cpu", {"instance": inst, "mode": mode}, [(240, v), (300, v)]))
    for p, v in (("1", 5.0), ("2", 7.0), ("3", 7.0), ("4", 1.0)):
        out.append(("score", {"p": p}, [(300, v)]))
    return out


def openmetrics() -> str:
    """The dataset as OpenMetrics text (untyped samples, timestamps in seconds)."""
    lines = []
    for name, labels, points in dataset():
        ls = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        lines += [f"{name}{{{ls}}} {v!r} {t}" for t, v in points]
    return "\n".join(lines + ["# EOF", ""])


# ---------------------------------------------------------------- Rust source parsing
TOKEN = re.compile(r"""
    (?P<ws>\s+|//[^\n]*|/\*.*?\*/)
  | (?P<raw>r(?P<h>\#*)"(?P<rawbody>.*?)"(?P=h))
  | (?P<str>"(?P<body>(?:\\.|[^"\\])*)")
  | (?P<char>'(?:\\.|[^'\\])')
  | (?P<num>\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?(?:_?[fiu]\d+)?)
  | (?P<id>[A-Za-z_]\w*)
  | (?P<punct>.)""", re.S | re.X)  # raw strings: r#"..."#, any number of #
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}


def unescape(body: str) -> str:
    """A normal Rust string literal's value: escapes and `\\` line continuations."""
    body = re.sub(r"\\\n\s*", "", body)
    body = re.sub(r"\\u\{([0-9a-fA-F]+)\}", lambda m: chr(int(m[1], 16)), body)
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m[1], m[1]), body)


def tokens(src: str) -> list[tuple[str, object]]:
    """(kind, value) tokens: kinds str, num, id, punct; whitespace and comments dropped."""
    out = []
    for m in TOKEN.finditer(src):
        kind = m.lastgroup  # the outermost group of the alternative that matched
        if kind == "raw":
            out.append(("str", m["rawbody"]))
        elif kind == "str":
            out.append(("str", unescape(m["body"])))
        elif kind == "num":
            out.append(("num", float(re.sub(r"_|_?[fiu]\d+$", "", m["num"]))))
        elif kind in ("id", "punct"):
            out.append((kind, m[kind]))
    return out


def match(toks, i, pattern):
    """Matches `pattern` (token kinds 'str'/'num' or literal texts) at i: captured values or None."""
    caps = []
    for j, want in enumerate(pattern):
        if i + j >= len(toks):
            return None
        kind, val = toks[i + j]
        if want in ("str", "num"):
            if kind != want:
                return None
            caps.append(val)
        elif val != want:
            return None
    return caps


def has(toks, i, *pattern) -> bool:
    return match(toks, i, list(pattern)) is not None


def cases_table(toks) -> list[dict]:
    """`CASES: &[(query, t, expected)]` tuples of cases.rs as instant cases."""
    start = next(i for i, t in enumerate(toks) if t == ("id", "CASES"))
    out = []
    for i in range(start, len(toks)):
        if toks[i] == ("punct", ";"):
            break
        caps = match(toks, i, ["(", "str", ",", "num", ",", "str"])
        if caps:
            out.append({"src": "cases.rs", "query": caps[0], "time": caps[1], "want": caps[2]})
    return out


def limits_checks(toks) -> tuple[list[dict], list[str]]:
    """limits.rs: `range(q, start, end, step)` calls and instant `parse(q)` evaluations."""
    fns, cur = {}, None  # #[test] fn name -> its body tokens
    for i, t in enumerate(toks):
        if t == ("id", "fn") and toks[i - 1] == ("punct", "]"):  # `#[test] fn name`
            cur = toks[i + 1][1]
            fns[cur] = []
        elif cur:
            fns[cur].append(t)
    out, not_applicable = [], []
    for name, body in fns.items():
        if any(v in NOT_APPLICABLE for _, v in body):
            not_applicable.append(name)
            continue
        for i in range(len(body)):
            pat = ["range", "(", "str", ",", "num", ",", "num", ",", "num"]
            if (c := match(body, i, pat + [")"])) or (c := match(body, i, pat + [",", ")"])):
                n = len(pat) + 1 + has(body, i + len(pat), ",")  # maybe a trailing comma
                case, rest = {"query": c[0], "range": tuple(c[1:])}, body[i + n:]
            elif c := match(body, i, ["parse", "(", "str", ")"]):
                rest = body[i + 4:]
                at = next((k for k in range(len(rest))
                           if has(rest, k, "instant", "(", "num", ")")), None)
                if has(rest, 0, ".", "is_err") or has(rest, 0, ".", "is_ok"):
                    case = {"query": c[0], "time": 0.0}  # a parse-only check
                elif at is not None:  # evaluated with QueryParams::instant(ms)
                    case, rest = {"query": c[0], "time": rest[at + 2][1] / 1000}, rest[at + 4:]
                else:
                    continue
            else:
                continue
            # What the result must be: any success, any error, or the next string literal
            # (an error message if `Err(`/`unwrap_err` comes before it).
            if has(rest, 0, ".", "is_ok"):
                want = "<any success>"
            elif has(rest, 0, ".", "is_err") or has(rest, 0, ",", "Err"):
                want = "ERR "
            elif (k := next((k for k, t in enumerate(rest) if t[0] == "str"), None)) is None:
                continue  # nothing to compare with
            else:
                err = any(v in ("Err", "unwrap_err") for _, v in rest[:k])
                want = ("ERR " if err else "") + rest[k][1]
            out.append({"src": f"limits.rs::{name}", "want": want, **case})
    return out, not_applicable


# ---------------------------------------------------------------- rendering (mod.rs::render)
def num(v: float) -> str:
    """Rust's `format!("{}", (v * 1e6).round() / 1e6)`, with -0 shown as 0."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    x = v * 1e6
    r = math.trunc(x)
    if abs(x - r) >= 0.5:  # Rust rounds half away from zero
        r += 1 if x > 0 else -1
    r = r / 1e6
    if r == 0:
        return "0"
    s = repr(r)
    if "e" in s:
        s = format(Decimal(s), "f")
    return s[:-2] if s.endswith(".0") else s


def labels(metric: dict) -> str:
    rest = ",".join(f'{k}="{v}"' for k, v in sorted(metric.items()) if k != "__name__")
    return f"{metric.get('__name__', '')}{{{rest}}}"


def render(data: dict) -> str:
    kind, res = data["resultType"], data["result"]
    if kind == "scalar":
        return f"scalar {num(float(res[1]))}"
    if kind == "string":
        return f"string {res[1]}"
    if kind == "vector":
        return " | ".join(f"{labels(s['metric'])} {num(float(s['value'][1]))}" for s in res)
    return " | ".join(  # matrix: t in whole seconds, truncated like Rust's `t / 1000`
        labels(s["metric"]) + " [" + " ".join(
            f"{int(round(float(t) * 1000) / 1000)}:{num(float(v))}" for t, v in s["values"]) + "]"
        for s in res)


ORDERED = re.compile(r"^\s*(sort|sort_desc|topk|bottomk)\s*\(")


def same(query: str, want: str, got: str) -> bool:
    """Compares like the Rust tests; series order only counts for sort/topk-like queries."""
    if want == "<any success>":
        return not got.startswith("ERR")
    if want.startswith("ERR "):
        return got.startswith("ERR") and want[4:] in got
    w, g = want.split(" | "), got.split(" | ")
    if ORDERED.match(query):  # values in order; ties may come in any order
        return [x.rsplit(" ", 1)[-1] for x in w] == [x.rsplit(" ", 1)[-1] for x in g] \
            and sorted(w) == sorted(g)
    return sorted(w) == sorted(g)


# ---------------------------------------------------------------- Prometheus
@contextlib.contextmanager
def prometheus(tmp: Path):
    """Backfills the dataset into tmp/data and serves it; yields the base URL."""
    (tmp / "data.om").write_text(openmetrics())
    r = subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics",
                        str(tmp / "data.om"), str(tmp / "data")], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"promtool failed:\n{r.stdout}{r.stderr}")
    (tmp / "prometheus.yml").write_text("scrape_configs: []\n")
    with socket.socket() as s:  # a free port
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url, log = f"http://127.0.0.1:{port}", tmp / "prometheus.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(["prometheus", f"--config.file={tmp / 'prometheus.yml'}",
                                 f"--storage.tsdb.path={tmp / 'data'}",
                                 "--storage.tsdb.retention.time=100y",  # data is from 1970
                                 f"--web.listen-address=127.0.0.1:{port}"],
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):  # wait up to ~60 s for /-/ready
            if proc.poll() is not None:
                raise RuntimeError("prometheus exited:\n" + log.read_text())
            try:
                with urllib.request.urlopen(url + "/-/ready", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("prometheus did not become ready:\n" + log.read_text())
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def query(url: str, case: dict) -> str:
    """Runs one case; returns the rendering, or 'ERR <message>'."""
    if "range" in case:
        start, end, step = case["range"]
        path = "/api/v1/query_range?" + urllib.parse.urlencode(
            {"query": case["query"], "start": start, "end": end, "step": step})
    else:
        path = "/api/v1/query?" + urllib.parse.urlencode(
            {"query": case["query"], "time": repr(case["time"])})
    try:
        with urllib.request.urlopen(url + path, timeout=30) as resp:
            body = json.load(resp)
    except urllib.error.HTTPError as e:  # 4xx/5xx carry a JSON error body
        body = json.load(e)
    if body.get("status") != "success":
        return f"ERR {body.get('errorType')}: {body.get('error')}"
    return render(body["data"])


def check(url: str, c: dict) -> tuple[str, str]:
    """One case's (status, details)."""
    if any(n in c["query"] for n in UNREPRESENTABLE):
        return "SKIPPED", ": not representable"
    try:
        got = query(url, c)
    except (OSError, ValueError, KeyError) as e:
        return "ERROR", f": {e!r}"
    if same(c["query"], c["want"], got):
        return "OK", ""
    if not ORDERED.match(c["query"]):  # show in the table's (sorted) order
        got = " | ".join(sorted(got.split(" | ")))
    return "DIFF", f"\n    expected:   {c['want']}\n    prometheus: {got}"


def main() -> int:
    cases = cases_table(tokens((TESTS / "cases.rs").read_text()))
    extra, not_applicable = limits_checks(tokens((TESTS / "limits.rs").read_text()))
    cases += extra
    counts = dict.fromkeys(["OK", "DIFF", "ERROR", "SKIPPED"], 0)
    with tempfile.TemporaryDirectory(prefix="promcmp-") as d:
        try:
            with prometheus(Path(d)) as url:
                for c in cases:
                    at = ("[{:g}..{:g} step {:g}]".format(*c["range"])
                          if "range" in c else f"@ {c['time']:g}")
                    status, details = check(url, c)
                    counts[status] += 1
                    print(f"{status:<7} {c['query']}  {at}  ({c['src']}){details}")
        except (RuntimeError, OSError) as e:
            print(f"setup failed: {e}", file=sys.stderr)
            return 2
    print("not applicable (Sightline-only limits/hooks): " + ", ".join(sorted(not_applicable)))
    print(", ".join(f"{n} {k}" for k, n in counts.items()) + f" of {len(cases)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
