"""A training loop whose epochs outlast the run's stall limit, for PythonClientHeartbeatIT.

Logs epoch 0, prints run_id=<id>, then logs the next epoch each time a line arrives on stdin; finishes at end of input.
Standard library and the trainwatch client only (no torch): the test is about liveness, not learning.
"""
import argparse
import sys

import trainwatch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--stall-after", type=int, required=True, help="the run's monitor.stall_after_seconds")
    parser.add_argument("--heartbeat-every", type=float, required=True, help="0 turns heartbeats off")
    args = parser.parse_args()
    run = trainwatch.init(project="e2e", name=args.name, url=args.url, total_epochs=100,
                          monitor={"stall_after_seconds": args.stall_after}, heartbeat_every=args.heartbeat_every)
    epoch = 0
    run.log_epoch(epoch, train_loss=1.0, val_loss=1.0, duration_ms=1000)
    print("run_id=" + run.run_id, flush=True)
    for _ in sys.stdin:
        epoch += 1
        run.log_epoch(epoch, train_loss=1.0 / (epoch + 1), val_loss=1.0 / (epoch + 1), duration_ms=1000)
        print("logged epoch %d" % epoch, flush=True)
    print("finished, delivered=%s, heartbeats=%d" % (run.finish(), run.stats["heartbeats"]), flush=True)


if __name__ == "__main__":
    main()
