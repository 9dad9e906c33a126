package io.trainwatch.stack;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.lang.reflect.InvocationTargetException;
import java.util.Map;

/**
 * Gives every {@code @QuarkusTest} in a JVM the same LocalStack: started on first use, stopped by a JVM shutdown
 * hook. {@link #stop()} does nothing, so test classes and profiles share it instead of restarting Kafka and
 * PostgreSQL each time.
 *
 * <pre>{@code
 * @QuarkusTest
 * @QuarkusTestResource(LocalStackTestResource.class)
 * class IngestTest { ... LocalStackTestResource.stack().stopKafka(); ... }
 * }</pre>
 */
public class LocalStackTestResource implements QuarkusTestResourceLifecycleManager {

    private static final String SHARED_CLASS = "io.trainwatch.stack.SharedLocalStack";

    /**
     * The shared, started stack, for tests that produce or consume directly or stop and start Kafka. Whichever
     * class loader asks, the servers are the same ones.
     */
    public static Stack stack() {
        Class<?> owner = ownerClass();
        if (owner == SharedLocalStack.class) {
            return SharedLocalStack.stack();
        }
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> handle = (Map<String, Object>) owner.getMethod("handle").invoke(null);
            return new RemoteStack(handle);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException("LocalStack did not start: " + cause, cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Cannot reach " + SHARED_CLASS + " in the system class loader: " + e, e);
        }
    }

    /** The system class loader's copy when it has one (surefire, IDEs): it lives as long as the JVM. */
    private static Class<?> ownerClass() {
        try {
            return Class.forName(SHARED_CLASS, true, ClassLoader.getSystemClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return SharedLocalStack.class;
        }
    }

    @Override
    public Map<String, String> start() {
        return stack().quarkusConfig();
    }

    /** Nothing: the stack outlives this test class; the JVM shutdown hook stops it. */
    @Override
    public void stop() {
    }
}
