package io.trainwatch.stack;

import java.lang.reflect.InvocationTargetException;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Owns the one LocalStack of this JVM for tests. {@link LocalStackTestResource} reaches it through the system class
 * loader, because Quarkus loads test resources and test classes in class loaders of its own that it closes when an
 * application stops: a broker whose classes come from a closed loader cannot load a class it has not needed yet.
 */
public final class SharedLocalStack {

    /** Broker and PostgreSQL chatter that drowns test output; kept referenced so the levels stick. */
    private static final List<Logger> QUIETED = List.of(Logger.getLogger("kafka"), Logger.getLogger("org.apache.kafka"),
            Logger.getLogger("state.change.logger"), Logger.getLogger("io.zonky"));

    /** System property that selects where the shared test stack's servers come from. */
    static final String STACK_PROPERTY = "trainwatch.stack";
    static final String CONTAINERS = "containers";

    private static LocalStack stack;

    private SharedLocalStack() {
    }

    /** The started shared stack, built on first use with the defaults (and external servers from the environment). */
    static synchronized LocalStack stack() {
        if (stack == null) {
            if (!Boolean.getBoolean("trainwatch.stack.verbose")) {
                // Through java.util.logging, which Quarkus tests route to JBoss LogManager, like the slf4j calls.
                QUIETED.forEach(logger -> logger.setLevel(Level.WARNING));
            }
            LocalStack started = builder().build().start();
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "trainwatch-local-stack-stop"));
            stack = started;
        }
        return stack;
    }

    /**
     * The embedded stack's builder, or with {@value #STACK_PROPERTY}={@value #CONTAINERS} (set by
     * {@code -Pcontainers}) one pointed at Testcontainers Kafka and PostgreSQL. ContainerServers is compiled only in
     * that profile, hence the reflection.
     */
    private static LocalStack.Builder builder() {
        LocalStack.Builder builder = LocalStack.builder();
        if (!CONTAINERS.equals(System.getProperty(STACK_PROPERTY))) {
            return builder;
        }
        try {
            return (LocalStack.Builder) Class.forName("io.trainwatch.stack.ContainerServers")
                    .getMethod("external", LocalStack.Builder.class).invoke(null, builder);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException(STACK_PROPERTY + "=" + CONTAINERS + " but the containers did not start"
                    + " (is Docker running?): " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(STACK_PROPERTY + "=" + CONTAINERS
                    + " but ContainerServers is missing: build with -Pcontainers: " + e, e);
        }
    }

    /** The shared stack as JDK types only, for a caller in another class loader; public for reflection. */
    public static Map<String, Object> handle() {
        return stack().handle();
    }
}
