package io.trainwatch.trainer;

import io.quarkus.runtime.StartupEvent;
import io.trainwatch.trainer.training.Devices;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * DJL never downloads anything here: the PyTorch natives ship with the build (the {@code cpu} or {@code gpu} Maven
 * profile), so {@code ai.djl.offline} defaults to true. Loading the engine at start-up also moves the one-off native
 * extraction (seconds, the first time on a machine) out of the first job's submission.
 */
@ApplicationScoped
public class DjlSetup {

    private static final Logger LOG = Logger.getLogger(DjlSetup.class);

    void onStart(@Observes StartupEvent event) {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        try {
            int gpus = Devices.gpuCount();
            LOG.infof("DJL %s ready: %d GPU(s) visible; device auto trains on %s", ai.djl.engine.Engine.getInstance().getEngineName()
                    + " " + ai.djl.engine.Engine.getInstance().getVersion(), gpus, gpus > 0 ? "gpu:0" : "cpu");
        } catch (RuntimeException | LinkageError e) {
            LOG.errorf(e, "DJL engine failed to load; jobs will fail until this is fixed: %s", e.getMessage());
        }
    }
}
