package io.trainwatch.stack;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A {@link Stack} owned by another class loader (see {@link LocalStackTestResource}), reached through a map of JDK
 * types only ({@link #handleOf(Stack)}): the owner's classes are not this loader's, so no cast could cross over.
 * It cannot start or close the stack; its owner does.
 */
final class RemoteStack implements Stack {

    private final Map<String, Object> handle;

    RemoteStack(Map<String, Object> handle) {
        this.handle = Map.copyOf(handle);
    }

    /** Suppliers and Runnables for every method of {@link Stack}, for {@link #RemoteStack(Map)} in another loader. */
    static Map<String, Object> handleOf(Stack stack) {
        Map<String, Object> handle = new LinkedHashMap<>();
        handle.put("kafkaBootstrapServers", (Supplier<String>) stack::kafkaBootstrapServers);
        handle.put("jdbcUrl", (Supplier<String>) stack::jdbcUrl);
        handle.put("reactiveUrl", (Supplier<String>) stack::reactiveUrl);
        handle.put("username", (Supplier<String>) stack::username);
        handle.put("password", (Supplier<String>) stack::password);
        handle.put("passwordFile", (Supplier<String>) () -> stack.passwordFile().map(Path::toString).orElse(""));
        handle.put("database", (Supplier<String>) stack::database);
        handle.put("dataDir", (Supplier<String>) () -> stack.dataDir().toString());
        handle.put("kafkaEmbedded", (Supplier<String>) () -> Boolean.toString(stack.kafkaEmbedded()));
        handle.put("postgresEmbedded", (Supplier<String>) () -> Boolean.toString(stack.postgresEmbedded()));
        handle.put("kafkaRunning", (Supplier<String>) () -> Boolean.toString(stack.kafkaRunning()));
        handle.put("stopKafka", (Runnable) stack::stopKafka);
        handle.put("startKafka", (Runnable) stack::startKafka);
        handle.put("stopPostgres", (Runnable) stack::stopPostgres);
        handle.put("startPostgres", (Runnable) stack::startPostgres);
        return Map.copyOf(handle);
    }

    @Override
    public String kafkaBootstrapServers() {
        return get("kafkaBootstrapServers");
    }

    @Override
    public String jdbcUrl() {
        return get("jdbcUrl");
    }

    @Override
    public String reactiveUrl() {
        return get("reactiveUrl");
    }

    @Override
    public String username() {
        return get("username");
    }

    @Override
    public String password() {
        return get("password");
    }

    @Override
    public Optional<Path> passwordFile() {
        String file = get("passwordFile");
        return file.isEmpty() ? Optional.empty() : Optional.of(Path.of(file));
    }

    @Override
    public String database() {
        return get("database");
    }

    @Override
    public Path dataDir() {
        return Path.of(get("dataDir"));
    }

    @Override
    public boolean kafkaEmbedded() {
        return Boolean.parseBoolean(get("kafkaEmbedded"));
    }

    @Override
    public boolean postgresEmbedded() {
        return Boolean.parseBoolean(get("postgresEmbedded"));
    }

    @Override
    public boolean kafkaRunning() {
        return Boolean.parseBoolean(get("kafkaRunning"));
    }

    @Override
    public void stopKafka() {
        run("stopKafka");
    }

    @Override
    public void startKafka() {
        run("startKafka");
    }

    @Override
    public void stopPostgres() {
        run("stopPostgres");
    }

    @Override
    public void startPostgres() {
        run("startPostgres");
    }

    @Override
    public String toString() {
        return "RemoteStack(" + kafkaBootstrapServers() + ", " + jdbcUrl() + ")";
    }

    private String get(String key) {
        @SuppressWarnings("unchecked")
        Supplier<String> supplier = (Supplier<String>) handle.get(key);
        return supplier.get();
    }

    private void run(String key) {
        ((Runnable) handle.get(key)).run();
    }
}
