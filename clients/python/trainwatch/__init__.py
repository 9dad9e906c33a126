"""Trainwatch client: report a Python training loop to Trainwatch and learn when an agent cancels it.

    import trainwatch
    run = trainwatch.init(project="digits", name="mlp-adam", config={"lr": 1e-3}, total_epochs=50)
    for epoch in range(50):
        ...
        run.log_epoch(epoch, train_loss=tl, val_loss=vl)
        if run.should_stop:
            print(run.stop_reason); break
    run.finish()

Standard library only. PyTorch helpers: `trainwatch.torch` (imports torch when you import it).
"""
__version__ = "0.1.0"

from ._run import Run, RunCancelled, init  # noqa: E402  (after __version__, which _http reads)

__all__ = ["init", "Run", "RunCancelled", "__version__"]
