#!/usr/bin/python3
"""ci/bench_table.py -- the table of ci/bench: each server's figures (wsharness bench --json) and wsmock's ratios.

  ci/bench_table.py DIR SERVER...   (reads DIR/SERVER.json; the first server is the one compared)
"""
import json
import sys

# (label, unit, how to read it from a result, True when more is better, the target or None)
ROWS = [
    ("ready (start to first WebSocket)", "ms", lambda r: r["ready"]["ms"], False, ("<", 20)),
    ("idle connections held", "", lambda r: r["idle"]["held"], True, (">=", 10000)),
    ("memory per idle connection", "KB", lambda r: r["idle"]["kb_per_conn"], False, ("<", 8)),
    ("handshakes", "/s", lambda r: r["handshakes"]["per_second"], True, None),
    ("fan-out to one room", "frames/s", lambda r: r["fanout"]["per_second"], True, (">=", 300000)),
    ("ping RTT p50", "ms", lambda r: r["rtt"]["p50_ms"], False, None),
    ("ping RTT p99", "ms", lambda r: r["rtt"]["p99_ms"], False, ("<", 2)),
    ("ping RTT max", "ms", lambda r: r["rtt"]["max_ms"], False, None),
    ("soak: dropped connections", "", lambda r: r["soak"]["drops"], False, ("<=", 0)),
]


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        return {"_error": str(e)}


def value(result, get):
    try:
        return float(get(result))
    except (KeyError, TypeError, ValueError):
        return None


def fmt(v, unit):
    if v is None:
        return "-"
    text = f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}" if abs(v) < 1 else f"{v:.1f}"
    return f"{text} {unit}".strip()


def meets(v, target):
    if v is None or target is None:
        return ""
    op, t = target
    ok = {"<": v < t, "<=": v <= t, ">=": v >= t}[op]
    return ("met" if ok else "NOT met") + f" ({op} {t:g})"


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    where, servers = sys.argv[1], sys.argv[2:]
    results = {s: load(f"{where}/{s}.json") for s in servers}
    base = servers[0]
    head = ["", *servers] + [f"{base} vs {s}" for s in servers[1:]] + ["target"]
    lines = []
    for label, unit, get, more_better, target in ROWS:
        vals = {s: value(results[s], get) for s in servers}
        if all(v is None for v in vals.values()):
            continue
        row = [label] + [fmt(vals[s], unit) for s in servers]
        for s in servers[1:]:
            a, b = vals[base], vals[s]
            if a is None or b is None or (a if not more_better else b) == 0:
                row.append("-")
            else:
                better = a / b if more_better else b / a  # > 1: wsmock is better
                row.append(f"{better:.1f}x better" if better >= 1 else f"{1 / better:.1f}x worse")
        row.append(meets(vals[base], target))
        lines.append(row)
    widths = [max(len(str(r[i])) for r in [head] + lines) for i in range(len(head))]
    for r in [head] + lines:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    failed = [s for s in servers if any(isinstance(v, dict) and v.get("ok") is False
                                        for v in results[s].values()) or "_error" in results[s]]
    for s in failed:
        bad = [k for k, v in results[s].items() if isinstance(v, dict) and v.get("ok") is False]
        print(f"note: {s}: " + (f"no result ({results[s]['_error']})" if "_error" in results[s]
                                else "failed loads: " + ", ".join(bad) + f" (see {where}/{s}.log)"))
    mock = results.get("mockoon", {}).get("fanout", {})
    if mock and not mock.get("triggered", True):
        print("note: mockoon streams its fan-out on a 10 ms timer (no on-demand broadcast): counted "
              "over a window, so its ceiling is room x 100 frames/s")


if __name__ == "__main__":
    main()
