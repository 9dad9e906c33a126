package io.trainwatch.analysis;

/**
 * Throughput: samples per second (or epoch duration) over the window, its trend, the mean epoch time and the time
 * left. Null while the trainer reports neither.
 */
final class ThroughputRule implements Rule<Verdict.Throughput> {

    private final double change;
    private final Ring durations;
    private final Ring speeds;

    ThroughputRule(AnalysisSettings s, RunState.Settings common) {
        change = s.threshold("throughput.change");
        if (!(change > 0)) {
            throw new IllegalArgumentException("throughput.change: must be > 0, was " + change);
        }
        durations = new Ring(common.window());
        speeds = new Ring(common.window());
    }

    @Override
    public Verdict.Throughput observe(EpochPoint p, RunState state, Findings f) {
        if (p.durationMs() != null) {
            durations.add(p.epoch(), p.durationMs());
        }
        RunState.addFinite(speeds, p.epoch(), p.samplesPerSecond());
        return judge(p.epoch(), state, f);
    }

    /** Durations of the epochs in the window, for the compute spent since the best. */
    boolean anyDuration() {
        return durations.size() > 0;
    }

    private Verdict.Throughput judge(int e, RunState state, Findings f) {
        if (durations.size() == 0 && speeds.size() == 0) {
            f.notAssessed("throughput: no duration_ms or samples_per_second");
            return null;
        }
        Double sps = speeds.size() > 0 ? Fmt.round(speeds.lastY()) : null;
        String trend = null;
        if (speeds.size() >= 3) {
            Ring.Fit fit = speeds.fit(speeds.size());
            double level = Math.abs(fit.meanY());
            double change = level > 0 ? fit.slope() * (speeds.size() - 1) / level : 0;
            trend = change > change ? "rising" : change < -change ? "falling" : "stable";
        } else if (durations.size() >= 3) {
            Ring.Fit fit = durations.fit(durations.size());
            double level = Math.abs(fit.meanY());
            double change = level > 0 ? fit.slope() * (durations.size() - 1) / level : 0;
            trend = change > change ? "falling" : change < -change ? "rising" : "stable";
        }
        Double epochSeconds = durations.size() > 0 ? Fmt.round(durations.meanLast(durations.size()) / 1000.0) : null;
        Double eta = null;
        if (epochSeconds != null && state.totalEpochs != null) {
            int remaining = Math.max(0, state.totalEpochs - 1 - e);
            eta = Fmt.round(remaining * epochSeconds);
        } else if (state.totalEpochs == null) {
            f.notAssessed("throughput.eta_seconds: total_epochs unknown");
        }
        return new Verdict.Throughput(sps, trend, epochSeconds, eta);
    }
}
