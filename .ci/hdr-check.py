"""Independent check of a run's .hlog and .hgrm files (not wired into CI).

Usage: pip install hdrhistogram; python3 .ci/hdr-check.py results/<scenario>/<design>/seed-<N>

Reader: the Python HdrHistogram port (PyPI `hdrhistogram`, module `hdrh`),
which shares no code with the Rust crate. For each of latency / staleness:
1. read NAME.hlog with hdrh's HistogramLogReader (base64 + zlib + V2 decoding);
2. compare with summary.json: the same count; the exact nearest-rank p50, p99
   and max inside the decoded bucket at that rank; the mean within 0.1 %;
3. write the decoded histogram's percentile distribution by the algorithm of
   HdrHistogram Java's outputPercentileDistribution (PercentileIterator with 5
   ticks per half distance, Java's %12.3f / %2.12f / %10d / %14.2f columns and
   its #[Mean/#[Max/#[Buckets footers), re-implemented here from the Java source,
   and compare it with NAME.hgrm byte for byte, except the 12th decimal of a
   Percentile that is a binary tie (Java sums levels in percent, the Rust
   crate in quantiles, so a tie may round either way).
(hdrh's own output_percentile_distribution is not used for step 3: its
percentile iterator drops Java's integer truncation of log2, so its tick levels
differ from Java's, and its footer prints StdDeviation unscaled.)
"""
import json, math, sys
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader


def java_percentile_distribution(h, ratio=1000.0, ticks=5):
    sig = h.significant_figures
    out = ["%12s %14s %10s %14s\n\n" % ("Value", "Percentile", "TotalCount", "1/(1-Percentile)")]
    total = h.get_total_count()
    n = h.counts_len
    state = dict(idx=0, cum=0, fresh=True, level=0.0, last=False)

    def step():
        s = state
        while s["idx"] < n:
            count = h.get_count_at_index(s["idx"])
            if s["fresh"]:
                s["cum"] += count
                s["fresh"] = False
            if count != 0 and (100.0 * s["cum"]) / total >= s["level"]:
                value = h.get_highest_equivalent_value(h.get_value_from_index(s["idx"]))
                result = (value, s["level"], s["cum"])
                if s["level"] < 100.0:
                    halvings = int(math.log(100.0 / (100.0 - s["level"])) / math.log(2))
                    s["level"] += 100.0 / (ticks * 2 ** (halvings + 1))
                return result
            s["idx"] += 1
            s["fresh"] = True
        raise IndexError("ran off the counts array")

    while total > 0:
        if state["cum"] < total:
            pass
        elif not state["last"]:
            state["level"] = 100.0
            state["last"] = True
        else:
            break
        value, level, cum = step()
        if level != 100.0:
            out.append(("%12." + str(sig) + "f %2.12f %10d %14.2f\n") % (value / ratio, level / 100.0, cum, 1 / (1.0 - level / 100.0)))
        else:
            out.append(("%12." + str(sig) + "f %2.12f %10d\n") % (value / ratio, level / 100.0, cum))
    # Java: mean over median-equivalent values; StdDeviation likewise; max = highest equivalent of the max.
    mean = 0.0
    dev = 0.0
    if total:
        def median_equivalent(v):
            low = h.get_lowest_equivalent_value(v)
            return low + (h.get_highest_equivalent_value(v) + 1 - low) // 2
        pairs = [(median_equivalent(h.get_value_from_index(i)), h.get_count_at_index(i)) for i in range(n) if h.get_count_at_index(i)]
        mean = sum(v * c for v, c in pairs) / total
        dev = math.sqrt(sum((v - mean) ** 2 * c for v, c in pairs) / total)
    out.append(("#[Mean    = %12." + str(sig) + "f, StdDeviation   = %12." + str(sig) + "f]\n") % (mean / ratio, dev / ratio))
    out.append(("#[Max     = %12." + str(sig) + "f, Total count    = %12d]\n") % (h.get_max_value() / ratio, total))
    out.append("#[Buckets = %12d, SubBuckets     = %12d]\n" % (h.bucket_count, h.sub_bucket_count))
    return "".join(out)


run = sys.argv[1]
summary = json.load(open(f"{run}/summary.json"))
ok = True
for name, metric in (("latency", "propagation"), ("staleness", "fresh_read_staleness")):
    reader = HistogramLogReader(f"{run}/{name}.hlog", HdrHistogram(1, 3_600_000_000, 3))
    h = reader.get_next_interval_histogram()
    assert h is not None and reader.get_next_interval_histogram() is None, "exactly one interval"
    m = summary["metrics"][metric]
    # summary.json's percentiles are exact nearest-rank values (rank ceil(p * n));
    # the decoded histogram must hold that rank in a bucket that contains the exact value.
    def bucket_at_rank(p):
        rank = max(1, math.ceil(p * h.get_total_count()))
        cumulative = 0
        for i in range(h.counts_len):
            cumulative += h.get_count_at_index(i)
            if cumulative >= rank:
                v = h.get_value_from_index(i)
                return h.get_lowest_equivalent_value(v), h.get_highest_equivalent_value(v)
        raise ValueError("rank beyond the count")
    figures = {}
    for label, p, key in (("p50", 0.50, "p50_ms"), ("p99", 0.99, "p99_ms"), ("max", 1.0, "max_ms")):
        low, high = bucket_at_rank(p) if h.get_total_count() else (0, 0)
        exact_us = round(m[key] * 1000)
        figures[label] = (low / 1000, high / 1000, m[key], low <= exact_us <= high)
    mean_ok = abs(h.get_mean_value() / 1000 - m["mean_ms"]) <= max(m["mean_ms"] * 0.001, 0.001)
    good = h.get_total_count() == m["count"] and mean_ok and all(f[3] for f in figures.values())
    expected = java_percentile_distribution(h)
    actual = open(f"{run}/{name}.hgrm").read()
    same = expected == actual
    # The only tolerated difference: the 12th decimal of the Percentile column
    # where the level is a binary tie (Java sums levels in percent, the Rust
    # crate in quantiles; both print 12 decimals).
    def columns(line):
        cells = line.split()
        if len(cells) >= 3 and not line.startswith("#") and cells[0] != "Value":
            return [cells[0], round(float(cells[1]), 11)] + cells[2:]
        return [line]
    exp_lines, act_lines = expected.splitlines(), actual.splitlines()
    close = len(exp_lines) == len(act_lines) and all(columns(a) == columns(b) for a, b in zip(exp_lines, act_lines))
    ties = sum(a != b for a, b in zip(exp_lines, act_lines))
    print(f"{name}.hlog: {h.get_total_count()} values (summary {m['count']}); "
          + ", ".join(f"{k} in [{lo:.3f}, {hi:.3f}] ms (summary {ex:.3f})" for k, (lo, hi, ex, _) in figures.items())
          + f", mean {h.get_mean_value() / 1000:.3f} ms (summary {m['mean_ms']:.3f}); {'agrees' if good else 'DISAGREES'}")
    verdict = "byte-identical to" if same else (f"identical but for {ties} percentile 12th-decimal tie roundings to" if close else "DIFFERS from")
    print(f"{name}.hgrm: {len(act_lines)} lines, {verdict} the Java-algorithm rendering of the decoded .hlog")
    if not close:
        for a, b in zip(expected.splitlines(), actual.splitlines()):
            if a != b:
                print("  expected:", a)
                print("  actual:  ", b)
    ok &= good and close
print("OK" if ok else "MISMATCH")
sys.exit(0 if ok else 1)
