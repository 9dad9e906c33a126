package io.trainwatch.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** The one host the local stack listens on, and its port choices. */
final class Ports {

    static final String HOST = "127.0.0.1";

    private Ports() {
    }

    static int free() {
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getByName(HOST))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free port on " + HOST + ": " + e.getMessage(), e);
        }
    }

    /** The requested port, or a free one for 0. */
    static int choose(String field, int requested) {
        return requested == 0 ? free() : requireFree(field, requested);
    }

    /** Fails early with the port named: otherwise a busy port surfaces as a bind error deep in the server. */
    static int requireFree(String field, int port) {
        try (ServerSocket socket = new ServerSocket(port, 50, InetAddress.getByName(HOST))) {
            socket.setReuseAddress(true);
            return port;
        } catch (IOException e) {
            throw new IllegalStateException(field + ": " + HOST + ":" + port + " is already in use ("
                    + e.getMessage() + "); stop what listens there or choose another port", e);
        }
    }

    static int requireStarted(int port, String what) {
        if (port == 0) {
            throw new IllegalStateException(what + ": the stack is not started; call start()");
        }
        return port;
    }
}
