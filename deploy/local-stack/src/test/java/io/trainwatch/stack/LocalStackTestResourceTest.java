package io.trainwatch.stack;

import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shared stack outside Quarkus: one instance per JVM, the five settings, a stop() that stops nothing, and the
 * view that a test in a Quarkus class loader gets (here built directly from the handle).
 */
class LocalStackTestResourceTest {

    @Test
    void sharesOneStartedStackAndSuppliesTheQuarkusSettings() throws Exception {
        LocalStackTestResource resource = new LocalStackTestResource();
        Map<String, String> config = resource.start();
        Stack stack = LocalStackTestResource.stack();
        assertSame(stack, LocalStackTestResource.stack(), "one stack per JVM");

        assertEquals(Map.of(
                "kafka.bootstrap.servers", stack.kafkaBootstrapServers(),
                "quarkus.datasource.jdbc.url", stack.jdbcUrl(),
                "quarkus.datasource.reactive.url", stack.reactiveUrl(),
                "quarkus.datasource.username", "trainwatch",
                "quarkus.datasource.password", stack.password()), config);
        assertNotEquals("trainwatch", stack.password(), "a generated password, not the old fixed one");

        resource.stop();
        new LocalStackTestResource().stop();
        assertTrue(stack.kafkaRunning(), "stop() of the lifecycle manager leaves the shared stack running");
        try (Connection connection = DriverManager.getConnection(stack.jdbcUrl(), stack.username(),
                stack.password())) {
            assertTrue(connection.isValid(5), "PostgreSQL still answers after stop()");
        }
        assertEquals(config, new LocalStackTestResource().start(), "a second test class gets the same servers");
    }

    @Test
    void aViewFromAnotherClassLoaderDrivesTheSameStack() {
        LocalStack stack = SharedLocalStack.stack();
        Stack view = new RemoteStack(stack.handle());

        assertEquals(stack.quarkusConfig(), view.quarkusConfig());
        assertEquals(stack.environment(), view.environment());
        assertEquals(stack.dataDir(), view.dataDir());
        assertEquals(stack.passwordFile(), view.passwordFile());
        assertEquals(stack.database(), view.database());
        assertEquals(stack.kafkaEmbedded(), view.kafkaEmbedded());
        assertEquals(stack.postgresEmbedded(), view.postgresEmbedded());

        view.stopKafka();
        assertFalse(stack.kafkaRunning(), "the view stopped the real broker");
        assertFalse(view.kafkaRunning());
        view.startKafka();
        assertTrue(stack.kafkaRunning(), "the view started the real broker again");
        assertTrue(view.kafkaRunning());
    }
}
