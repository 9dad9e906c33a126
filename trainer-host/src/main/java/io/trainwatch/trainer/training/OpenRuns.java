package io.trainwatch.trainer.training;

import io.trainwatch.contracts.RunFinished;
import io.trainwatch.contracts.RunStarted;
import io.trainwatch.contracts.TrainwatchEvent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The runs this host has started and not finished, one id a line in a file beside the spool. A host killed mid-run
 * leaves them there; the next start reports each as failed, so no run stays {@code running} forever. Written only
 * when a run starts or finishes, replaced atomically.
 */
public final class OpenRuns {

    private final Path file;
    private final Set<String> ids = new LinkedHashSet<>();

    public OpenRuns(Path file) {
        this.file = file;
        try {
            if (Files.exists(file)) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (!line.isBlank()) {
                        ids.add(line.trim());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("open runs file " + file + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** The ids left open, in the order their runs started. */
    public synchronized List<String> ids() {
        return List.copyOf(ids);
    }

    /** Call before publishing: a run.started is recorded before it can reach anyone, a run.finished after. */
    public void beforePublish(TrainwatchEvent event) {
        if (event instanceof RunStarted) {
            opened(event.runId());
        }
    }

    public void afterPublish(TrainwatchEvent event) {
        if (event instanceof RunFinished) {
            closed(event.runId());
        }
    }

    public synchronized void opened(String runId) {
        if (ids.add(runId)) {
            write();
        }
    }

    public synchronized void closed(String runId) {
        if (ids.remove(runId)) {
            write();
        }
    }

    private void write() {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.getParent());
            Files.write(tmp, ids, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("open runs file " + file + " cannot be written: " + e.getMessage(), e);
        }
    }
}
