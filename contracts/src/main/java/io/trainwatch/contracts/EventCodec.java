package io.trainwatch.contracts;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.NumberDeserializers;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.util.AccessPattern;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;

/**
 * The one JSON codec for Trainwatch events: snake_case fields, absent values left out, non-finite numbers as the
 * strings {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}, unknown fields ignored on read. Every decoding
 * failure is an {@link EventValidationException} naming the field. Thread-safe; share {@link #instance()}.
 */
public final class EventCodec {

    private static final EventCodec INSTANCE = new EventCodec();

    private final ObjectMapper mapper;

    private EventCodec() {
        this.mapper = newMapper();
    }

    public static EventCodec instance() {
        return INSTANCE;
    }

    /**
     * A mapper configured like the codec's, for modules that serialise their own documents in the same style
     * (the analysis verdict, REST bodies).
     */
    public static ObjectMapper newMapper() {
        JsonMapper mapper = JsonMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .serializationInclusion(JsonInclude.Include.NON_NULL)
                .addModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
                .enable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
                // Be liberal in what we accept: bare NaN/Infinity tokens (Python's json writes them) read as numbers.
                .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                // Events are mostly floating-point numbers: the JDK's text-to-double and double-to-text conversions
                // were the largest single cost of ingest (decode) and of verdict documents (encode). Same values.
                .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
                .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
                .addModule(integralNumbers())
                .addModule(new SimpleModule("trainwatch-utc-instants").addDeserializer(java.time.Instant.class,
                        new UtcInstantDeserializer()))
                .build();
        // A number or boolean where the schema says string (run_id: 5, name: true) is refused, not turned into text.
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64)
                .maxNumberLength(400)
                .maxStringLength(Limits.MAX_EVENT_BYTES)
                .build());
        return mapper;
    }

    /**
     * JSON Schema counts 1.0 and 1e2 as integers (and Python's json writes floats that way), so integer fields accept
     * them; a fraction such as 1.5 is still refused instead of being truncated, as ACCEPT_FLOAT_AS_INT would do.
     */
    private static SimpleModule integralNumbers() {
        SimpleModule module = new SimpleModule("trainwatch-integral-numbers");
        module.addDeserializer(Integer.class, new IntegralNumberDeserializer<>(Integer.class, false));
        module.addDeserializer(int.class, new IntegralNumberDeserializer<>(int.class, false));
        module.addDeserializer(Long.class, new IntegralNumberDeserializer<>(Long.class, true));
        module.addDeserializer(long.class, new IntegralNumberDeserializer<>(long.class, true));
        return module;
    }

    /**
     * Reads the timestamps trainers write ({@code 2026-11-30T17:20:33.123456Z}: UTC, 0–9 fraction digits) without
     * the general ISO formatter, which was a fifth of the cost of decoding an epoch; anything else (offsets, leap
     * seconds, errors) goes to Jackson's own deserializer, so what is accepted and every error message stay the same.
     */
    static final class UtcInstantDeserializer extends StdDeserializer<java.time.Instant> {
        private static final int[] SCALE = {100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1};

        UtcInstantDeserializer() {
            super(java.time.Instant.class);
        }

        @Override
        public java.time.Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_STRING) {
                java.time.Instant fast = parseUtc(p.getText());
                if (fast != null) {
                    return fast;
                }
            }
            return com.fasterxml.jackson.datatype.jsr310.deser.InstantDeserializer.INSTANT.deserialize(p, ctxt);
        }

        /** The instant of {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z}, or null for any other text. */
        static java.time.Instant parseUtc(String s) {
            int n = s.length();
            if (n < 20 || n == 21 || n > 30 || s.charAt(n - 1) != 'Z' || s.charAt(4) != '-' || s.charAt(7) != '-'
                    || s.charAt(10) != 'T' || s.charAt(13) != ':' || s.charAt(16) != ':' || (n > 20 && s.charAt(19) != '.')) {
                return null;
            }
            int year = digits(s, 0, 4);
            int month = digits(s, 5, 2);
            int day = digits(s, 8, 2);
            int hour = digits(s, 11, 2);
            int minute = digits(s, 14, 2);
            int second = digits(s, 17, 2);
            int nanos = n > 20 ? digits(s, 20, n - 21) : 0;
            if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59
                    || second < 0 || second > 59 || nanos < 0) {
                return null;
            }
            if (n > 20) {
                nanos *= SCALE[n - 22];
            }
            try {
                return java.time.LocalDateTime.of(year, month, day, hour, minute, second, nanos)
                        .toInstant(java.time.ZoneOffset.UTC);
            } catch (java.time.DateTimeException e) {
                return null; // e.g. 31 April: the standard deserializer words the error
            }
        }

        private static int digits(String s, int from, int count) {
            int v = 0;
            for (int i = from; i < from + count; i++) {
                char c = s.charAt(i);
                if (c < '0' || c > '9') {
                    return -1;
                }
                v = v * 10 + (c - '0');
            }
            return v;
        }
    }

    /** Reads an integral float token as an integer and leaves every other token to Jackson's own deserializer. */
    private static final class IntegralNumberDeserializer<T> extends StdDeserializer<T> {
        private final JsonDeserializer<T> standard;
        private final boolean isLong;

        @SuppressWarnings("unchecked")
        IntegralNumberDeserializer(Class<T> type, boolean isLong) {
            super(type);
            this.standard = (JsonDeserializer<T>) NumberDeserializers.find(type, type.getName());
            this.isLong = isLong;
        }

        @Override
        @SuppressWarnings("unchecked")
        public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_NUMBER_FLOAT && !p.isNaN()) {
                BigDecimal value = p.getDecimalValue();
                if (value.signum() == 0 || value.stripTrailingZeros().scale() <= 0) {
                    try {
                        BigInteger integral = value.toBigIntegerExact();
                        return (T) (isLong ? (Object) integral.longValueExact() : (Object) integral.intValueExact());
                    } catch (ArithmeticException outOfRange) {
                        // fall through: Jackson's deserializer reports it with the field's path
                    }
                }
            }
            return standard.deserialize(p, ctxt);
        }

        @Override
        public T getNullValue(DeserializationContext ctxt) throws JsonMappingException {
            return standard.getNullValue(ctxt);
        }

        @Override
        public Object getEmptyValue(DeserializationContext ctxt) throws JsonMappingException {
            return standard.getEmptyValue(ctxt);
        }

        @Override
        public AccessPattern getNullAccessPattern() {
            return standard.getNullAccessPattern();
        }
    }

    /** The configured mapper; do not reconfigure it. */
    public ObjectMapper mapper() {
        return mapper;
    }

    public byte[] encode(TrainwatchEvent event) {
        try {
            return mapper.writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + event.type() + " for run " + event.runId(), e);
        }
    }

    public String encodeToString(TrainwatchEvent event) {
        return new String(encode(event), StandardCharsets.UTF_8);
    }

    /** Decodes the data of an event whose {@code ce_type} is known (prefixed or bare, {@link EventType#fromCeType}). */
    public TrainwatchEvent decode(String ceType, byte[] json) {
        EventType type = EventType.fromCeType(ceType).orElseThrow(() -> new EventValidationException("ce_type",
                "must be one of " + java.util.Arrays.stream(EventType.values()).map(EventType::ceType)
                        .collect(Collectors.joining(", ")) + " (or the same without " + EventType.TYPE_PREFIX
                        + "), was \"" + ceType + "\""));
        return decode(json, type.dataClass());
    }

    public <T extends TrainwatchEvent> T decode(byte[] json, Class<T> type) {
        if (json == null || json.length == 0) {
            throw new EventValidationException("$", "must be a JSON object, was empty");
        }
        if (json.length > Limits.MAX_EVENT_BYTES) {
            throw new EventValidationException("$", "must be at most " + Limits.MAX_EVENT_BYTES + " bytes, was " + json.length);
        }
        try {
            return mapper.readValue(json, type);
        } catch (IOException e) {
            throw translate(e);
        }
    }

    public <T extends TrainwatchEvent> T decode(String json, Class<T> type) {
        return decode(json == null ? null : json.getBytes(StandardCharsets.UTF_8), type);
    }

    /** Decodes an already parsed tree, e.g. a REST body whose run id came from the path. */
    public <T extends TrainwatchEvent> T decode(JsonNode tree, Class<T> type) {
        if (tree == null || !tree.isObject()) {
            throw new EventValidationException("$", "must be a JSON object");
        }
        try {
            JsonParser parser = mapper.treeAsTokens(tree);
            return mapper.readValue(parser, type);
        } catch (IOException e) {
            throw translate(e);
        }
    }

    private static EventValidationException translate(IOException e) {
        // A record's own check, however deep Jackson wrapped it (creator, nested record, enum creator), already names
        // the field with its full snake_case path: keep it as it is.
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof EventValidationException eve) {
                return eve;
            }
        }
        if (e instanceof MismatchedInputException && !(e instanceof InvalidFormatException)
                && ((JsonMappingException) e).getPath().isEmpty()) {
            // Well-formed JSON, but an array, a string or a number where the event object belongs.
            return new EventValidationException("$", "must be a JSON object", e);
        }
        if (e instanceof JsonMappingException jme && !jme.getPath().isEmpty()) {
            String field = path(jme);
            String rule;
            if (jme.getCause() instanceof InputCoercionException ice) {
                // A number too large for the field's Java type: the same rule as the schema's maximum.
                rule = "must be " + describe(ice.getTargetType()) + " in range (" + ice.getOriginalMessage() + ")";
            } else if (e instanceof InvalidFormatException ife) {
                rule = "must be " + describe(ife.getTargetType()) + ", was " + quote(ife.getValue());
            } else if (e instanceof MismatchedInputException mie && mie.getTargetType() != null) {
                rule = "must be " + describe(mie.getTargetType());
            } else {
                rule = "is invalid (" + jme.getOriginalMessage() + ")";
            }
            return new EventValidationException(field, rule, e);
        }
        if (e instanceof JsonMappingException jme && jme.getCause() instanceof IllegalArgumentException iae) {
            return new EventValidationException("$", iae.getMessage(), e);
        }
        String msg = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
        return new EventValidationException("$", "is not valid JSON: " + msg, e);
    }

    private static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.isEmpty() ? "$" : sb.toString();
    }

    private static String describe(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == Double.class || type == double.class) {
            return "a number (or \"NaN\", \"Infinity\", \"-Infinity\")";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == java.time.Instant.class) {
            return "an RFC 3339 timestamp";
        }
        if (java.util.Map.class.isAssignableFrom(type)) {
            return "an object";
        }
        if (java.util.Collection.class.isAssignableFrom(type)) {
            return "an array";
        }
        if (type.isEnum()) {
            return "one of " + java.util.Arrays.stream(type.getEnumConstants()).map(Object::toString)
                    .collect(Collectors.joining(", "));
        }
        if (type.isRecord()) {
            return "an object";
        }
        return "a " + type.getSimpleName();
    }

    private static String quote(Object value) {
        return value instanceof String s ? "\"" + Limits.abbreviate(s) + "\"" : String.valueOf(value);
    }
}
