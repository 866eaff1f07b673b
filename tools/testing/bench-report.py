#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# bench-report.py RESULTS OUTDIR KVER: turns the guest's lines of one
# "make bench" boot (BENCH, FIO, SWAP: see rig/bench-swap.sh and
# rig/bench-krdma.sh) into OUTDIR/bench.md (tables: medians, min-max over
# the rounds, ratios to rackswap, the issue's targets), OUTDIR/bench.json
# (every figure, each round's too) and, with gnuplot, OUTDIR/bench.png.
# Issue 35's rows: "integrity" (rackswap as it ships against its
# integrity_off lever), "encrypt" (its encrypt lever against rackswap as it
# ships; "skipped" when the build has no encryption) and "connect"
# (connect times with no key and with a key on both sides).
# Figures under QEMU TCG mean something only as ratios within one boot.
"""Tabulates one make bench boot."""

import datetime
import json
import os
import statistics
import subprocess
import sys

DEVS = ["brd", "zram", "nvmeof", "rnbd", "rackswap"]
SWAP_WLS = ["seq", "rand", "sort"]


def parse(path):
    """The BENCH key/values, fio results and swap runs of a results file."""
    bench, fio, swap = {}, {}, {}
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line.startswith("BENCH "):
                parts = line.split(" ", 2)
                bench[parts[1]] = parts[2] if len(parts) > 2 else ""
            elif line.startswith("FIO "):
                parts = line.split(" ", 4)
                if len(parts) < 5:
                    continue
                try:
                    job = json.loads(parts[4])["jobs"][0]
                except (ValueError, KeyError, IndexError):
                    continue
                fio.setdefault((parts[1], parts[2]), []).append(job)
            elif line.startswith("SWAP "):
                p = line.split()
                if len(p) != 9:
                    continue
                swap.setdefault((p[1], p[2]), []).append({
                    "round": int(p[3]), "ms": int(p[4]),
                    "pswpout": int(p[5]), "pswpin": int(p[6]),
                    "sys_ms": int(p[7]), "verified": p[8] == "ok"})
    return bench, fio, swap


def pct(side, p):
    """A latency percentile of one fio direction, in us: submission plus
    completion (lat_ns) when fio gave it, else completion only."""
    for k in ("lat_ns", "clat_ns"):
        v = side.get(k, {}).get("percentile", {}).get(p)
        if v is not None:
            return v / 1000.0
    return None


def fio_metrics(job, wl):
    """The figures that matter for one fio workload."""
    r, w = job["read"], job["write"]
    if job.get("error"):
        return {"error": job["error"]}
    if wl == "seqwrite_128k":
        return {"MBps": w["bw"] / 1024.0}
    if wl == "seqread_128k":
        return {"MBps": r["bw"] / 1024.0}
    if wl == "randread_4k_qd1":
        return {"p50_us": pct(r, "50.000000"), "p99_us": pct(r, "99.000000"),
                "p99.9_us": pct(r, "99.900000")}
    if wl == "randrw_4k_qd32":
        return {"IOPS": r["iops"] + w["iops"]}
    return {}


def summary(values):
    """Median, min and max of the rounds' values (None ignored)."""
    v = [x for x in values if x is not None]
    if not v:
        return None
    return {"median": statistics.median(v), "min": min(v), "max": max(v),
            "rounds": len(v)}


def fmt(s, digits=0):
    """median (min-max) of a summary, or a dash."""
    if not s:
        return "-"
    f = "%%.%df" % digits
    if s["rounds"] == 1 or s["min"] == s["max"]:
        return f % s["median"]
    return (f + " (" + f + "-" + f + ")") % (s["median"], s["min"], s["max"])


def num(bench, key):
    """A numeric BENCH value, or None."""
    try:
        return float(bench[key])
    except (KeyError, ValueError):
        return None


def p90(values):
    """The 90th percentile of a list (nearest rank), or None."""
    v = sorted(values)
    return v[max(0, -(-9 * len(v) // 10) - 1)] if v else None


def ints(bench, key):
    """A BENCH value that lists integers ("1,2,3"), as a list."""
    try:
        return [int(x) for x in bench.get(key, "").split(",") if x]
    except ValueError:
        return []


def trust_levers(data, bench):
    """Issue 35's lever rows: "integrity" (rackswap as it ships, pages
    checked, against the integrity_off lever) and "encrypt" (the encrypt
    lever against rackswap as it ships), each side's figures and on/off
    ratios, or what was skipped; "connect": connect times without and
    with a key."""
    def side(name):
        if name == "rackswap":
            sw = data["swap"].get("rackswap", {})
            f = data["fio"].get("rackswap", {})
        else:
            sw = f = data["levers"][name]
        def m(sect, wl, k):
            try:
                return sect[wl][k]["median"]
            except (KeyError, TypeError):
                return None
        return {"seconds": {wl: m(sw, wl, "seconds") for wl in SWAP_WLS},
                "verified": {wl: (sw.get(wl) or {}).get("verified", "0 of 0")
                             for wl in SWAP_WLS},
                "randread_qd1_p50_us": m(f, "randread_4k_qd1", "p50_us"),
                "randrw_qd32_iops": m(f, "randrw_4k_qd32", "IOPS")}

    def compare(what, on, off):
        a, b = side(on), side(off)
        pairs = [(a["seconds"][wl], b["seconds"][wl]) for wl in SWAP_WLS
                 if a["seconds"][wl] and b["seconds"][wl]]
        div = lambda x, y: x / y if x and y else None
        r = {"swap_time": (sum(x for x, _ in pairs) / sum(y for _, y in pairs)
                           if pairs else None),
             "randread_qd1_p50": div(a["randread_qd1_p50_us"],
                                     b["randread_qd1_p50_us"]),
             "randrw_qd32_iops": div(a["randrw_qd32_iops"],
                                     b["randrw_qd32_iops"])}
        for wl in SWAP_WLS:
            r["swap_%s_time" % wl] = div(a["seconds"][wl], b["seconds"][wl])
        return {"what": what, "on": a, "off": b, "ratios_on_off": r}

    out = {}
    if "integrity_off" in data["levers"] and "rackswap" in data["swap"]:
        out["integrity"] = compare(
            "crc32c of every page (as shipped) against none (integrity_off: "
            + data["levers"]["integrity_off"]["what"] + ")",
            "rackswap", "integrity_off")
    else:
        out["integrity"] = {"skipped": bench.get(
            "integrity_skipped", "no integrity_off lever in this boot")}
    if "encrypt" in data["levers"] and "rackswap" in data["swap"]:
        e = compare(data["levers"]["encrypt"]["what"], "encrypt", "rackswap")
        drv = bench.get("encrypt_driver", "-")
        e.update({"driver": drv, "cipher": bench.get("encrypt_cipher") or "-",
                  "cpu_aes_flag": bench.get("cpu_aes", "-"),
                  "aes_instructions_used": bench.get("cpu_aes") == "yes" and
                  any(x in drv for x in ("aesni", "aes-ni", "vaes"))})
        out["encrypt"] = e
    else:
        out["encrypt"] = {"skipped": bench.get(
            "encrypt_skipped", "no encrypt lever in this boot"),
                          "cpu_aes_flag": bench.get("cpu_aes", "-")}
    c = {"mode": bench.get("connect_mode"),
         "timer_us": statistics.median(ints(bench, "connect_timer_us"))
         if ints(bench, "connect_timer_us") else None}
    for k in ("open", "keyed"):
        us = ints(bench, "connect_%s_us" % k)
        c[k] = {"median_ms": statistics.median(us) / 1000.0 if us else None,
                "p90_ms": p90(us) / 1000.0 if us else None,
                "connects": len(us),
                "failed": int(bench.get("connect_%s_failed" % k) or 0),
                "each_us": us}
    for k in ("median_ms", "p90_ms"):
        a, b = c["keyed"][k], c["open"][k]
        c["ratio_keyed_open_" + k[:-3]] = a / b if a and b else None
    out["connect"] = c if c["mode"] else {"skipped": "not measured in this boot"}
    return out


def trust_md(data):
    """The markdown lines of issue 35's rows (see trust_levers())."""
    L = []
    g = lambda v, f="%.2f": f % v if v is not None else "-"

    def table(e, on, off):
        L.append("| | seq s | rand s | sort s | randread QD1 p50 us | "
                 "randrw QD32 IOPS | verified (seq/rand/sort) |")
        L.append("|---|---|---|---|---|---|---|")
        for label, s in ((on, e["on"]), (off, e["off"])):
            L.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                label, *[g(s["seconds"][wl], "%.1f") for wl in SWAP_WLS],
                g(s["randread_qd1_p50_us"], "%.0f"),
                g(s["randrw_qd32_iops"], "%.0f"),
                ", ".join(s["verified"][wl] for wl in SWAP_WLS)))
        r = e["ratios_on_off"]
        L.append("| on/off | %s | %s | %s | %s | %s | all three: %s |" % (
            g(r["swap_seq_time"]), g(r["swap_rand_time"]),
            g(r["swap_sort_time"]), g(r["randread_qd1_p50"]),
            g(r["randrw_qd32_iops"]), g(r["swap_time"])))
        L.append("")

    e = data["integrity"]
    L.append("Page integrity (issue 35), same rounds: %s." % (
        e.get("what") or "skipped: " + e["skipped"]))
    L.append("")
    if "on" in e:
        table(e, "integrity on (rackswap)", "integrity off")
    e = data["encrypt"]
    if "on" in e:
        L.append("Encryption (issue 35), same rounds: %s; cipher %s, driver "
                 "%s; the CPU's aes flag: %s; AES instructions used: %s "
                 "(under QEMU TCG they are emulated)." % (
                     e["what"], e["cipher"], e["driver"], e["cpu_aes_flag"],
                     "yes" if e["aes_instructions_used"] else "no"))
        L.append("")
        table(e, "encrypt on", "encrypt off (rackswap)")
    else:
        L.append("Encryption (issue 35): skipped (%s); the CPU's aes flag: "
                 "%s." % (e["skipped"], e["cpu_aes_flag"]))
        L.append("")
    c = data["connect"]
    if "skipped" in c:
        L.append("Connect time (issue 35): %s." % c["skipped"])
    else:
        L.append("Connect time (issue 35), %s: from the write of the connect "
                 "string to the peer live with a data QP, one connect at a "
                 "time (the timer itself takes %s us):" % (
                     c["mode"], g(c["timer_us"], "%.0f")))
        L.append("")
        L.append("| key | median ms | p90 ms | connects (failed) |")
        L.append("|---|---|---|---|")
        for k, label in (("open", "none"), ("keyed", "on both sides")):
            L.append("| %s | %s | %s | %d (%d) |" % (
                label, g(c[k]["median_ms"], "%.1f"), g(c[k]["p90_ms"], "%.1f"),
                c[k]["connects"], c[k]["failed"]))
        L.append("| keyed/open | %s | %s | |" % (
            g(c["ratio_keyed_open_median"]), g(c["ratio_keyed_open_p90"])))
    L.append("")
    return L


def main():
    results, out, kver = sys.argv[1], sys.argv[2], sys.argv[3]
    bench, fio, swap = parse(results)
    devs = [d for d in DEVS if "dev_" + d in bench]
    rig = ("QEMU TCG, 2 VMs (-smp 1 each): node2 serves, node1 runs the "
           "workloads, rxe on their link (MTU 9000)" if bench.get("two_vm") else
           "QEMU TCG, 1 VM (-smp 2), rxe on dummy0 (MTU 9000)")
    data = {"date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
            "kernel": kver, "rig": rig,
            "params": {k: v for k, v in bench.items()
                       if not k.startswith(("krdma_", "rdma_", "ib_"))},
            "link": {k: v for k, v in bench.items()
                     if k.startswith(("krdma_", "rdma_", "ib_"))},
            "fio": {}, "swap": {}, "ratios_to_rackswap": {}, "targets": {}}

    # fio: per device and workload, each metric's summary and every round
    for d in devs:
        for wl in ["seqwrite_128k", "seqread_128k", "randread_4k_qd1",
                   "randrw_4k_qd32"]:
            rounds = [fio_metrics(j, wl) for j in fio.get((d, wl), [])]
            keys = sorted({k for m in rounds for k in m})
            data["fio"].setdefault(d, {})[wl] = {
                k: summary([m.get(k) for m in rounds]) for k in keys}
            data["fio"][d][wl]["each_round"] = rounds
    # where the work ran: each CPU's busy share during a fio run, median
    # over the rounds
    for d in devs:
        for wl in data["fio"][d]:
            runs = [[int(x) for x in v.split(",")] for k, v in bench.items()
                    if k.rsplit("_", 1)[0] == "cpu_%s_%s" % (d, wl)]
            if runs:
                data["fio"][d][wl]["cpu_busy_pct"] = [
                    statistics.median(c) for c in zip(*runs)]
    # rackswap's own view of the QD1 reads: its read_latency histogram
    # (bucket 0: < 16 us, then doubling) summed over the rounds
    hist = None
    for k, v in bench.items():
        if k.startswith("rackswap_qd1_driver_latency_"):
            h = [int(x) for x in v.split(",")]
            hist = h if hist is None else [a + b for a, b in zip(hist, h)]
    if hist and sum(hist):
        def bucket(q):
            n, acc = sum(hist), 0
            for i, c in enumerate(hist):
                acc += c
                if acc >= q * n:
                    return [0 if i == 0 else 8 << i, 16 << i]
            return None
        data["fio"]["rackswap"]["randread_4k_qd1"]["driver_us"] = {
            "p50": bucket(0.5), "p99": bucket(0.99), "reads": sum(hist)}
    # the link's throughput: the best of krdma's one-sided runs in this boot
    link_mbps = max([num(bench, "rdma_%s_%s_mbps" % (t, d)) or 0
                     for t in ["qd32", "qd32x2"] for d in ["read", "write"]])
    for d in devs:
        for wl in SWAP_WLS:
            runs = swap.get((d, wl), [])
            # a run that failed its verification has no time worth comparing
            s = {"seconds": summary([r["ms"] / 1000.0 for r in runs
                                     if r["verified"]]),
                 "pswpout": summary([r["pswpout"] for r in runs]),
                 "pswpin": summary([r["pswpin"] for r in runs]),
                 "sys_seconds": summary([r["sys_ms"] / 1000.0 for r in runs]),
                 "MB_moved": summary([(r["pswpout"] + r["pswpin"]) * 4096 / 1e6
                                      for r in runs]),
                 "verified": "%d of %d" % (sum(r["verified"] for r in runs),
                                           len(runs)),
                 "each_round": runs}
            if link_mbps and runs and d not in ("brd", "zram"):
                s["link_share"] = summary([
                    (r["pswpout"] + r["pswpin"]) * 4096 / 1e6 /
                    (r["ms"] / 1000.0) / link_mbps for r in runs if r["ms"] and r["verified"]])
            data["swap"].setdefault(d, {})[wl] = s

    # levers: rackswap with one setting changed, swap workloads only
    levers = sorted(k[6:] for k in bench if k.startswith("lever_"))
    data["levers"] = {}
    for lv in levers:
        e = {"what": bench["lever_" + lv]}
        for wl in SWAP_WLS:
            runs = swap.get(("rackswap@" + lv, wl), [])
            e[wl] = {"seconds": summary([r["ms"] / 1000.0 for r in runs
                                         if r["verified"]]),
                     "pswpin": summary([r["pswpin"] for r in runs]),
                     "verified": "%d of %d" % (sum(r["verified"] for r in runs),
                                               len(runs)),
                     "each_round": runs}
        for wl, k in [("randread_4k_qd1", "p50_us"), ("randrw_4k_qd32", "IOPS")]:
            rounds = [fio_metrics(j, wl) for j in fio.get(("rackswap@" + lv, wl), [])]
            e[wl] = {k: summary([m.get(k) for m in rounds])}
        data["levers"][lv] = e

    def med(d, sect, wl, k):
        try:
            return data[sect][d][wl][k]["median"]
        except (KeyError, TypeError):
            return None

    # ratios: another device's median over rackswap's (time: > 1 = we win)
    for d in devs:
        if d == "rackswap":
            continue
        r = {}
        for wl in SWAP_WLS:
            a, b = med(d, "swap", wl, "seconds"), med("rackswap", "swap", wl, "seconds")
            r["swap_%s_time" % wl] = a / b if a and b else None
        a = med(d, "fio", "randrw_4k_qd32", "IOPS")
        b = med("rackswap", "fio", "randrw_4k_qd32", "IOPS")
        r["randrw_qd32_iops"] = a / b if a and b else None
        a = med(d, "fio", "randread_4k_qd1", "p50_us")
        b = med("rackswap", "fio", "randread_4k_qd1", "p50_us")
        r["randread_qd1_p50"] = a / b if a and b else None
        data["ratios_to_rackswap"][d] = r

    # the issue's targets
    t = data["targets"]
    ours = sum(med("rackswap", "swap", wl, "seconds") or 0 for wl in SWAP_WLS)
    for peer in ["nvmeof", "rnbd"]:
        theirs = sum(med(peer, "swap", wl, "seconds") or 0 for wl in SWAP_WLS)
        if ours and theirs:
            t["swap_time_vs_" + peer] = {"value": ours / theirs, "target": "<= 0.7",
                                         "met": ours / theirs <= 0.7}
    raw = num(bench, "rdma_qd1_read_p50_us")
    p50 = med("rackswap", "fio", "randread_4k_qd1", "p50_us")
    p999 = med("rackswap", "fio", "randread_4k_qd1", "p99.9_us")
    if raw and p50:
        t["randread_qd1_p50_vs_raw_read"] = {"value": p50 / raw, "target": "<= 1.3",
                                             "met": p50 / raw <= 1.3}
    if p50 and p999:
        t["randread_qd1_p999_vs_p50"] = {"value": p999 / p50, "target": "<= 3",
                                         "met": p999 / p50 <= 3}
    a = med("rackswap", "fio", "randrw_4k_qd32", "IOPS")
    b = med("nvmeof", "fio", "randrw_4k_qd32", "IOPS")
    if a and b:
        t["randrw_qd32_iops_vs_nvmeof"] = {"value": a / b, "target": ">= 1.5",
                                           "met": a / b >= 1.5}
    req, rpcs = num(bench, "rackswap_requests"), num(bench, "rackswap_donor_rpcs_served")
    if req:
        t["donor_rpcs_per_request"] = {"value": (rpcs or 0) / req, "target": "~0",
                                       "met": (rpcs or 0) / req < 0.01}

    for e in data["levers"].values():
        mine = [(e[wl]["seconds"] or {}).get("median") for wl in SWAP_WLS]
        base = [med("rackswap", "swap", wl, "seconds") for wl in SWAP_WLS]
        pairs = [(m, b) for m, b in zip(mine, base) if m and b]
        e["time_ratio"] = (sum(m for m, _ in pairs) / sum(b for _, b in pairs)
                           if pairs else None)

    data.update(trust_levers(data, bench))
    v = data["integrity"].get("ratios_on_off", {}).get("swap_time")
    if v:
        t["integrity_swap_time_on_vs_off"] = {"value": v, "target": "<= 1.15",
                                              "met": v <= 1.15}

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "bench.json"), "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)

    L = []
    L.append("# make bench (%s, kernel %s, %s)" % (data["date"], kver, data["rig"]))
    L.append("")
    L.append("Rounds: %s%s; medians, (min-max) over the rounds. Only ratios "
             "within this boot mean anything. Latency: submission plus "
             "completion, as the application sees it." %
             (bench.get("rounds", "?"), " (QUICK)" if bench.get("quick") == "1" else ""))
    L.append("")
    L.append("| device | seq write 128K MB/s | seq read 128K MB/s | randread 4K QD1 "
             "p50 / p99 / p99.9 us | randrw 4K QD32 IOPS | CPUs busy % at QD32 |")
    L.append("|---|---|---|---|---|---|")
    for d in devs:
        f = data["fio"][d]
        busy = f["randrw_4k_qd32"].get("cpu_busy_pct")
        L.append("| %s (%s) | %s | %s | %s / %s / %s | %s | %s |" % (
            d, bench["dev_" + d], fmt(f["seqwrite_128k"].get("MBps"), 1),
            fmt(f["seqread_128k"].get("MBps"), 1),
            fmt(f["randread_4k_qd1"].get("p50_us")),
            fmt(f["randread_4k_qd1"].get("p99_us")),
            fmt(f["randread_4k_qd1"].get("p99.9_us")),
            fmt(f["randrw_4k_qd32"].get("IOPS")),
            " / ".join("%.0f" % c for c in busy) if busy else "-"))
    drv = data["fio"].get("rackswap", {}).get("randread_4k_qd1", {}).get("driver_us")
    if drv:
        L.append("")
        L.append("rackswap's own view of those QD1 reads (queue_rq to completion, "
                 "its read_latency histogram): p50 in %d-%d us, p99 in %d-%d us "
                 "(%d reads); the rest of the latency above is the block layer, "
                 "fio and the wake-up." % tuple(drv["p50"] + drv["p99"] + [drv["reads"]]))
    L.append("")
    L.append("Swap workloads under memory.max=%s: %s MiB written and verified; "
             "%s processes x %s MiB, %s random touches each; sort of %s lines under "
             "%s (checksum against an unlimited run)." % (
                 bench.get("swap_limit"), bench.get("seq_mib"), bench.get("rand_procs"),
                 bench.get("rand_mib"), bench.get("rand_touches"),
                 bench.get("sort_lines"), bench.get("sort_limit")))
    L.append("")
    L.append("| device | workload | seconds | pswpout | pswpin | MB moved | "
             "share of link | VM sys s | verified |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    for d in devs:
        for wl in SWAP_WLS:
            s = data["swap"][d][wl]
            L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                d, wl, fmt(s["seconds"], 1), fmt(s["pswpout"]), fmt(s["pswpin"]),
                fmt(s["MB_moved"]), fmt(s.get("link_share"), 2),
                fmt(s["sys_seconds"], 1), s["verified"]))
    L.append("")
    L.append("Ratios to rackswap (time: above 1 means rackswap is faster; IOPS: "
             "below 1 means rackswap does more):")
    L.append("")
    L.append("| device | seq time | rand time | sort time | randrw QD32 IOPS | "
             "randread QD1 p50 |")
    L.append("|---|---|---|---|---|---|")
    for d, r in data["ratios_to_rackswap"].items():
        g = lambda k: "%.2f" % r[k] if r.get(k) else "-"
        L.append("| %s | %s | %s | %s | %s | %s |" % (
            d, g("swap_seq_time"), g("swap_rand_time"), g("swap_sort_time"),
            g("randrw_qd32_iops"), g("randread_qd1_p50")))
    L.append("")
    if levers:
        L.append("Levers: rackswap with one setting changed, same rounds (time "
                 "ratio to rackswap as it ships, over the workloads both ran: "
                 "below 1 means the lever wins):")
        L.append("")
        L.append("| lever | what | seq s | rand s | sort s | pswpin (seq/rand/sort) "
                 "| time ratio | verified | randread QD1 p50 us | randrw QD32 IOPS |")
        L.append("|---|---|---|---|---|---|---|---|---|---|")
        for lv, e in data["levers"].items():
            ratio = e["time_ratio"]
            L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                lv, e["what"], *[fmt(e[wl]["seconds"], 1) for wl in SWAP_WLS],
                " / ".join(fmt(e[wl]["pswpin"]) for wl in SWAP_WLS),
                "%.2f" % ratio if ratio else "-",
                ", ".join(e[wl]["verified"] for wl in SWAP_WLS),
                fmt(e["randread_4k_qd1"]["p50_us"]),
                fmt(e["randrw_4k_qd32"]["IOPS"])))
        L.append("")
    if "rdma_qd1_read_p50_us" in bench:
        L.append("Link floor in this boot: in-kernel 4 KiB RDMA READ p50 %s us at "
                 "QD1, %.0f MB/s at best at QD32 (krdma rdma_test: the \"share of "
                 "link\" column's base); ib_read_lat 4 KiB %s us." % (
                     bench["rdma_qd1_read_p50_us"], link_mbps,
                     bench.get("ib_read_lat_4096_typical_us", "-")))
    else:
        L.append("Link floor: not measured in this boot (the krdma part runs in "
                 "the one-VM boot).")
    L.append("")
    L.append("Donor: %s RPCs served for %s device requests (slab allocation and "
             "heartbeats only)." % (bench.get("rackswap_donor_rpcs_served", "-"),
                                    bench.get("rackswap_requests", "-")))
    L.append("")
    L.extend(trust_md(data))
    L.append("| target | value | wanted | met |")
    L.append("|---|---|---|---|")
    for k, v in t.items():
        L.append("| %s | %.2f | %s | %s |" % (k, v["value"], v["target"],
                                               "yes" if v["met"] else "no"))
    md = "\n".join(L) + "\n"
    with open(os.path.join(out, "bench.md"), "w") as f:
        f.write(md)
    print(md)

    # the plot: randread QD1 percentiles and swap-workload times per device
    dat = os.path.join(out, "bench.dat")
    with open(dat, "w") as f:
        f.write("dev p50 p99 p999 seq rand sort\n")
        for d in devs:
            f.write("%s %s %s %s %s %s %s\n" % tuple(
                [d] + [med(d, "fio", "randread_4k_qd1", k) or 0
                       for k in ["p50_us", "p99_us", "p99.9_us"]] +
                [med(d, "swap", wl, "seconds") or 0 for wl in SWAP_WLS]))
    gp = """set terminal pngcairo size 1200,500
set output '%s'
set multiplot layout 1,2 title 'make bench, %s (QEMU TCG, ratios only)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top left autotitle columnheader
set xtics nomirror
set logscale y
set title '4 KiB random read, QD1: latency (us, log)'
plot '%s' using 2:xtic(1), '' using 3, '' using 4
unset logscale y
set title 'swap workloads: elapsed seconds (median)'
plot '%s' using 5:xtic(1), '' using 6, '' using 7
unset multiplot
""" % (os.path.join(out, "bench.png"), data["date"], dat, dat)
    try:
        subprocess.run(["gnuplot"], input=gp.encode(), check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print("bench: no plot (gnuplot: %s)" % e, file=sys.stderr)


if __name__ == "__main__":
    main()
