package io.trainwatch.cli;

/** ANSI colours, or none: colour only when stdout is a terminal, and never with --no-color or NO_COLOR. */
public record Style(boolean color) {

    public static final Style PLAIN = new Style(false);

    /** picocli's AUTO checks the console, NO_COLOR, CLICOLOR and TERM=dumb for us. */
    public static Style detect(boolean noColor) {
        return new Style(!noColor && picocli.CommandLine.Help.Ansi.AUTO.enabled());
    }

    public String red(String s) {
        return wrap("31;1", s);
    }

    public String yellow(String s) {
        return wrap("33", s);
    }

    public String green(String s) {
        return wrap("32", s);
    }

    public String cyan(String s) {
        return wrap("36", s);
    }

    public String bold(String s) {
        return wrap("1", s);
    }

    public String dim(String s) {
        return wrap("2", s);
    }

    /** Colour by alert severity: critical red, warning yellow, info cyan. */
    public String severity(String severity, String s) {
        if (severity == null) {
            return s;
        }
        return switch (severity) {
            case "critical" -> red(s);
            case "warning" -> yellow(s);
            default -> cyan(s);
        };
    }

    /** Colour by recommended action: stop red, reduce_lr/investigate yellow, continue green. */
    public String action(String action, String s) {
        if (action == null) {
            return s;
        }
        return switch (action) {
            case "stop" -> red(s);
            case "reduce_lr", "investigate" -> yellow(s);
            case "continue" -> green(s);
            default -> s;
        };
    }

    private String wrap(String code, String s) {
        return color ? "\u001b[" + code + "m" + s + "\u001b[0m" : s;
    }
}
