package io.trainwatch.stack;

import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * Kafka and PostgreSQL in Docker containers (Testcontainers), for {@code ./mvnw verify -Pcontainers}: the shared
 * test stack then uses them as external servers instead of starting its own. Compiled only in that profile, so the
 * default build needs neither Testcontainers nor Docker. Images: {@code trainwatch.containers.kafka-image} and
 * {@code trainwatch.containers.postgres-image} (the profile sets the versions the embedded stack runs).
 */
public final class ContainerServers {

    private static KafkaContainer kafka;
    private static PostgreSQLContainer postgres;

    private ContainerServers() {
    }

    /**
     * Starts both containers once per JVM and points the builder at them. Testcontainers' reaper removes them when
     * the JVM exits; the shutdown hook stops them earlier on a normal exit.
     */
    public static synchronized LocalStack.Builder external(LocalStack.Builder builder) {
        if (kafka == null) {
            // Testcontainers finds its Docker client strategies with ServiceLoader on the context class loader; in a
            // Quarkus test that is Quarkus' loader, whose copies are not subtypes of ours (system class loader).
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(ContainerServers.class.getClassLoader());
            try {
                start();
            } finally {
                thread.setContextClassLoader(previous);
            }
        }
        return builder.optExternalKafka(kafka.getBootstrapServers())
                .optExternalDatabase(postgres.getJdbcUrl(), postgres.getUsername(), postgres.getPassword());
    }

    private static void start() {
        KafkaContainer k = new KafkaContainer(image("trainwatch.containers.kafka-image"));
        PostgreSQLContainer p = new PostgreSQLContainer(image("trainwatch.containers.postgres-image"))
                .withDatabaseName("trainwatch")
                .withUsername("trainwatch")
                // A random password like the embedded server's: nothing that connects may assume a fixed one.
                .withPassword(PostgresCredentials.generate());
        k.start();
        p.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            p.stop();
            k.stop();
        }, "trainwatch-containers-stop"));
        kafka = k;
        postgres = p;
    }

    private static String image(String property) {
        String image = System.getProperty(property);
        if (image == null || image.isBlank()) {
            throw new IllegalStateException(property + ": not set; run with -Pcontainers, which sets it");
        }
        return image;
    }
}
