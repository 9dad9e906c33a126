#!/usr/bin/env python3
"""Benchmark of the Python client (not a test): prints figures, asserts nothing.

    /usr/bin/python3 clients/python/bench/bench_client.py [--calls 100000] [--rounds 9] [--epochs 40]
                                          [--torch-threads 1] [--outage-seconds 30] [--skip-training]

1. log_epoch cost: median / p99 / mean µs per call over --calls calls with the fields a training loop sends, (a) with
   a stub metrics-api in a separate process answering, (b) with nothing listening (every event goes to the spool).
   Each call is timed alone with perf_counter_ns; the sender thread runs meanwhile, as in training.
2. Training wall clock: docs/examples/pytorch/train_digits.py's loop (in this process, the same seed) with the client
   and its torch helpers on vs off, alternating the order each round after a warm-up round; prints each round and
   the median on/off ratio of the loop's wall clock and of the training thread's CPU time (start-up, init and
   finish included), and the CPU time of the client's two threads (sender, control poller) as a share of it.
3. Outage: a loop logs 10 epochs and 100 step samples a second; the stub goes away (port closed) for
   --outage-seconds, then comes back; prints events lost, copies received twice (de-duplicated by event_id), whether
   the order held, and the slowest log_* call during the outage.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = os.path.dirname(HERE)
TESTS = os.path.join(CLIENT, "tests")
EXAMPLE = os.path.join(CLIENT, "..", "..", "docs", "examples", "pytorch")
sys.path[:0] = [CLIENT, TESTS, EXAMPLE]

import trainwatch  # noqa: E402
from stub import Stub, wait_until  # noqa: E402


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def stub_process():
    code = ("import sys, time; sys.path.insert(0, %r); from stub import Stub; s = Stub(); print(s.url, flush=True); "
            "time.sleep(1e9)" % TESTS)
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    return process, process.stdout.readline().strip()


def closed_port_url():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return "http://127.0.0.1:%d" % s.getsockname()[1]


def bench_log_epoch(url, calls, spool, finish_timeout):
    run = trainwatch.init(project="bench", name="log-epoch", url=url, total_epochs=calls, spool_dir=spool,
                          spool_max_bytes=1 << 30)
    timings = []
    clock = time.perf_counter_ns
    for epoch in range(calls):
        t0 = clock()
        run.log_epoch(epoch, train_loss=0.5, val_loss=0.6, train_accuracy=0.8, val_accuracy=0.75,
                      learning_rate=1e-3, duration_ms=412, samples_per_second=3500.0)
        timings.append(clock() - t0)
    finish_started = time.monotonic()
    delivered = run.finish(timeout=finish_timeout)
    finish_seconds = time.monotonic() - finish_started
    us = [t / 1000 for t in timings]
    return statistics.median(us), percentile(us, 99), statistics.mean(us), delivered, run.stats, finish_seconds


def bench_training(rounds, epochs, url, torch_threads):
    """Per round: wall clock of the training loop and CPU time of the whole process (all threads, so the sender's
    and the poller's work counts) for one run with the client and one without."""
    import torch
    import train_digits
    torch.set_num_threads(torch_threads)
    ratios, cpu_ratios, thread_shares = [], [], []
    for index in range(rounds + 1):  # round 0 warms up (allocator, first-call costs) and is not counted
        times, cpu, client_threads = {}, {}, 0.0
        order = ("off", "on") if index % 2 == 0 else ("on", "off")
        for mode in order:
            args = train_digits.parse_args(["--epochs", str(epochs), "--quiet", "--url", url, "--name", "bench"]
                                           + (["--no-trainwatch"] if mode == "off" else []))
            cpu_before = time.thread_time()
            result = train_digits.train(args, out=lambda line: None)
            cpu[mode] = time.thread_time() - cpu_before
            times[mode] = result["train_seconds"]
            if result["client_stats"]:
                stats = result["client_stats"]
                client_threads = (stats.get("cpu_seconds") or 0.0) + (stats.get("poller_cpu_seconds") or 0.0)
        if index == 0:
            continue
        ratios.append(times["on"] / times["off"])
        cpu_ratios.append(cpu["on"] / cpu["off"])
        thread_shares.append(client_threads / cpu["off"])
        print("  round %d (%s first): loop wall off %.3f s, on %.3f s, on/off %.4f; training thread CPU off %.3f s, "
              "on %.3f s, on/off %.4f; client threads CPU %.4f s = %.2f %% of the training thread's CPU off"
              % (index, order[0], times["off"], times["on"], ratios[-1], cpu["off"], cpu["on"], cpu_ratios[-1],
                 client_threads, 100 * thread_shares[-1]), flush=True)
    return ratios, cpu_ratios, thread_shares


def bench_outage(outage_seconds, spool):
    stub = Stub()
    run = trainwatch.init(project="bench", name="outage", url=stub.url, spool_dir=spool)
    logged = []
    worst_us = 0.0
    step = epoch = 0
    phase_end = {"before": 5.0, "outage": 5.0 + outage_seconds, "after": 10.0 + outage_seconds}
    started = time.monotonic()
    down = up = False
    next_tick = started
    while True:
        now = time.monotonic() - started
        if not down and now >= phase_end["before"]:
            stub.down()
            down = True
            print("  stub down at %.1f s" % now, flush=True)
        if down and not up and now >= phase_end["outage"]:
            stub.up()
            up = True
            print("  stub up again at %.1f s" % now, flush=True)
        if now >= phase_end["after"]:
            break
        for _ in range(10):  # 10 steps per tick, a tick every 0.1 s: 100 steps/s, 10 epochs/s
            t0 = time.perf_counter()
            run.log_step(step, loss=0.5)
            worst_us = max(worst_us, (time.perf_counter() - t0) * 1e6) if down and not up else worst_us
            logged.append(("step", step))
            step += 1
        t0 = time.perf_counter()
        run.log_epoch(epoch, train_loss=0.5, val_loss=0.6)
        worst_us = max(worst_us, (time.perf_counter() - t0) * 1e6) if down and not up else worst_us
        logged.append(("epoch", epoch))
        epoch += 1
        next_tick += 0.1
        time.sleep(max(0.0, next_tick - time.monotonic()))
    delivered = run.finish(timeout=30)
    with stub.lock:
        arrived = [(k, e.get("global_step", e.get("epoch"))) for k, e in stub.stored if k in ("step", "epoch")]
        received_ids = [i for r in stub.requests for i in _ids(r[2])]
    stub.close()
    return logged, arrived, received_ids, delivered, worst_us, run.stats


def _ids(body):
    import json
    try:
        events = json.loads(body.decode("utf-8"))
    except ValueError:
        return []
    return [e.get("event_id") for e in (events if isinstance(events, list) else [events])]


def main():
    parser = argparse.ArgumentParser(description="Python client benchmark")
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--outage-seconds", type=float, default=30.0)
    parser.add_argument("--torch-threads", type=int, default=1, help="torch.set_num_threads for the training rounds")
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    spool = tempfile.mkdtemp(prefix="trainwatch-bench-spool-")
    print("python %s, %d CPUs, load average %s" % (sys.version.split()[0], os.cpu_count(),
                                                   " ".join("%.2f" % x for x in os.getloadavg())), flush=True)
    try:
        process, url = stub_process()
        try:
            median, p99, mean, delivered, stats, _ = bench_log_epoch(url, args.calls, spool, 60)
            print("BENCH log_epoch, stub answering:  median %.2f us, p99 %.2f us, mean %.2f us per call (%d calls); "
                  "all delivered: %s (%d sent)" % (median, p99, mean, args.calls, delivered, stats["sent"]), flush=True)
            median, p99, mean, delivered, stats, finish_seconds = bench_log_epoch(closed_port_url(), args.calls, spool, 1)
            print("BENCH log_epoch, server unreachable: median %.2f us, p99 %.2f us, mean %.2f us per call (%d calls); "
                  "finish(timeout=1) returned after %.2f s" % (median, p99, mean, args.calls, finish_seconds),
                  flush=True)
            if not args.skip_training:
                ratios, cpu_ratios, shares = bench_training(args.rounds, args.epochs, url, args.torch_threads)
                print("BENCH digits training with the client on/off (%d rounds of %d epochs, %d torch thread(s)): "
                      "loop wall clock median ratio %.4f (%+.2f %%, min %.4f, max %.4f); training thread CPU median "
                      "ratio %.4f (%+.2f %%, min %.4f, max %.4f); client threads' CPU median %.2f %% of the training "
                      "thread's" % (len(ratios), args.epochs, args.torch_threads, statistics.median(ratios),
                                    (statistics.median(ratios) - 1) * 100, min(ratios), max(ratios),
                                    statistics.median(cpu_ratios), (statistics.median(cpu_ratios) - 1) * 100,
                                    min(cpu_ratios), max(cpu_ratios), 100 * statistics.median(shares)), flush=True)
        finally:
            process.terminate()
            process.wait()
        logged, arrived, received, delivered, worst_us, stats = bench_outage(args.outage_seconds, spool)
        lost = len(set(logged) - set(arrived))
        print("BENCH outage of %.0f s: logged %d events (%d epochs), stored %d, lost %d, copies received twice %d "
              "(stored once), order kept: %s, all delivered at finish: %s, slowest log_* call during the outage "
              "%.0f us, failed requests %d" % (args.outage_seconds, len(logged),
                                               sum(1 for k, _ in logged if k == "epoch"), len(arrived), lost,
                                               len(received) - len(set(received)), arrived == logged, delivered,
                                               worst_us, stats["failed_requests"]), flush=True)
        print("load average at the end %s" % " ".join("%.2f" % x for x in os.getloadavg()))
    finally:
        shutil.rmtree(spool, ignore_errors=True)


if __name__ == "__main__":
    main()
