/** Commands on runs, shared by the REST and MCP adapters: cancel (published to the control topic) and delete, each audited. */
package io.trainwatch.metrics.command;
