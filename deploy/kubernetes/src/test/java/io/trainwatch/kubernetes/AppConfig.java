package io.trainwatch.kubernetes;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * One app's {@code src/main/resources/application.properties}, and the environment variables the app reads:
 * those its properties name as {@code ${NAME}} or {@code ${NAME:default}}, the environment form of each property
 * it sets in any profile (Quarkus maps {@code TRAINWATCH_JOBS_MAX_CONCURRENT} to
 * {@code trainwatch.jobs.max-concurrent}), and a few read by libraries, listed here with the library.
 */
record AppConfig(String module, Properties properties, String text, Set<String> libraryEnv) {

    /** Read by DJL, not by Quarkus config: where it extracts the PyTorch natives. */
    private static final Map<String, Set<String>> LIBRARY_ENV = Map.of(
            "metrics-api", Set.of(),
            "trainer-host", Set.of("DJL_CACHE_DIR"));

    static AppConfig of(String module) {
        Path file = Manifests.REPO_DIR.resolve(module).resolve("src/main/resources/application.properties");
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            Properties properties = new Properties();
            properties.load(reader);
            return new AppConfig(module, properties, Files.readString(file, StandardCharsets.UTF_8),
                    LIBRARY_ENV.getOrDefault(module, Set.of()));
        } catch (IOException e) {
            throw new UncheckedIOException(module + ": cannot read " + file, e);
        }
    }

    /**
     * The key's value in application.properties, else its {@code @WithDefault} in the app's {@code @ConfigMapping}
     * source (metrics-api keeps its trainwatch.* defaults there only): the method named after the key's last segment,
     * in camel case.
     */
    String get(String key) {
        String value = properties.getProperty(key);
        if (value == null) {
            value = mappingDefault(key);
        }
        if (value == null) {
            throw new AssertionError(module + " application.properties has no " + key + ", and no @WithDefault for it");
        }
        return value;
    }

    private String mappingDefault(String key) {
        String last = key.substring(key.lastIndexOf('.') + 1);
        StringBuilder method = new StringBuilder();
        for (String part : last.split("-")) {
            method.append(method.length() == 0 ? part : Character.toUpperCase(part.charAt(0)) + part.substring(1));
        }
        java.util.regex.Pattern withDefault = java.util.regex.Pattern.compile(
                "@WithDefault\\(\"([^\"]*)\"\\)\\s+(?:@\\w+(?:\\([^)]*\\))?\\s+)*[\\w.<>]+\\s+" + method + "\\(\\)");
        try (var sources = Files.walk(Manifests.REPO_DIR.resolve(module).resolve("src/main/java"))) {
            for (Path source : sources.filter(f -> f.toString().endsWith("Config.java")).toList()) {
                java.util.regex.Matcher m = withDefault.matcher(Files.readString(source, StandardCharsets.UTF_8));
                if (m.find()) {
                    return m.group(1);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return null;
    }

    int httpPort() {
        return Integer.parseInt(get("quarkus.http.port"));
    }

    boolean readsEnv(String name) {
        if (libraryEnv.contains(name) || text.contains("${" + name + "}") || text.contains("${" + name + ":")) {
            return true;
        }
        return properties.stringPropertyNames().stream()
                .map(key -> key.startsWith("%") ? key.substring(key.indexOf('.') + 1) : key)
                .anyMatch(key -> envForm(key).equals(name));
    }

    /** Quarkus' mapping of a property name to an environment variable: non-alphanumerics become _, upper case. */
    static String envForm(String property) {
        return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }
}
