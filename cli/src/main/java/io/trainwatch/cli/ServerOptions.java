package io.trainwatch.cli;

import picocli.CommandLine.Option;

/**
 * The server options, accepted before and after the command name ({@code trainwatch --url U runs} and
 * {@code trainwatch runs --url U}); the command's own value wins, then the global one, then the environment.
 */
public class ServerOptions {

    static final String DEFAULT_URL = "http://localhost:8080";
    static final String DEFAULT_TRAINER_URL = "http://localhost:8081";

    @Option(names = "--url", paramLabel = "URL",
            description = "metrics-api base URL (default: $TRAINWATCH_URL, else " + DEFAULT_URL + ")")
    String url;

    @Option(names = "--trainer-url", paramLabel = "URL",
            description = "trainer-host base URL (default: $TRAINWATCH_TRAINER_URL, else " + DEFAULT_TRAINER_URL + ")")
    String trainerUrl;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "bearer token sent to both servers (default: $TRAINWATCH_TOKEN; ./run prints the admin token)")
    String token;

    @Option(names = "--no-color", description = "no ANSI colour even on a terminal (also: NO_COLOR set)")
    boolean noColor;
}
