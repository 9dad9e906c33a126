/** Adapter, MCP: tools for LLM agents over streamable HTTP at /mcp, calling read and the run commands as REST does. */
package io.trainwatch.metrics.mcp;
