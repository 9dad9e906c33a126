package io.trainwatch.trainer.spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How the learning rate changes over the run, in epochs (converted to optimizer steps when training starts).
 *
 * <ul>
 *   <li>{@code constant}: the optimizer's learning rate throughout;</li>
 *   <li>{@code step}: multiplied by {@code gamma} every {@code step_epochs} epochs;</li>
 *   <li>{@code cosine}: cosine decay from the learning rate to {@code min_lr} at the last epoch;</li>
 *   <li>{@code warmup}: linear from {@code warmup_start_factor} × lr to lr over {@code warmup_epochs}, then
 *       {@code after} ({@code constant} or {@code cosine}).</li>
 * </ul>
 */
public record LrScheduleSpec(
        String type,
        int stepEpochs,
        double gamma,
        double minLr,
        double warmupEpochs,
        double warmupStartFactor,
        String after) {

    public static final List<String> TYPES = List.of("constant", "step", "cosine", "warmup");
    public static final List<String> AFTER_WARMUP = List.of("constant", "cosine");

    /** The parameters that matter for this type, for {@code run.started}'s hyperparameters. */
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        switch (type) {
            case "step" -> {
                p.put("step_epochs", stepEpochs);
                p.put("gamma", gamma);
            }
            case "cosine" -> p.put("min_lr", minLr);
            case "warmup" -> {
                p.put("warmup_epochs", warmupEpochs);
                p.put("warmup_start_factor", warmupStartFactor);
                p.put("after", after);
                if (after.equals("cosine")) {
                    p.put("min_lr", minLr);
                }
            }
            default -> { }
        }
        return p;
    }
}
