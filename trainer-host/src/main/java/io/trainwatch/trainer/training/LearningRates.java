package io.trainwatch.trainer.training;

import ai.djl.training.tracker.Tracker;
import io.trainwatch.trainer.spec.LrScheduleSpec;

/**
 * The learning-rate schedule as a DJL {@link Tracker}. DJL's optimizers ask it with the update count (1 for the
 * first step), and so does the metrics listener, so the reported rate is exactly the one applied. Written here
 * rather than composed from DJL's trackers so that the schedule is in epochs and easy to test.
 */
public final class LearningRates {

    private LearningRates() {
    }

    public static Tracker tracker(LrScheduleSpec spec, double baseLr, int stepsPerEpoch, int epochs) {
        final double base = baseLr;
        final int totalSteps = Math.max(1, stepsPerEpoch * epochs);
        return switch (spec.type()) {
            case "constant" -> Tracker.fixed((float) base);
            case "step" -> {
                int every = Math.max(1, spec.stepEpochs() * stepsPerEpoch);
                yield n -> (float) (base * Math.pow(spec.gamma(), (Math.max(n, 1) - 1) / every));
            }
            case "cosine" -> n -> (float) cosine(base, spec.minLr(), n, 0, totalSteps);
            case "warmup" -> {
                int warm = Math.max(1, (int) Math.round(spec.warmupEpochs() * stepsPerEpoch));
                double start = base * spec.warmupStartFactor();
                boolean cosineAfter = spec.after().equals("cosine");
                yield n -> {
                    if (n <= warm) {
                        return (float) (start + (base - start) * n / warm);
                    }
                    return (float) (cosineAfter ? cosine(base, spec.minLr(), n, warm, totalSteps) : base);
                };
            }
            default -> throw new IllegalArgumentException("lr_schedule.type: unknown " + spec.type());
        };
    }

    private static double cosine(double base, double min, int n, int from, int to) {
        double progress = Math.min(1.0, Math.max(0.0, (n - 1 - from) / (double) Math.max(1, to - 1 - from)));
        return min + (base - min) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
