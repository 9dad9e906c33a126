package io.trainwatch.dashboard;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks the packaged dashboard as a browser would meet it: the files are where Quarkus serves them from
 * (META-INF/resources on the class path), every module import resolves, nothing is loaded from the internet, and
 * every data-testid that docs/dashboard.md promises to the browser test exists in the sources.
 */
class DashboardAssetsTest {

    private static final String ROOT = "META-INF/resources/";
    private static final List<String> ASSETS = List.of("index.html", "app.js", "api.js", "charts.js", "app.css");

    private static String asset(String name) throws IOException {
        try (InputStream in = DashboardAssetsTest.class.getClassLoader().getResourceAsStream(ROOT + name)) {
            assertNotNull(in, ROOT + name + ": must be on the class path (served by Quarkus at /" + name + ")");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void indexLoadsTheStylesheetAndTheEntryModule() throws IOException {
        String index = asset("index.html");
        assertTrue(index.contains("href=\"app.css\""), "index.html: must link app.css");
        assertTrue(index.contains("<script type=\"module\" src=\"app.js\">"), "index.html: must load app.js as a module");
    }

    @Test
    void everyModuleImportResolvesToAPackagedFile() throws IOException {
        Pattern importFrom = Pattern.compile("^import .* from '([^']+)';", Pattern.MULTILINE);
        int imports = 0;
        for (String name : ASSETS) {
            if (!name.endsWith(".js")) {
                continue;
            }
            Matcher m = importFrom.matcher(asset(name));
            while (m.find()) {
                String target = m.group(1);
                assertTrue(target.startsWith("./"), name + ": import '" + target + "' must be relative (no bare or remote specifiers)");
                asset(target.substring(2));
                imports++;
            }
        }
        assertTrue(imports >= 2, "expected the modules to import each other, found " + imports + " imports");
    }

    @Test
    void nothingIsLoadedFromTheInternet() throws IOException {
        Pattern remote = Pattern.compile("(?i)(https?:)?//[a-z0-9.-]+\\.[a-z]{2,}/");
        for (String name : ASSETS) {
            Matcher m = remote.matcher(asset(name));
            List<String> found = new ArrayList<>();
            while (m.find()) {
                found.add(m.group());
            }
            assertEquals(List.of(), found, name + ": must not reference remote URLs");
        }
    }

    @Test
    void everyDocumentedTestIdExists() throws IOException {
        Path doc = Path.of("..", "docs", "dashboard.md");
        assertTrue(Files.exists(doc), "docs/dashboard.md: must exist beside the module");
        String text = Files.readString(doc);
        int table = text.indexOf("## Test ids");
        assertTrue(table >= 0, "docs/dashboard.md: must have a '## Test ids' section");
        Matcher m = Pattern.compile("^\\| `([a-z0-9-]+)(<[a-z]+>)?` ", Pattern.MULTILINE).matcher(text.substring(table));
        Set<String> documented = new LinkedHashSet<>();
        while (m.find()) {
            documented.add(m.group(1));
        }
        assertTrue(documented.size() >= 20, "docs/dashboard.md: expected the data-testid table, found " + documented);
        StringBuilder sources = new StringBuilder();
        for (String name : ASSETS) {
            sources.append(asset(name));
        }
        String all = sources.toString();
        List<String> missing = new ArrayList<>();
        for (String id : documented) {
            // Fixed ids appear as data-testid="id"; chart ids through chartPanel('name', …) as name-chart and
            // name-log; per-run/per-kind ids as a prefix followed by an interpolation.
            boolean fixed = all.contains("data-testid=\"" + id + "\"")
                    || all.contains(", '" + id + "')"); // handed to a helper that renders data-testid (actionBadge)
            String chartName = id.replaceFirst("-(chart|log)$", "");
            boolean chart = !chartName.equals(id) && all.contains("chartPanel('" + chartName + "'");
            boolean prefixed = id.endsWith("-") && (all.contains("data-testid=\"" + id + "${") || all.contains("`" + id + "${"));
            if (!fixed && !chart && !prefixed) {
                missing.add(id);
            }
        }
        assertTrue(missing.isEmpty(), "data-testid documented but not in the sources: " + missing);
    }
}
