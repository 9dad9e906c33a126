package io.trainwatch.trainer;

import java.net.InetAddress;
import java.util.UUID;

/** Who this trainer host is: its host name and an id unique to this process (for ce_source and the control group). */
public final class TrainerHost {

    public static final String HOST_NAME = hostName();
    public static final String INSTANCE_ID = HOST_NAME + "-" + UUID.randomUUID().toString().substring(0, 8);

    private TrainerHost() {
    }

    /** The CloudEvents {@code ce_source} of this host's events. */
    public static String source() {
        return "/trainwatch/trainer-host/" + HOST_NAME;
    }

    private static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "localhost";
        }
    }
}
