"""Render a bench/results/*.json into docs/BENCHMARKS.md (between its results markers) and a chart.

python bench/report.py bench/results/<time>.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "BENCHMARKS.md"
CHART = ROOT / "docs" / "benchmarks.png"
START, END = "<!-- results:start -->", "<!-- results:end -->"

# The reference figures for the original servers (same machine class, wrk -t2 -c32 -d30s).
ORIGINAL = {
    ("legacy", "myfiles?cmd=normal"): "1,000 (C)",
    ("api", "myfiles?cmd=normal"): "2,300 (C++)",
    ("legacy", "sharefiles?cmd=count"): "1,740 (C)",
    ("api", "sharefiles?cmd=count"): "5,970 (C++)",
    ("legacy", "login (argon2id)"): "1,130 (C, no hashing)",
    ("api", "login (argon2id)"): "1,890 (C++, no hashing)",
}
TARGETS = {"json": 0.6, "counts": 0.8, "floor": 1.25, "upload": 0.5, "rss_mib": 64, "download": 0.9, "flood_p99": 2.0}


def is_count(row: dict[str, Any]) -> bool:
    return "cmd=count" in row["endpoint"]


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def tables(results: dict[str, Any], source: str) -> str:
    label = f": {results['label']}" if results["label"] else ""
    lines = [
        f"Run of {results['when']} ({results['seconds']} s in all){label}.",
        f"Source: `{source}`. Machine: {results['machine']['cpus']} cores, Python {results['machine']['python']}, "
        f"{results['machine']['nginx']}, {results['machine']['mariadb']}, {results['machine']['redis']}.",
        f"Load: `wrk {results['settings']['wrk']}` through nginx; gunicorn {results['settings']['gunicorn']}; "
        f"blob store: {results['settings']['blob_store']}.",
        "",
    ]
    if "json" in results:
        lines += [
            "### JSON endpoints",
            "",
            "| endpoint | dialect | req/s | p50 ms | p99 ms | ceiling req/s | × ceiling | original server |",
            "|---|---|---:|---:|---:|---:|---:|---|",
        ]
        worst = worst_count = None
        for row in results["json"]:
            original = ORIGINAL.get((row["dialect"], row["endpoint"]), "")
            p50 = "" if row["p50_ms"] is None else row["p50_ms"]
            p99 = "" if row["p99_ms"] is None else row["p99_ms"]
            lines.append(
                f"| {row['endpoint']} | {row['dialect']} | {row['rps']:,.0f} | {p50} | {p99} "
                f"| {row.get('ceiling_rps', 0):,.0f} | {row['ratio']:.2f} | {original} |"
            )
            if row["dialect"] != "-" and not row["login"]:
                worst = row["ratio"] if worst is None else min(worst, row["ratio"])
                if is_count(row):
                    worst_count = row["ratio"] if worst_count is None else min(worst_count, row["ratio"])
        lines += [
            "",
            "Each endpoint ran right after its own ceiling run (`/healthz`, same settings); its ratio is to that run.",
            "",
            f"Targets: every JSON endpoint but login at ≥ {TARGETS['json']} × its ceiling run: lowest is "
            f"{worst:.2f}, {verdict(worst is not None and worst >= TARGETS['json'])}; the counts at ≥ "
            f"{TARGETS['counts']} ×: lowest is {worst_count or 0:.2f}, "
            f"{verdict(worst_count is not None and worst_count >= TARGETS['counts'])}. Login spends argon2id on "
            "purpose and is reported apart.",
            "",
        ]
    if "upload" in results:
        lines += [
            "### Uploads through nginx → app → store",
            "",
            "| body | uploads | median s | MB/s | floor s (spool + md5) | × floor | disk MB/s (`dd conv=fsync`) "
            "| × disk | worker RSS growth |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in results["upload"]:
            rss = ""
            if "worker_rss_growth_mib" in row:
                rss = f"+{row['worker_rss_growth_mib']} MiB (peak {row.get('worker_rss_peak_mib', '?')} MiB)"
            floor = (
                f"{row['floor_s']} ({row['floor_spool_s']} + {row['floor_md5_s']}) | {row['x_floor']:.2f}"
                if "floor_s" in row
                else " | "
            )
            lines.append(
                f"| {row['size_mib']} MiB | {row['uploads']} | {row['median_s']} | {row['mb_s']:,.0f} | {floor} "
                f"| {row['disk_mb_s']:,.0f} | {row['ratio']:.2f} | {rss} |"
            )
        big = [r for r in results["upload"] if r["size_mib"] >= 30]
        rss = [r["worker_rss_growth_mib"] for r in results["upload"] if "worker_rss_growth_mib" in r]
        lines += [
            "",
            "The floor is measured in the same run: the same nginx taking the same body into its spool "
            "with nothing behind it, plus MD5 over the body (the check the app must make); the store's "
            "write, its fsync and the database can overlap with those.",
            "",
            f"Targets: 30 MiB and 1 GiB within {TARGETS['floor']} × their floor: "
            + ", ".join(
                f"{r['size_mib']} MiB {r['x_floor']:.2f} {verdict(r['x_floor'] <= TARGETS['floor'])}"
                for r in big
                if "x_floor" in r
            )
            + (
                f"; worker RSS growth < {TARGETS['rss_mib']} MiB: {rss[0]} MiB, {verdict(rss[0] < TARGETS['rss_mib'])}"
                if rss
                else ""
            )
            + ".",
            "",
        ]
    if "flood" in results:
        f = results["flood"]
        kind = "malformed logins, refused before hashing (control)" if f["flood"].get("control") else "correct logins"
        lines += [
            f"### A cheap endpoint beside a login flood ({f['flood']['rate']:g}/s of {kind})",
            "",
            f"| {f['endpoint']}, `{f['probe']}` | p50 ms | p99 ms |",
            "|---|---:|---:|",
            f"| alone | {f['quiet']['p50_ms']} | {f['quiet']['p99_ms']} |",
            f"| beside the flood | {f['under_flood']['p50_ms']} | {f['under_flood']['p99_ms']} |",
            "",
            f"The flood got {f['flood']['ok']} logins and {f['flood']['refused']} fast refusals "
            f"({f['flood']['errors']} errors). Target: p99 within {TARGETS['flood_p99']:g} × alone: "
            f"× {f['p99_ratio']}, {verdict(f['p99_ratio'] <= TARGETS['flood_p99'])}.",
            "",
        ]
    if "download" in results:
        d = results["download"]
        lines += [
            f"### Download of a {d['size_mib']} MiB file (median of {d['runs']})",
            "",
            "| served by | MB/s |",
            "|---|---:|",
            f"| nginx, from the store (`/group1/M00/…`, D8 headers) | {d['nginx_store_mb_s']:,.0f} |",
            f"| nginx, a plain static file (the ceiling) | {d['nginx_static_mb_s']:,.0f} |",
            f"| the embedded server (`tuchuang serve`) | {d['embedded_mb_s']:,.0f} |",
            "",
            f"Target: ≥ {TARGETS['download']} × that ceiling: {d['ratio']:.2f}, "
            f"{verdict(d['ratio'] >= TARGETS['download'])}.",
            "",
        ]
    lines.append("![each JSON endpoint's ratio to its own ceiling run](benchmarks.png)")
    return "\n".join(lines)


def chart(results: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in results.get("json", []) if not r["login"] and r["dialect"] != "-"]
    if not rows:
        return
    labels = [f"{r['endpoint']} ({r['dialect']})" for r in rows]
    ratios = [r["ratio"] for r in rows]  # each endpoint against its own ceiling run, as in the table
    fig, ax = plt.subplots(figsize=(9, 0.38 * len(rows) + 1.2))
    colors = ["#3b7dd8" if r["dialect"] == "legacy" else "#e08a2c" for r in rows]
    ax.barh(range(len(rows)), ratios, color=colors)
    ax.axvline(TARGETS["json"], color="#c0392b", linestyle="--", linewidth=1, label=f"{TARGETS['json']} (target)")
    ax.axvline(TARGETS["counts"], color="#7d3c98", linestyle=":", linewidth=1, label=f"{TARGETS['counts']} (counts)")
    ax.set_xlim(0, 1.05)
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("× its own /healthz ceiling run (wrk through nginx)")
    ax.set_title(f"tuchuang, {results['when'][:10]}: blue legacy, orange /api")
    for i, r in enumerate(rows):
        ax.text(r["ratio"], i, f" {r['ratio']:.2f} ({r['rps']:,.0f}/s)", va="center", fontsize=7)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    CHART.parent.mkdir(exist_ok=True)
    fig.savefig(CHART, dpi=110)
    plt.close(fig)


def render(path: Path) -> None:
    results = json.loads(Path(path).read_text())
    block = tables(results, Path(path).resolve().relative_to(ROOT).as_posix())
    text = DOC.read_text() if DOC.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    DOC.write_text(f"{head}{START}\n{block}\n{END}{tail}")
    chart(results)
    print(f"wrote {DOC.relative_to(ROOT)} and {CHART.relative_to(ROOT)}")


if __name__ == "__main__":
    render(Path(sys.argv[1]))
