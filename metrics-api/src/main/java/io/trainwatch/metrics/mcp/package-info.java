/** The MCP server for LLM agents: tools over streamable HTTP at /mcp that reuse the REST code paths. */
package io.trainwatch.metrics.mcp;
