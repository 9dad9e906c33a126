package io.trainwatch.trainer.messaging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** A bootstrap address where no Kafka listens: a local port that was free a moment ago. */
public final class UnreachableKafka {

    private UnreachableKafka() {
    }

    public static int port() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String address() {
        return "127.0.0.1:" + port();
    }
}
