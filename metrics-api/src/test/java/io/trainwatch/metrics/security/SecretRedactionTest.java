package io.trainwatch.metrics.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SecretRedactionTest {

    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void secretLookingKeysAreMaskedAtAnyDepthAndOthersKept() throws Exception {
        JsonNode doc = mapper.readTree("{\"hyperparameters\":{\"learning_rate\":0.001,\"api_key\":\"sk-123\","
                + "\"HF_TOKEN\":\"hf_x\",\"db\":{\"Password\":\"hunter2\",\"host\":\"db\"},\"clientSecret\":7,"
                + "\"layers\":[{\"signing_key\":\"k\"}]},\"model\":{\"parameters\":17410}}");
        JsonNode out = SecretRedaction.redact(doc);
        assertEquals("{\"hyperparameters\":{\"learning_rate\":0.001,\"api_key\":\"***\",\"HF_TOKEN\":\"***\","
                + "\"db\":{\"Password\":\"***\",\"host\":\"db\"},\"clientSecret\":\"***\",\"layers\":[{\"signing_key\":\"***\"}]},"
                + "\"model\":{\"parameters\":17410}}", out.toString());
    }
}
