package io.trainwatch.stack;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A started Kafka and PostgreSQL as tests and {@code ./run} see them: their endpoints and credentials, and the
 * outage switches. {@link LocalStack} owns the servers; {@link RemoteStack} drives one owned by another class loader.
 */
public interface Stack {

    String kafkaBootstrapServers();

    /** {@code jdbc:postgresql://127.0.0.1:PORT/trainwatch}, or the external TRAINWATCH_DB_URL as given. */
    String jdbcUrl();

    /** The Vert.x form of {@link #jdbcUrl()}: {@code postgresql://127.0.0.1:PORT/trainwatch}, without JDBC parameters. */
    default String reactiveUrl() {
        return LocalStack.reactiveUrlOf(jdbcUrl());
    }

    String username();

    /**
     * The password of {@link #username()}: the external one as given, or the embedded server's, generated on the
     * data dir's first start and kept in {@link #passwordFile()}.
     */
    String password();

    /**
     * Where the embedded PostgreSQL's password for {@link #username()} is stored (mode 0600, in the data dir);
     * empty when PostgreSQL is external.
     */
    Optional<Path> passwordFile();

    String database();

    /** Where the broker's log dir and PostgreSQL's data live (also used when both are external). */
    Path dataDir();

    boolean kafkaEmbedded();

    boolean postgresEmbedded();

    boolean kafkaRunning();

    /**
     * Stops only the embedded broker, keeping its port and log dir, so that clients see an outage.
     * Does nothing if it is already stopped.
     *
     * @throws IllegalStateException when Kafka is external: it cannot be stopped from here
     */
    void stopKafka();

    /**
     * Starts the embedded broker again on the same port and log dir, after {@link #stopKafka()}: topics and
     * records survive. Returns once it answers and every topic partition has a leader.
     */
    void startKafka();

    /**
     * Stops only the embedded PostgreSQL (fast shutdown: connections are cut), keeping its port and data, so that
     * clients see an outage. Does nothing if it is already stopped.
     *
     * @throws IllegalStateException when PostgreSQL is external: it cannot be stopped from here
     */
    void stopPostgres();

    /** Starts the embedded PostgreSQL again on the same port and data, after {@link #stopPostgres()}. */
    void startPostgres();

    /**
     * The settings a Quarkus app needs, as Quarkus property names: kafka.bootstrap.servers and the datasource
     * JDBC and reactive URLs, username and password.
     */
    default Map<String, String> quarkusConfig() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("kafka.bootstrap.servers", kafkaBootstrapServers());
        config.put("quarkus.datasource.jdbc.url", jdbcUrl());
        config.put("quarkus.datasource.reactive.url", reactiveUrl());
        config.put("quarkus.datasource.username", username());
        config.put("quarkus.datasource.password", password());
        return config;
    }

    /** The same settings as {@link #quarkusConfig()}, as the environment variables Quarkus maps to them. */
    default Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put(LocalStack.KAFKA_BOOTSTRAP_SERVERS, kafkaBootstrapServers());
        env.put("QUARKUS_DATASOURCE_JDBC_URL", jdbcUrl());
        env.put("QUARKUS_DATASOURCE_REACTIVE_URL", reactiveUrl());
        env.put("QUARKUS_DATASOURCE_USERNAME", username());
        env.put("QUARKUS_DATASOURCE_PASSWORD", password());
        return env;
    }
}
