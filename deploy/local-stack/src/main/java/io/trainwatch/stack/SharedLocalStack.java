package io.trainwatch.stack;

import java.util.Map;

/**
 * Owns the one LocalStack of this JVM for tests. {@link LocalStackTestResource} reaches it through the system class
 * loader, because Quarkus loads test resources and test classes in class loaders of its own that it closes when an
 * application stops: a broker whose classes come from a closed loader cannot load a class it has not needed yet.
 */
public final class SharedLocalStack {

    private static LocalStack stack;

    private SharedLocalStack() {
    }

    /** The started shared stack, built on first use with the defaults (and external servers from the environment). */
    static synchronized LocalStack stack() {
        if (stack == null) {
            LocalStack started = LocalStack.builder().build().start();
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "trainwatch-local-stack-stop"));
            stack = started;
        }
        return stack;
    }

    /** The shared stack as JDK types only, for a caller in another class loader; public for reflection. */
    public static Map<String, Object> handle() {
        return stack().handle();
    }
}
