package io.trainwatch.e2e;

import io.trainwatch.contracts.CloudEvents;
import io.trainwatch.contracts.EventType;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Bad inputs for the fault suite, generated deterministically from a seed: the same seed gives the same corpus. Every
 * case breaks a rule of docs/api.md or docs/contracts.md on purpose; none is valid by accident (no truncation that
 * could still parse, no value Jackson would coerce).
 */
final class FuzzCorpus {

    /** A bad HTTP request: method, path with query, extra headers, body (null for none). */
    record HttpCase(String category, String method, String path, Map<String, String> headers, byte[] body) {
    }

    /** A bad Kafka record for the run-events topic: key, headers (absent ones left out), value. */
    record KafkaCase(String category, String key, Map<String, String> headers, byte[] value) {
    }

    private static final String[] HOSTILE = {"a\u0000b", "\ud800", "x\udfff", "\u202e\u202dRTL", "'; DROP TABLE runs; --",
            "<script>alert(1)</script>", "../../etc/passwd", "%00", "\u0000", "${jndi:ldap://x}"};
    /** Text no field may hold (the contracts' text rule): NUL, lone surrogates. */
    private static final String[] UNSTORABLE = {"a\u0000b", "\ud800", "x\udfff", "\u0000", "ok\udbff"};
    // Not "": Jackson reads an empty string as null, so the codec takes it for "not measured" (stored, not refused).
    private static final String[] NOT_A_NUMBER = {"\"abc\"", "{}", "[]", "\"1e999x\"", "[1]", "{\"v\":1}"};
    private static final String[] NOT_AN_EPOCH = {"\"x\"", "{}", "[]", "-1", "10000001", "null", "\"\"", "99999999999"};

    private final Random random;
    private final String runId;

    /** {@code runId}: an existing run that path and query cases address. */
    FuzzCorpus(long seed, String runId) {
        this.random = new Random(seed);
        this.runId = runId;
    }

    HttpCase nextHttp(int i) {
        String metrics = "/api/v1/runs/" + runId + "/metrics";
        Map<String, String> json = Map.of("Content-Type", "application/json");
        switch (random.nextInt(9)) {
            case 0: { // a proper prefix of a valid object never parses
                String valid = epochJson(random.nextInt(1000), "\"extra\":{\"f1\":0.5}");
                return new HttpCase("body-syntax", "POST", metrics, json,
                        bytes(valid.substring(0, 1 + random.nextInt(valid.length() - 1))));
            }
            case 1: {
                String[] bad = {"", "   ", "{\"epoch\":1} trailing", "{\"epoch\":1}{\"epoch\":2}", "nul", "{'epoch':1}",
                        "{\"epoch\":1,}", "[{\"epoch\":1},]"};
                return new HttpCase("body-syntax", "POST", metrics, json, bytes(bad[random.nextInt(bad.length)]));
            }
            case 2: {
                String field = pick("train_loss", "val_loss", "train_accuracy", "learning_rate", "duration_ms", "grad_norm");
                String body = random.nextBoolean()
                        ? "{\"epoch\":" + random.nextInt(1000) + ",\"" + field + "\":" + pick(NOT_A_NUMBER) + "}"
                        : "{\"epoch\":" + pick(NOT_AN_EPOCH) + ",\"train_loss\":0.5}";
                return new HttpCase("body-types", "POST", metrics, json, bytes(body));
            }
            case 3: {
                String[] bad = {"{}", "{\"train_loss\":0.5}", "[]", "[1,2]", "\"epoch\"", "42", "null", "true",
                        "{\"epoch\":1,\"run_id\":5}", "{\"epoch\":1,\"run_id\":\"other-run\"}",
                        "{\"epoch\":1,\"event_id\":\"has space\"}", "{\"epoch\":1,\"event_id\":7}",
                        "{\"epoch\":1,\"event_id\":\"" + "e".repeat(129) + "\"}"};
                return new HttpCase("body-missing-or-wrong", "POST", metrics, json, bytes(bad[random.nextInt(bad.length)]));
            }
            case 4: {
                String s = jsonString(pick(UNSTORABLE));
                String[] bad = {"{\"run_id\":" + jsonString(pick(HOSTILE)) + ",\"project\":\"p\"}",
                        "{\"run_id\":\"fz-" + i + "\",\"name\":" + jsonString("n".repeat(201)) + "}",
                        "{\"run_id\":\"fz-" + i + "\",\"project\":" + s + "}",
                        "{\"run_id\":\"fz-" + i + "\",\"tags\":[" + s + "]}"};
                String body = bad[random.nextInt(bad.length)];
                return new HttpCase("body-hostile", "POST", "/api/v1/runs", json, bytes(body));
            }
            case 5: {
                String body;
                if (random.nextInt(50) == 0) { // 1,001 events: over the per-request limit
                    StringBuilder b = new StringBuilder("[");
                    for (int e = 0; e <= 1000; e++) {
                        b.append(e == 0 ? "" : ",").append("{\"epoch\":").append(e).append('}');
                    }
                    body = b.append(']').toString();
                } else {
                    StringBuilder extra = new StringBuilder();
                    for (int k = 0; k < 257; k++) {
                        extra.append(k == 0 ? "" : ",").append("\"m").append(k).append("\":1.0");
                    }
                    body = random.nextBoolean() ? epochJson(1, "\"extra\":{" + extra + "}")
                            : epochJson(1, "\"extra\":{" + jsonString("k".repeat(257)) + ":1.0}");
                }
                return new HttpCase("oversized", "POST", metrics, json, bytes(body));
            }
            case 6: {
                String q = switch (random.nextInt(8)) {
                    case 0 -> metrics + "?since_epoch=" + pick("abc", "-5x", "1.5", "%00", "99999999999999999999");
                    case 1 -> metrics + "?max_points=" + pick("0", "1", "100001", "-1", "many");
                    case 2 -> metrics + "?fields=" + pick("nope", "train_loss,bogus", "%00");
                    case 3 -> metrics + "?format=" + pick("xml", "CSV2", "JSONX");
                    case 4 -> "/api/v1/runs?limit=" + pick("0", "-1", "abc", "100000");
                    case 5 -> "/api/v1/runs?status=" + pick("weird", "running%00", "RUNNINGX");
                    case 6 -> "/api/v1/runs?cursor=" + pick("not-a-cursor", "%ff%fe", "AAAA");
                    default -> "/api/v1/runs/" + runId + "/events?types=" + pick("nope", "epoch,bogus");
                };
                return new HttpCase("query", "GET", q, Map.of(), null);
            }
            case 7: {
                byte[] body = bytes(epochJson(1, "\"train_loss\":0.5"));
                return switch (random.nextInt(4)) {
                    case 0 -> new HttpCase("headers", "POST", metrics, Map.of("Content-Type",
                            pick("text/plain", "application/xml", "application/x-www-form-urlencoded", "jsonish")), body);
                    case 1 -> new HttpCase("headers", "POST", metrics, Map.of(), body);
                    case 2 -> new HttpCase("headers", "GET", "/api/v1/runs/" + runId + "/events",
                            Map.of("Last-Event-ID", pick("abc", "run/xyz", "1e5", "--1")), null);
                    default -> new HttpCase("headers", "GET", metrics,
                            Map.of("Authorization", pick("Bearer", "Basic Zm9vOmJhcg==", "Bearer tw_not-a-token", "Token abc")), null);
                };
            }
            default: {
                String id = switch (random.nextInt(4)) {
                    case 0 -> "a%00b";
                    case 1 -> "a;b=c";
                    case 2 -> "r".repeat(129);
                    default -> "-starts-with-dash";
                };
                return new HttpCase("path", random.nextBoolean() ? "GET" : "POST", "/api/v1/runs/" + id + "/metrics",
                        json, bytes(epochJson(1, "\"train_loss\":0.5")));
            }
        }
    }

    KafkaCase nextKafka(int i, long seed) {
        String key = "fuzz-bad-" + seed + "-" + i;
        Map<String, String> h = headers(key, EventType.EPOCH_COMPLETED);
        switch (random.nextInt(6)) {
            case 0: {
                byte[] value = new byte[1 + random.nextInt(64)];
                random.nextBytes(value);
                if (random.nextBoolean()) {
                    String valid = epochJson(1, "\"run_id\":\"" + key + "\"");
                    value = bytes(valid.substring(0, 1 + random.nextInt(valid.length() - 1)));
                }
                return new KafkaCase("not-json", key, h, value);
            }
            case 1: {
                String body = random.nextBoolean()
                        ? "{\"run_id\":\"" + key + "\",\"epoch\":" + pick(NOT_AN_EPOCH) + "}"
                        : "{\"run_id\":\"" + key + "\",\"epoch\":1,\"val_loss\":" + pick(NOT_A_NUMBER) + "}";
                return new KafkaCase("wrong-types", key, h, bytes(body));
            }
            case 2: {
                Map<String, String> missing = new LinkedHashMap<>(h);
                switch (random.nextInt(3)) {
                    case 0 -> missing.remove(CloudEvents.H_ID);
                    case 1 -> missing.remove(CloudEvents.H_TYPE);
                    default -> missing.put(CloudEvents.H_ID, " ");
                }
                return new KafkaCase("missing-headers", key, missing, bytes(epochJson(1, "\"run_id\":\"" + key + "\"")));
            }
            case 3: {
                Map<String, String> wrong = new LinkedHashMap<>(h);
                if (random.nextBoolean()) {
                    wrong.put(CloudEvents.H_TYPE, pick("epoch.deleted", "analysis.updated", "", "EPOCH.COMPLETED"));
                } else {
                    wrong.put(CloudEvents.H_SUBJECT, "someone-else");
                }
                return new KafkaCase("wrong-headers", key, wrong, bytes(epochJson(1, "\"run_id\":\"" + key + "\"")));
            }
            case 4: {
                String body = switch (random.nextInt(3)) {
                    case 0 -> "{\"run_id\":\"" + "r".repeat(129) + "\",\"epoch\":1}";
                    case 1 -> {
                        StringBuilder layers = new StringBuilder();
                        for (int k = 0; k <= 10_000; k++) {
                            layers.append(k == 0 ? "" : ",").append("\"l").append(k).append("\":1.0");
                        }
                        yield "{\"run_id\":\"" + key + "\",\"epoch\":1,\"layer_grad_norms\":{" + layers + "}}";
                    }
                    default -> {
                        StringBuilder extra = new StringBuilder();
                        for (int k = 0; k < 257; k++) {
                            extra.append(k == 0 ? "" : ",").append("\"m").append(k).append("\":1.0");
                        }
                        yield "{\"run_id\":\"" + key + "\",\"epoch\":1,\"extra\":{" + extra + "}}";
                    }
                };
                return new KafkaCase("oversized", key, h, bytes(body));
            }
            default: {
                String body = random.nextBoolean()
                        ? "{\"run_id\":" + jsonString(pick(HOSTILE)) + ",\"epoch\":1}"
                        : "{\"run_id\":\"" + key + "\",\"epoch\":1,\"extra\":{" + jsonString(pick(UNSTORABLE)) + ":1.0}}";
                Map<String, String> headers = new LinkedHashMap<>(h);
                headers.remove(CloudEvents.H_SUBJECT); // the reason must be the body's, not a subject mismatch
                return new KafkaCase("hostile", key, headers, bytes(body));
            }
        }
    }

    static Map<String, String> headers(String runId, EventType type) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put(CloudEvents.H_ID, "fuzz-" + runId);
        h.put(CloudEvents.H_TYPE, type.ceType());
        h.put(CloudEvents.H_SUBJECT, runId);
        return h;
    }

    static String epochJson(int epoch, String more) {
        return "{\"epoch\":" + epoch + "," + more + "}";
    }

    /** A JSON string literal; lone surrogates and NUL are written as \\u escapes, so the bytes stay valid UTF-8. */
    static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c < 0x20 || Character.isSurrogate(c) || c == '"' || c == '\\') {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    private String pick(String... options) {
        return options[random.nextInt(options.length)];
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static List<String> categories(List<String> seen) {
        return new ArrayList<>(new java.util.TreeSet<>(seen));
    }
}
