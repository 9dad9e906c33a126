package io.trainwatch.trainer.datasets;

import java.util.Map;

/** The training and validation splits of one job's data, with the name {@code run.started} reports. */
public record TrainValData(String name, Samples train, Samples val) {

    public int numClasses() {
        return train.numClasses();
    }

    public boolean regression() {
        return train.regression();
    }

    public Map<String, Double> classBalance() {
        return train.classBalance();
    }
}
