#!/usr/bin/env python3
"""Feeds synthetic runs into a running metrics-api through its HTTP ingest (POST /api/v1/runs, /metrics, /finish),
for trying the dashboard without a trainer: an overfitting run streamed live, a healthy and a plateauing run, and
a 1,000-epoch run posted in batches.

    python3 dashboard/dev/feed.py --api http://localhost:18080 [--live-delay 0.5] [--only overfit]
"""
import argparse
import json
import os
import math
import random
import time
import urllib.request
import uuid

LAYERS = ['dense0.weight', 'dense0.bias', 'dense1.weight', 'dense1.bias', 'out.weight', 'out.bias']


# TRAINWATCH_TOKEN (./run prints the admin token): sent with every request.
AUTH = {'authorization': 'Bearer ' + os.environ['TRAINWATCH_TOKEN']} if os.environ.get('TRAINWATCH_TOKEN') else {}


def post(api, path, body):
    req = urllib.request.Request(api + path, data=json.dumps(body).encode(), method='POST',
                                 headers={'content-type': 'application/json', **AUTH})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def curve(kind, e, n, rnd):
    t = e / max(1, n - 1)
    if kind == 'overfit':
        train = 0.9 * math.exp(-4.0 * t) + 0.05
        val = 0.95 * math.exp(-5.0 * t) + 0.28 + 0.9 * max(0.0, t - 0.35) ** 1.5
    elif kind == 'plateau':
        train = 0.6 * math.exp(-12 * t) + 0.40
        val = 0.6 * math.exp(-12 * t) + 0.44
    else:  # healthy
        train = 0.9 * math.exp(-3.0 * t) + 0.08
        val = 0.9 * math.exp(-3.0 * t) + 0.12
    train *= 1 + rnd.gauss(0, 0.01)
    val *= 1 + rnd.gauss(0, 0.02)
    return train, val


def epoch_doc(kind, e, n, rnd, lr):
    train, val = curve(kind, e, n, rnd)
    norms = {name: (0.0 if kind == 'plateau' and name == 'dense1.bias' and e > n // 2 else
                    (0.5 + i) * math.exp(-2.0 * e / n) * (1 + rnd.gauss(0, 0.05)) * (10 ** (-i / 2)))
             for i, name in enumerate(LAYERS)}
    gn = math.sqrt(sum(v * v for v in norms.values()))
    return {'epoch': e, 'total_epochs': n, 'global_step': (e + 1) * 32,
            'train_loss': round(train, 5), 'val_loss': round(val, 5),
            'train_accuracy': round(min(0.999, 0.5 + 0.5 * math.exp(-2 * train)), 4),
            'val_accuracy': round(min(0.999, 0.5 + 0.48 * math.exp(-2 * val)), 4),
            'learning_rate': lr(e), 'duration_ms': int(400 + rnd.gauss(0, 20)),
            'samples_per_second': round(5000 + rnd.gauss(0, 120) - 3 * e / max(1, n) * 100, 1),
            'grad_norm': round(gn, 5), 'grad_norm_max': round(gn * 2.2, 5),
            'layer_grad_norms': {k: round(v, 7) for k, v in norms.items()}}


def start(api, kind, n, name, tags):
    run_id = f'{name}-{uuid.uuid4().hex[:6]}'
    post(api, '/api/v1/runs', {'run_id': run_id, 'name': name, 'project': 'dashboard-demo', 'tags': tags,
                               'model': {'architecture': 'mlp 2-64-64-2', 'parameter_count': 4482},
                               'dataset': {'name': 'spirals', 'train_size': 2000, 'val_size': 1000},
                               'device': 'cpu', 'host': 'feed.py', 'total_epochs': n})
    return run_id


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--api', default='http://localhost:8080')
    p.add_argument('--live-delay', type=float, default=0.5)
    p.add_argument('--only', default=None)
    p.add_argument('--live-epochs', type=int, default=40)
    a = p.parse_args()
    rnd = random.Random(7)
    const = lambda e: 0.001
    plan = [('healthy', 60, 'healthy-mlp', ['baseline'], const, 'batch'),
            ('plateau', 80, 'plateau-mlp', ['lr-sweep'], const, 'batch'),
            ('healthy', 1000, 'long-1000', ['long'], lambda e: 0.001 * 0.5 * (1 + math.cos(math.pi * e / 1000)), 'batch'),
            ('overfit', a.live_epochs, 'overfit-mlp', ['baseline', 'no-dropout'], const, 'live')]
    for kind, n, name, tags, lr, mode in plan:
        if a.only and a.only != kind and a.only != name:
            continue
        run_id = start(a.api, kind, n, name, tags)
        print(run_id, flush=True)
        time.sleep(0.5)
        docs = [epoch_doc(kind, e, n, rnd, lr) for e in range(n)]
        if mode == 'batch':
            for i in range(0, n, 200):
                post(a.api, f'/api/v1/runs/{run_id}/metrics', docs[i:i + 200])
            if name != 'long-1000':
                post(a.api, f'/api/v1/runs/{run_id}/finish', {'status': 'completed', 'epochs_completed': n})
        else:
            # Behaves like the trainer: stops at the end of an epoch once a cancel was requested.
            for d in docs:
                post(a.api, f'/api/v1/runs/{run_id}/metrics', d)
                time.sleep(a.live_delay)
                with urllib.request.urlopen(urllib.request.Request(f'{a.api}/api/v1/runs/{run_id}', headers=AUTH),
                                            timeout=30) as r:
                    run = json.load(r)
                if run['status'] == 'cancelling':
                    post(a.api, f'/api/v1/runs/{run_id}/finish', {'status': 'cancelled', 'epochs_completed': d['epoch'] + 1,
                                                                  'reason': run.get('cancel', {}).get('reason')})
                    print('cancelled at epoch', d['epoch'], flush=True)
                    return
            post(a.api, f'/api/v1/runs/{run_id}/finish', {'status': 'completed', 'epochs_completed': n})


if __name__ == '__main__':
    main()
