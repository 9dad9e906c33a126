package io.trainwatch.metrics.mcp;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.quarkiverse.mcp.server.AudioContent;
import io.quarkiverse.mcp.server.BlobResourceContents;
import io.quarkiverse.mcp.server.CompletionResponse;
import io.quarkiverse.mcp.server.EmbeddedResource;
import io.quarkiverse.mcp.server.ImageContent;
import io.quarkiverse.mcp.server.PromptResponse;
import io.quarkiverse.mcp.server.ResourceLink;
import io.quarkiverse.mcp.server.ResourceResponse;
import io.quarkiverse.mcp.server.TextContent;
import io.quarkiverse.mcp.server.TextResourceContents;
import io.quarkiverse.mcp.server.ToolResponse;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import java.util.List;

/**
 * The application's one ObjectMapper writes snake_case (JsonConfig), and Vert.x encodes the MCP extension's responses
 * with that same mapper, which would turn the protocol's {@code isError} into {@code is_error}. These mix-ins keep
 * the MCP response types in the protocol's camelCase (and leave nulls out, as the extension's own customizer would,
 * which a replaced mapper never runs), without touching how the REST documents are written.
 */
@Singleton
public class McpWireNames {

    static final List<Class<?>> MCP_TYPES = List.of(ToolResponse.class, PromptResponse.class, ResourceResponse.class,
            CompletionResponse.class, TextContent.class, ImageContent.class, AudioContent.class, EmbeddedResource.class,
            ResourceLink.class, TextResourceContents.class, BlobResourceContents.class);

    @JsonNaming(PropertyNamingStrategies.LowerCamelCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    interface ProtocolNames {
    }

    // At startup, before the first MCP request builds a serializer for these types.
    void register(@Observes StartupEvent start, ObjectMapper mapper) {
        for (Class<?> type : MCP_TYPES) {
            mapper.addMixIn(type, ProtocolNames.class);
        }
    }
}
