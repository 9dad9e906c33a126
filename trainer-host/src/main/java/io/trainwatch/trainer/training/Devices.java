package io.trainwatch.trainer.training;

import ai.djl.Device;
import ai.djl.engine.Engine;

/** Picks the training device: {@code auto} takes a GPU only when DJL's engine sees one. */
public final class Devices {

    private Devices() {
    }

    public static int gpuCount() {
        return Engine.getInstance().getGpuCount();
    }

    /** @throws IllegalArgumentException for {@code gpu} when no GPU is visible */
    public static Device resolve(String requested) {
        return switch (requested) {
            case "cpu" -> Device.cpu();
            case "gpu" -> {
                if (gpuCount() == 0) {
                    throw new IllegalArgumentException("device: gpu was requested but DJL sees no GPU (build with -Pgpu on a CUDA host, or use auto/cpu)");
                }
                yield Device.gpu();
            }
            default -> gpuCount() > 0 ? Device.gpu() : Device.cpu();
        };
    }

    /** "cpu" or "gpu:0", as {@code run.started} reports it. */
    public static String describe(Device device) {
        return device.isGpu() ? "gpu:" + device.getDeviceId() : "cpu";
    }
}
