#!/usr/bin/env python3
"""Trains a small PyTorch MLP on scikit-learn's bundled digits (8x8 images, 10 classes; no download) and reports it
to Trainwatch through the Python client, stopping when an agent cancels the run.

    /usr/bin/python3 docs/examples/pytorch/train_digits.py --url http://localhost:8080            # healthy
    /usr/bin/python3 docs/examples/pytorch/train_digits.py --overfit --epochs 200 --pace 0.5      # overfits

Needs torch and scikit-learn (Debian: apt-get install python3-torch python3-sklearn, for /usr/bin/python3). The client
is found beside this repository (clients/python) when it is not installed. Prints `run_id=<id>` first, then one line
per epoch; on a cancel it prints the reason and ends the run `cancelled`. Exit 0 when the run ended (completed or
cancelled), 1 on an error.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "clients", "python"))  # the client, if not pip-installed


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, help="epochs to train (default 40, or 200 with --overfit)")
    parser.add_argument("--overfit", action="store_true",
                        help="a tiny training split, no regularisation, a larger model: validation loss turns up")
    parser.add_argument("--url", help="metrics-api (default $TRAINWATCH_URL, else http://127.0.0.1:8080)")
    parser.add_argument("--project", default="digits")
    parser.add_argument("--name", help="run name (default mlp-healthy or mlp-overfit)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", choices=("cpu", "cuda", "auto"), default="cpu")
    parser.add_argument("--pace", type=float, default=0.0, metavar="S",
                        help="make each epoch last at least S seconds (sleeping after it), so a person can watch and "
                             "cancel a run whose epochs take milliseconds; 0: full speed")
    parser.add_argument("--no-trainwatch", action="store_true", help="the same loop without the client (benchmarks)")
    parser.add_argument("--no-torch-metrics", action="store_true",
                        help="report without trainwatch.torch's gradient norms, memory and throughput (benchmarks)")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    args = parser.parse_args(argv)
    if args.epochs is None:
        args.epochs = 200 if args.overfit else 40
    if args.epochs < 1:
        parser.error("--epochs: must be >= 1, was %d" % args.epochs)
    if args.name is None:
        args.name = "mlp-overfit" if args.overfit else "mlp-healthy"
    return args


def load_data(overfit, seed, torch):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    digits = load_digits()
    x = digits.data.astype("float32") / 16.0
    y = digits.target.astype("int64")
    train_size = 120 if overfit else 0.8  # overfit: 120 of 1,797 images, the rest validates
    x_train, x_val, y_train, y_val = train_test_split(x, y, train_size=train_size, random_state=seed, stratify=y)
    return (torch.from_numpy(x_train), torch.from_numpy(y_train), torch.from_numpy(x_val), torch.from_numpy(y_val))


def build_model(overfit, torch):
    nn = torch.nn
    if overfit:  # wide, no dropout: it memorises 120 images
        return nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 64), nn.ReLU(),
                         nn.Linear(64, 10))


def train(args, out=print):
    """Trains; returns a dict with run_id, epochs (completed), status, stop_reason, train_seconds (the training
    loop's wall clock, without start-up, for the benchmark) and client_stats (run.stats after finish, or None)."""
    import torch
    torch.manual_seed(args.seed)
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(args.device)
    x_train, y_train, x_val, y_val = [t.to(device) for t in load_data(args.overfit, args.seed, torch)]
    model = build_model(args.overfit, torch).to(device)
    lr, batch_size = (3e-3, 16) if args.overfit else (1e-3, 64)
    weight_decay = 0.0 if args.overfit else 1e-4
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = torch.nn.CrossEntropyLoss()

    run = metrics = None
    if not args.no_trainwatch:
        import trainwatch
        import trainwatch.torch
        run = trainwatch.init(
            project=args.project, name=args.name, url=args.url, total_epochs=args.epochs,
            config={"learning_rate": lr, "batch_size": batch_size, "optimizer": "adam", "weight_decay": weight_decay,
                    "seed": args.seed, "overfit": args.overfit},
            monitor={"patience": 10}, tags=["example", "digits"], device=str(device),
            model=trainwatch.torch.describe_model(model),
            dataset={"name": "sklearn-digits", "train_size": len(x_train), "val_size": len(x_val)})
        metrics = None if args.no_torch_metrics else trainwatch.torch.EpochMetrics(model)
        out("run_id=%s" % run.run_id)

    status, reason, completed = "completed", None, 0
    started = time.perf_counter()
    try:
        for epoch in range(args.epochs):
            epoch_started = time.perf_counter()
            if metrics:
                metrics.start_epoch()
            model.train()
            order = torch.randperm(len(x_train), device=device)
            total_loss, correct = 0.0, 0
            for i in range(0, len(x_train), batch_size):
                index = order[i:i + batch_size]
                x, y = x_train[index], y_train[index]
                logits = model(x)
                loss = loss_fn(logits, y)
                optimizer.zero_grad()
                loss.backward()
                if metrics:
                    metrics.after_backward()
                optimizer.step()
                total_loss += loss.detach() * len(x)
                correct += (logits.detach().argmax(1) == y).sum()
                if metrics:
                    metrics.count_samples(len(x))
            train_loss = float(total_loss) / len(x_train)
            train_accuracy = int(correct) / len(x_train)
            model.eval()
            with torch.no_grad():
                logits = model(x_val)
                val_loss = float(loss_fn(logits, y_val))
                val_accuracy = float((logits.argmax(1) == y_val).float().mean())
            completed = epoch + 1
            duration_ms = (time.perf_counter() - epoch_started) * 1000
            if run:
                run.log_epoch(epoch, train_loss=train_loss, val_loss=val_loss, train_accuracy=train_accuracy,
                              val_accuracy=val_accuracy, learning_rate=lr, duration_ms=duration_ms,
                              global_step=completed * -(-len(x_train) // batch_size),
                              **(metrics.collect() if metrics else {}))
            if not args.quiet:
                out("epoch %3d  train_loss %.4f  val_loss %.4f  train_acc %.1f%%  val_acc %.1f%%"
                    % (epoch, train_loss, val_loss, 100 * train_accuracy, 100 * val_accuracy))
            if run and run.should_stop:
                status, reason = "cancelled", run.stop_reason
                out("stopping: cancelled%s: %s" % (" by " + run.requested_by if run.requested_by else "", reason))
                break
            if args.pace > 0:
                time.sleep(max(0.0, args.pace - (time.perf_counter() - epoch_started)))
    except BaseException as error:
        if run:
            run.finish("failed", reason="%s: %s" % (type(error).__name__, error))
        raise
    train_seconds = time.perf_counter() - started
    client = None
    if run:
        delivered = run.finish()
        if not delivered:
            out("trainwatch: not every event reached %s yet; the rest is kept in the spool" % run.url)
        client = run.stats
    return {"run_id": run.run_id if run else None, "epochs": completed, "status": status, "stop_reason": reason,
            "train_seconds": train_seconds, "client_stats": client}


def main(argv=None):
    args = parse_args(argv)
    try:
        result = train(args, out=lambda line: print(line, flush=True))
    except KeyboardInterrupt:
        return 130
    print("run %s %s after %d epochs (%.1f s of training)" % (result["run_id"] or "(not reported)", result["status"],
                                                             result["epochs"], result["train_seconds"]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
