"""PyTorch helpers: gradient and parameter norms, clipped steps, peak memory and throughput, as the epoch.completed
fields of the contract (grad_norm, grad_norm_max, layer_grad_norms, param_norm, clipped_steps, memory_bytes,
samples_per_second). Works with PyTorch 1.13 (Debian's) and 2.x. Importing this module imports torch.

    metrics = trainwatch.torch.EpochMetrics(model)
    for epoch in range(epochs):
        for x, y in loader:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad(); loss.backward()
            metrics.clip(max_norm=1.0)        # or metrics.after_backward() when you do not clip
            optimizer.step()
            metrics.count_samples(len(x))
        run.log_epoch(epoch, train_loss=..., **metrics.collect())

The per-step work stays on the device (a few tensor ops, no .item()): the norms are summed there and read once per
epoch in collect(), the way trainer-host's MetricsListener accumulates per-parameter norms.
"""
import sys
import time

import torch

MAX_LAYERS = 10_000
MAX_KEY_LENGTH = 256


def _grads(parameters):
    return [p.grad.detach() for p in parameters if p.grad is not None]


def _norms(tensors):
    """One L2 norm per tensor, as one tensor (float32 on the tensors' device)."""
    return torch.stack([torch.linalg.vector_norm(t.float()) for t in tensors])


def grad_norm(model):
    """Global L2 norm of the gradients (call after backward). One device sync."""
    grads = _grads(model.parameters())
    return float(torch.linalg.vector_norm(_norms(grads))) if grads else None


def layer_grad_norms(model):
    """Parameter name -> L2 norm of its gradient (call after backward). One device sync."""
    named = [(n, p.grad.detach()) for n, p in model.named_parameters() if p.grad is not None][:MAX_LAYERS]
    if not named:
        return {}
    values = _norms([g for _, g in named]).tolist()
    return {name[:MAX_KEY_LENGTH]: value for (name, _), value in zip(named, values)}


def param_norm(model):
    """Global L2 norm of the parameters. One device sync."""
    params = [p.detach() for p in model.parameters()]
    return float(torch.linalg.vector_norm(_norms(params))) if params else None


def peak_memory_bytes(device=None):
    """Peak memory of training: CUDA's peak allocation on a CUDA device, else the process's peak resident set."""
    if device is not None and torch.device(device).type == "cuda" and torch.cuda.is_available():
        return int(torch.cuda.max_memory_allocated(device))
    return _peak_rss_bytes()


def _peak_rss_bytes():
    try:
        import resource  # one system call; /proc/self/status (VmHWM) says the same at ten times the cost
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)  # bytes on macOS, KiB elsewhere
    except (ImportError, OSError):
        pass
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def describe_model(model):
    """run.started's `model`: {"architecture": the module's repr (shortened), "parameter_count": trainable}."""
    count = sum(p.numel() for p in model.parameters() if p.requires_grad)
    architecture = " ".join(repr(model).split())
    return {"architecture": architecture[:4000], "parameter_count": int(count)}


class EpochMetrics:
    """Collects one epoch's gradient statistics, clipping count, throughput and memory; collect() returns them as
    log_epoch keywords and starts the next epoch.

    every     -- measure gradients every N-th step only (1: every step)
    budget    -- at most this share of the epoch's time goes to measuring gradients (default 0.01): when measuring
                 has cost more, a step is skipped; the first step of an epoch is always measured. None: no limit.
                 With a small model the norms cost as much as a fraction of the step itself, so this matters there
    per_layer -- also keep per-parameter norms (layer_grad_norms)
    device    -- where the model trains, for peak memory (default: the device of its first parameter)

    grad_norm is the mean, grad_norm_max the maximum, over the measured steps.
    """

    def __init__(self, model, every=1, budget=0.01, per_layer=True, device=None):
        if every < 1:
            raise ValueError("every: must be >= 1, was %r" % (every,))
        if budget is not None and not 0 < budget <= 1:
            raise ValueError("budget: must be > 0 and <= 1, or None, was %r" % (budget,))
        self.model = model
        self.every = every
        self.budget = budget
        self.per_layer = per_layer
        self._named = [(n[:MAX_KEY_LENGTH], p) for n, p in model.named_parameters() if p.requires_grad][:MAX_LAYERS]
        self._params = [p for _, p in self._named]
        self._layer_names = [n for n, _ in self._named]
        first = next(iter(model.parameters()), None)
        self.device = torch.device(device) if device is not None else (first.device if first is not None else None)
        self._cuda = self.device is not None and self.device.type == "cuda" and torch.cuda.is_available()
        self._reset()

    def _reset(self):
        self._step = 0
        self._measured = 0
        self._sum_global = None
        self._max_global = None
        self._sum_layers = None
        self._clipped = None
        self._clip_calls = 0
        self._samples = 0
        self._started = time.perf_counter()
        self._last_sample_time = None
        self._spent = 0.0
        if self._cuda:
            torch.cuda.reset_peak_memory_stats(self.device)

    def start_epoch(self):
        """Restarts the epoch clock (and the counters), e.g. when validation ran between collect() and now."""
        self._reset()

    def after_backward(self):
        """Records this step's gradient norms (call after backward, before optimizer.step()). Returns the global
        norm as a tensor (no sync) on measured steps, else None."""
        self._step += 1
        return self._measure() if self._due() else None

    def clip(self, max_norm):
        """Clips the gradients to max_norm (torch.nn.utils.clip_grad_norm_), records the pre-clip norms, and counts
        the step as clipped when the norm exceeded max_norm. Returns the pre-clip global norm tensor."""
        self._step += 1
        total = self._measure() if self._due() else None
        if total is None:
            total = torch.nn.utils.clip_grad_norm_(self._params, max_norm)
        else:
            torch.nn.utils.clip_grad_norm_(self._params, max_norm)
        clipped = (total.detach() > max_norm).to(torch.float32)
        self._clipped = clipped if self._clipped is None else self._clipped + clipped
        self._clip_calls += 1
        return total

    def _due(self):
        if (self._step - 1) % self.every:
            return False
        if self.budget is None or not self._measured:
            return True
        return self._spent <= self.budget * (time.perf_counter() - self._started)

    def _measure(self):
        started = time.perf_counter()
        total = self._record()
        self._spent += time.perf_counter() - started
        return total

    def _record(self):
        grads = [(i, p.grad.detach()) for i, (_, p) in enumerate(self._named) if p.grad is not None]
        if not grads:
            return None
        norms = _norms([g for _, g in grads])
        total = torch.linalg.vector_norm(norms)
        self._measured += 1
        self._sum_global = total if self._sum_global is None else self._sum_global + total
        self._max_global = total if self._max_global is None else torch.maximum(self._max_global, total)
        if self.per_layer:
            if self._sum_layers is None:
                self._sum_layers = torch.zeros(len(self._named), device=norms.device)
            if len(grads) == len(self._named):
                self._sum_layers += norms
            else:  # some parameters had no gradient this step (frozen or unused)
                index = torch.tensor([i for i, _ in grads], device=norms.device)
                self._sum_layers.index_add_(0, index, norms)
        return total

    def count_samples(self, n):
        """Adds n training samples to the epoch's throughput."""
        self._samples += int(n)
        self._last_sample_time = time.perf_counter()

    def collect(self):
        """This epoch's figures as log_epoch keywords (unmeasured ones left out), then starts the next epoch.
        One device sync for all of them."""
        names, scalars = [], []  # stacked (and the layer norms appended) into one tensor, read with one .tolist()
        if self._measured:
            names += ["grad_norm", "grad_norm_max"]
            scalars += [self._sum_global / self._measured, self._max_global]
        if self._params:
            names.append("param_norm")
            scalars.append(torch.linalg.vector_norm(_norms([p.detach() for p in self._params])))
        if self._clip_calls:
            names.append("clipped_steps")
            scalars.append(self._clipped)
        layers = self.per_layer and self._measured and self._sum_layers is not None
        out = {}
        if scalars:
            device = scalars[0].device
            values = torch.stack([t.to(device=device, dtype=torch.float32) for t in scalars])
            if layers:
                values = torch.cat([values, (self._sum_layers / self._measured).to(device)])
            values = values.tolist()
            out.update(zip(names, values))
            if "clipped_steps" in out:
                out["clipped_steps"] = int(out["clipped_steps"])
            if layers:
                out["layer_grad_norms"] = dict(zip(self._layer_names, values[len(names):]))
        if self._samples and self._last_sample_time is not None and self._last_sample_time > self._started:
            out["samples_per_second"] = self._samples / (self._last_sample_time - self._started)
        memory = int(torch.cuda.max_memory_allocated(self.device)) if self._cuda else _peak_rss_bytes()
        if memory is not None:
            out["memory_bytes"] = memory
        self._reset()
        return out
