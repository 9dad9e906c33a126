#!/usr/bin/env python3
"""Benchmark of the Python client (not a test): prints figures, asserts nothing.

    /usr/bin/python3 clients/python/bench/bench_client.py [--calls 100000] [--rounds 9] [--epochs 40]
                                          [--torch-threads 1] [--outage-seconds 30] [--skip-training]

1. log_epoch cost: median / p99 / mean µs per call over --calls calls with the fields a training loop sends, (a) with
   a stub metrics-api in a separate process answering, (b) with nothing listening (every event goes to the spool).
   Each call is timed alone with perf_counter_ns; the sender thread runs meanwhile, as in training.
2. Training: docs/examples/pytorch/train_digits.py's loop (in this process, the same seed) off, with the client only
   (--no-torch-metrics) and with the client and trainwatch.torch's EpochMetrics, the order rotating each round after
   a warm-up round; prints each round and the median ratios to "off" of the loop's wall clock and of the training
   thread's CPU time (start-up, init and finish included), the CPU time of the client's two threads (sender, control
   poller) as a share of it, and the CPU added per epoch (training thread + client threads - off).
3. trainwatch.torch: thread CPU per call of EpochMetrics.after_backward and collect() beside a training step.
4. Outage: a loop logs 10 epochs and 100 step samples a second; the stub goes away (port closed) for
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


MODES = {"off": ["--no-trainwatch"], "client": ["--no-torch-metrics"], "client+torch": []}


def bench_training(rounds, epochs, url, torch_threads):
    """Per round, one run in each mode (the order rotating): the loop's wall clock, the training thread's CPU time
    (start-up, init and finish included) and the CPU time of the client's own threads."""
    import torch
    import train_digits
    torch.set_num_threads(torch_threads)
    rows = []
    modes = list(MODES)
    for index in range(rounds + 1):  # round 0 warms up (allocator, first-call costs) and is not counted
        order = modes[index % 3:] + modes[:index % 3]
        row = {}
        for mode in order:
            args = train_digits.parse_args(["--epochs", str(epochs), "--quiet", "--url", url, "--name", "bench"]
                                           + MODES[mode])
            cpu_before = time.thread_time()
            result = train_digits.train(args, out=lambda line: None)
            stats = result["client_stats"] or {}
            row[mode] = (result["train_seconds"], time.thread_time() - cpu_before,
                         (stats.get("cpu_seconds") or 0.0) + (stats.get("poller_cpu_seconds") or 0.0))
        if index == 0:
            continue
        rows.append(row)
        off_wall, off_cpu, _ = row["off"]
        print("  round %d (%s): off: loop %.3f s, thread CPU %.3f s" % (index, ", ".join(order), off_wall, off_cpu)
              + "".join("; %s: loop x%.4f, thread CPU x%.4f, client threads %.1f ms"
                        % (mode, row[mode][0] / off_wall, row[mode][1] / off_cpu, row[mode][2] * 1000)
                        for mode in ("client", "client+torch")), flush=True)
    return rows


def report_training(rows, args):
    for mode in ("client", "client+torch"):
        wall = [row[mode][0] / row["off"][0] for row in rows]
        cpu = [row[mode][1] / row["off"][1] for row in rows]
        threads = [row[mode][2] / row["off"][1] for row in rows]
        per_epoch = [1e6 * (row[mode][1] + row[mode][2] - row["off"][1]) / args.epochs for row in rows]
        print("BENCH digits, %s on vs off (%d rounds of %d epochs, %d torch thread(s)): loop wall clock median "
              "ratio %.4f (%+.2f %%, min %.4f, max %.4f); training thread CPU median ratio %.4f (%+.2f %%); "
              "client threads' CPU median %.2f %% of the training thread's; added CPU per epoch median %.0f us"
              % (mode, len(rows), args.epochs, args.torch_threads, statistics.median(wall),
                 100 * (statistics.median(wall) - 1), min(wall), max(wall), statistics.median(cpu),
                 100 * (statistics.median(cpu) - 1), 100 * statistics.median(threads), statistics.median(per_epoch)),
              flush=True)


def bench_torch_helpers(steps, torch_threads):
    """CPU per call of EpochMetrics.after_backward (every step measured, no budget) and collect(), beside one training
    step of the digits example's healthy model (forward, backward, Adam), all timed with the thread's CPU clock."""
    import torch
    import train_digits
    from trainwatch import torch as tw_torch
    torch.set_num_threads(torch_threads)
    torch.manual_seed(0)
    model = train_digits.build_model(False, torch)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.randn(64, 64), torch.randint(0, 10, (64,))

    def train_step():
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def per_call(function, n):
        for _ in range(min(100, n)):
            function()
        started = time.thread_time()
        for _ in range(n):
            function()
        return (time.thread_time() - started) / n * 1e6

    step_us = per_call(train_step, steps)
    metrics = tw_torch.EpochMetrics(model, budget=None)
    after_us = per_call(metrics.after_backward, steps)
    collect_us = per_call(metrics.collect, max(1, steps // 10))
    return step_us, after_us, collect_us


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
                step_us, after_us, collect_us = bench_torch_helpers(2000, args.torch_threads)
                print("BENCH trainwatch.torch on the digits MLP (batch 64, %d torch thread(s)), thread CPU per call: "
                      "training step %.0f us; after_backward %.0f us (%.1f %% of a step, measuring every step); "
                      "collect() %.0f us per epoch" % (args.torch_threads, step_us, after_us, 100 * after_us / step_us,
                                                       collect_us), flush=True)
                report_training(bench_training(args.rounds, args.epochs, url, args.torch_threads), args)
        finally:
            process.terminate()
            process.wait()
        logged, arrived, received, delivered, worst_us, stats = bench_outage(args.outage_seconds, spool)
        lost = len(set(logged) - set(arrived))
        in_order = all([n for k, n in arrived if k == kind] == [n for k, n in logged if k == kind]
                       for kind in ("epoch", "step"))
        print("BENCH outage of %.0f s: logged %d events (%d epochs), stored %d, lost %d, copies received twice %d "
              "(stored once), each kind in order: %s, all delivered at finish: %s, slowest log_* call during the outage "
              "%.0f us, failed requests %d" % (args.outage_seconds, len(logged),
                                               sum(1 for k, _ in logged if k == "epoch"), len(arrived), lost,
                                               len(received) - len(set(received)), in_order, delivered,
                                               worst_us, stats["failed_requests"]), flush=True)
        print("load average at the end %s" % " ".join("%.2f" % x for x in os.getloadavg()))
    finally:
        shutil.rmtree(spool, ignore_errors=True)


if __name__ == "__main__":
    main()
