package io.trainwatch.contracts;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ce_types carry the reverse-DNS prefix, and the bare names older producers sent are still read. */
class EventTypeTest {

    private final EventCodec codec = EventCodec.instance();

    @Test
    void everyTypeIsTheBaseNameUnderTheReverseDnsPrefix() {
        assertEquals("io.trainwatch.", EventType.TYPE_PREFIX);
        for (EventType type : EventType.values()) {
            assertEquals(EventType.TYPE_PREFIX + type.baseName(), type.ceType(), type.name());
            assertEquals(type.ceType(), type.toString(), type.name());
        }
        assertEquals("io.trainwatch.run.cancel-requested", EventType.RUN_CANCEL_REQUESTED.ceType());
        assertEquals(EventType.values().length,
                Arrays.stream(EventType.values()).map(EventType::baseName).distinct().count(), "base names are unique");
    }

    @Test
    void bothThePrefixedAndTheLegacyBareNameFindTheType() {
        for (EventType type : EventType.values()) {
            assertEquals(Optional.of(type), EventType.fromCeType(type.ceType()), type.ceType());
            assertEquals(Optional.of(type), EventType.fromCeType(type.baseName()), type.baseName());
        }
    }

    @Test
    void nothingElseIsAType() {
        for (String other : new String[]{null, "", "io.trainwatch.", "epoch.nope", "io.trainwatch.epoch.nope",
                "com.example.epoch.completed", "io.trainwatch.io.trainwatch.epoch.completed", "EPOCH.COMPLETED",
                "EPOCH_COMPLETED"}) {
            assertEquals(Optional.empty(), EventType.fromCeType(other), String.valueOf(other));
        }
    }

    @Test
    void aRecordWithTheLegacyTypeDecodesToTheSameEvent() {
        for (ContractFiles.Example example : ContractFiles.examples()) {
            TrainwatchEvent current = codec.decode(example.type().ceType(), example.bytes());
            TrainwatchEvent legacy = codec.decode(example.type().baseName(), example.bytes());
            assertEquals(current, legacy, example.toString());
        }
    }

    /** The data did not change with the prefix, so neither did the schemas' $id (= ce_dataschema) nor their files. */
    @Test
    void schemasKeepTheirIdAndFileAndAreTitledWithTheType() {
        for (EventType type : EventType.values()) {
            assertEquals("https://trainwatch.io/schemas/v1/" + type.baseName() + ".schema.json", type.schemaId());
            assertEquals("schemas/" + type.baseName() + ".schema.json", type.schemaResource());
            for (String example : new String[]{"full", "minimal"}) {
                assertTrue(EventType.class.getClassLoader().getResource(type.exampleResource(example)) != null,
                        type.exampleResource(example));
            }
            assertEquals(type.ceType(), ContractFiles.schemaNode(type).get("title").asText(), type.name());
            assertTrue(CloudEvents.headers(codec.decode(type.ceType(), ContractFiles.example(type, "minimal").bytes()),
                    "id-1", "/test", null).get(CloudEvents.H_TYPE).startsWith(EventType.TYPE_PREFIX), type.name());
        }
    }
}
